/* fasv/route.h — what a planner answers for (device, node).
 *
 * Owns: the route record (kernel family, instance, launch geometry, scratch)
 * or NONE with the reason the selection fell through, and its one-line and
 * JSON renderings. Shared by the built-in planner, plugin planners, the
 * sweep, the fuzz harnesses and the lifecycle scenarios.
 * Must not know: how any planner decides; GPU runtimes.
 */
#ifndef FASV_ROUTE_H
#define FASV_ROUTE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fasv_family {
    FASV_FAM_NONE = 0, /* no kernel selected */
    FASV_FAM_VEC = 1,  /* few query columns (decode): one warp per row group, vector loads */
    FASV_FAM_TILE = 2, /* general fallback: shared-memory tiles of Q and K/V */
    FASV_FAM_SPLIT = 3,/* split-KV: partial softmax per KV chunk, then a combine kernel */
    FASV_FAM_MMA = 4,  /* matrix cores */
    FASV_FAM_COUNT
} fasv_family;

const char *fasv_family_name(fasv_family f); /* "none", "vec", "tile", "split", "mma" */
int fasv_family_parse(const char *name, fasv_family *out);

#define FASV_KEY_LEN 64
#define FASV_REASON_LEN 256

typedef struct fasv_route {
    fasv_family family;
    int instance;                /* index into the planner's instance table; -1 when NONE */
    char key[FASV_KEY_LEN];      /* instance key, e.g. "vec:d128x128:f16,f16:c1x4" */
    int ncols1;                  /* query columns per block */
    int ncols2;                  /* GQA heads packed per block */
    int kv_tile;                 /* keys per inner iteration */
    int n_split;                 /* KV splits (1 = no split) */
    int threads;                 /* threads per block */
    int64_t smem_bytes;          /* shared memory per block */
    int64_t scratch_bytes;       /* device scratch the launch needs (split partials) */
    int eff_type_k, eff_type_v;  /* fasv_type the kernel computes K/V in (after its own
                                    conversion), or -1 when the planner does not say */
    char reason[FASV_REASON_LEN];/* NONE: why selection fell through; else why this route */
} fasv_route;

/* "vec vec:d128x128:f16,f16:c1x4 split=1 scratch=0" or "NONE: reason". */
void fasv_route_format(const fasv_route *r, char *buf, int len);

#ifdef __cplusplus
}
#endif
#endif
