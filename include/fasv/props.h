/* fasv/props.h — the route properties of DESIGN §3 on one (device, node),
 * semantic signatures of findings, and the explain block.
 *
 * Owns: totality (inside the envelope => a route), contract (the instance
 * exists and its kernel's preconditions accept the node), determinism (the
 * same input gives the same route), route well-formedness, the signature that
 * buckets findings, and the diagnostic block printed on every NONE.
 * Must not know: how the target decides; GPUs; the oracle.
 */
#ifndef FASV_PROPS_H
#define FASV_PROPS_H

#include <stdio.h>

#include "fasv/case.h"
#include "fasv/target.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fasv_prop {
    FASV_PROP_OK = 0,
    FASV_PROP_TOTALITY,    /* inside the envelope, no route */
    FASV_PROP_CONTRACT,    /* route names a missing instance, or its preconditions reject the node */
    FASV_PROP_DETERMINISM, /* two plans of the same input differ */
    FASV_PROP_BAD_ROUTE,   /* malformed route: unknown family, negative sizes, no reason on NONE */
    FASV_PROP_LIFECYCLE,   /* reserved for scenarios: supported at reserve, not at compute */
    FASV_PROP_NUMERICS,    /* reserved for GPU runs: output disagrees with the oracle */
    FASV_PROP_CRASH,       /* reserved: the target crashed or hung */
    FASV_PROP_COUNT
} fasv_prop;

const char *fasv_prop_name(fasv_prop p); /* "totality", "contract", ... */

#define FASV_SIG_LEN 256
#define FASV_DETAIL_LEN 512

typedef struct fasv_finding {
    fasv_prop kind;
    const fasv_device *device;
    fasv_route route;
    char detail[FASV_DETAIL_LEN];
    char signature[FASV_SIG_LEN];
} fasv_finding;

typedef enum fasv_verdict {
    FASV_CLEAN = 0,     /* inside the envelope and every property holds */
    FASV_VIOLATION = 1, /* *f describes the finding */
    FASV_OUTSIDE = 2,   /* outside the target's envelope (or device unsupported): f->detail says why */
} fasv_verdict;

/* Check properties 1-3 and route well-formedness for a LEGAL node. Fills *f
 * (route always; kind/detail/signature on a violation). */
fasv_verdict fasv_check_route(const fasv_target *t, const fasv_device *d, const fasv_node *n, fasv_finding *f);

/* Semantic signature:
 *   KIND/ARCH/FAMILY:INSTANCE/dDKxDV/TK,TV/REASON
 * REASON is the route's reason with every digit run replaced by '#', so one
 * hole hit at many n_kv values is one bucket. Devices of one architecture
 * family share buckets. A determinism violation is bucketed by what is
 * unstable, not by the shape it showed on:
 *   determinism/ARCH/ *:* /d* / * /plans-differ-in-FIELD,FIELD...
 * (without the spaces), FIELDs being the route fields whose two plans
 * differed (family, instance, key, ncols1, ..., reason). */
void fasv_signature(fasv_prop kind, const fasv_device *d, const fasv_node *n, const fasv_route *r,
                    const char *reason, char *out, size_t len);

/* The explain block (DESIGN §3.6): device, Q/K/V/mask/sinks shapes and
 * strides, raw and effective K/V types, flags, chosen kernel or NONE and the
 * reason selection fell through. */
void fasv_explain(FILE *f, const fasv_device *d, const fasv_node *n, const fasv_route *r);

#ifdef __cplusplus
}
#endif
#endif
