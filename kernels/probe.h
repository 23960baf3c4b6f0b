/* kernels/probe.h — boundary probing: the sweep's answer for an opaque target.
 *
 * Owns: for a target whose decision thresholds are unknown (a plugin), find
 * them by probing. From a grid of base nodes (every head class, same-type
 * K/V of each of the eight types, n_q in {1, 3, 11, 64}, n_kv in {256, 1807}),
 * scan each numeric input (n_q, n_kv, GQA ratio, KV heads, sequences, mask
 * row padding, K/V row padding) over a fixed probe set, bisect between
 * neighbouring probes that route differently to the exact boundary, and check
 * properties 1-3 at every probe and at boundary-1, boundary, boundary+1.
 * Guarantee (docs/plugins.md): along each probed axis from each base, every
 * route change between two probes is located exactly and its neighbours are
 * checked; a hole confined to values between two probes that route alike (and
 * not at a multiple of 16..512 or a power of two, +-1) is not guaranteed to be
 * found — fuzzing covers that, and `fasv verify` fuzzes plugins by default.
 * Must not know: how the target decides.
 */
#ifndef FASV_KERNELS_PROBE_H
#define FASV_KERNELS_PROBE_H

#include <stdio.h>

#include "fasv/props.h"
#include "fasv/target.h"
#include "kernels/sweep.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fasv_probe_violation {
    int device;           /* index into the devices of the run */
    const char *axis;     /* "n_kv", "n_q", ... */
    int64_t value;        /* the axis value of the failing node */
    char base[160];       /* the base node, described */
    fasv_node node;
    fasv_finding finding;
} fasv_probe_violation;

typedef struct fasv_probe_result {
    int n_devices;
    const fasv_device *devices[FASV_SWEEP_MAX_DEVICES];
    int64_t bases;        /* base nodes x devices */
    int64_t checks;       /* fasv_check_route calls */
    int64_t boundaries;   /* route changes located by bisection */
    int64_t clean, outside, violations;
    fasv_probe_violation *viol; /* the first max_kept, in run order */
    int n_viol;
    double seconds;
} fasv_probe_result;

/* Probe t on the devices and types of o (threads and progress are ignored).
 * Returns 0 when clean, 1 on violations, -1 when out of memory. */
int fasv_probe_run(const fasv_target *t, const fasv_sweep_opts *o, fasv_probe_result *res);
void fasv_probe_free(fasv_probe_result *res);
/* Text report: counts, then every kept violation (the first `limit` with the
 * diagnostic block; 0 = all). */
void fasv_probe_print(FILE *f, const fasv_probe_result *r, int limit);
/* The result as one JSON object value in j. */
#include "fasv/json.h"
void fasv_probe_write_json(fasv_json *j, const fasv_probe_result *r);

#ifdef __cplusplus
}
#endif
#endif
