/* testtargets.c — small test-only planners with known behaviour.
 *
 * Owns: three planners used to test and demonstrate the lifecycle property:
 * one that routes every legal node with scratch that never exceeds what its
 * reserve graphs ask for, one with a planted lifecycle hole (the seed
 * report's class: a D=256 shape on AMD that the reserve graphs never reach),
 * and one whose split-KV scratch grows with n_q past what token generation
 * reserved (a draft-verify batch needs more). They are fixtures, not models
 * of any real back-end; verdicts on real planners come from the targets the
 * user names.
 * Must not know: scenarios (they see one node at a time, like any target).
 */
#include <stdio.h>
#include <string.h>

#include "fasv/scenario.h"

typedef enum tt_kind { TT_CLEAN = 0, TT_HOLE, TT_SCRATCH } tt_kind;

static int tt_envelope(void *ctx, const fasv_device *dev, const fasv_node *n, char *why, size_t len) {
    (void)ctx;
    (void)dev;
    if (fasv_dk(n) > 1024 || fasv_dv(n) > 1024) {
        snprintf(why, len, "head sizes above 1024 are not served");
        return 0;
    }
    return 1;
}

static void tt_plan(void *ctx, const fasv_device *dev, const fasv_node *n, fasv_route *r) {
    tt_kind kind = (tt_kind)(intptr_t)ctx;
    memset(r, 0, sizeof *r);
    r->instance = -1;
    r->eff_type_k = n->k.type;
    r->eff_type_v = n->v.type;
    int64_t dk = fasv_dk(n), dv = fasv_dv(n), nq = fasv_nq(n), nkv = fasv_nkv(n);
    if (dk > 1024 || dv > 1024) {
        r->family = FASV_FAM_NONE;
        snprintf(r->reason, sizeof r->reason, "head size %lldx%lld above 1024", (long long)dk, (long long)dv);
        return;
    }
    if (kind == TT_HOLE && dev->vendor == FASV_VENDOR_AMD && dk == 256 && nq > 1 && nkv % 256 != 0) {
        r->family = FASV_FAM_NONE;
        snprintf(r->reason, sizeof r->reason,
                 "no D=256 kernel for n_q > 1 on AMD when n_kv %% 256 != 0 (the tile fallback assumes padded KV)");
        return;
    }
    int64_t vec_max_q = kind == TT_SCRATCH ? 16 : 1;
    if (nq <= vec_max_q && dk <= 256 && dk % 32 == 0 && dv <= 256 && dv % 32 == 0) {
        int64_t split = nkv / 512;
        if (split < 1) split = 1;
        if (split > 16) split = 16;
        r->family = split > 1 ? FASV_FAM_SPLIT : FASV_FAM_VEC;
        r->instance = 0;
        r->ncols1 = (int)nq;
        r->ncols2 = 1;
        r->kv_tile = 128;
        r->n_split = (int)split;
        r->threads = dev->warp_size * 4;
        r->smem_bytes = 0;
        /* partial results: (Dv values + max + sum) per split, head, query row and sequence */
        r->scratch_bytes = split > 1 ? split * nq * fasv_nhead(n) * fasv_nseq(n) * (dv + 2) * 4 : 0;
        snprintf(r->key, sizeof r->key, "%s:d%dx%d:q%d", split > 1 ? "split" : "vec", (int)dk, (int)dv, (int)nq);
        snprintf(r->reason, sizeof r->reason, "few query rows: vector kernel, %lld KV splits", (long long)split);
        return;
    }
    r->family = FASV_FAM_TILE;
    r->instance = 1;
    r->ncols1 = nq >= 32 ? 32 : nq >= 8 ? 8 : 2;
    r->ncols2 = 1;
    r->kv_tile = 64;
    r->n_split = 1;
    r->threads = dev->warp_size * 4;
    r->smem_bytes = (int64_t)r->ncols1 * (dk + dv) * 4;
    snprintf(r->key, sizeof r->key, "tile:d%dx%d:c%d", (int)dk, (int)dv, r->ncols1);
    snprintf(r->reason, sizeof r->reason, "general tile kernel");
}

static const fasv_target k_targets[] = {
    {"test:lifecycle-clean", (void *)(intptr_t)TT_CLEAN, NULL, tt_envelope, tt_plan, NULL,
     (1u << FASV_FAM_NONE) | (1u << FASV_FAM_VEC) | (1u << FASV_FAM_SPLIT) | (1u << FASV_FAM_TILE)},
    {"test:lifecycle-hole-d256", (void *)(intptr_t)TT_HOLE, NULL, tt_envelope, tt_plan, NULL,
     (1u << FASV_FAM_NONE) | (1u << FASV_FAM_VEC) | (1u << FASV_FAM_SPLIT) | (1u << FASV_FAM_TILE)},
    {"test:lifecycle-scratch", (void *)(intptr_t)TT_SCRATCH, NULL, tt_envelope, tt_plan, NULL,
     (1u << FASV_FAM_NONE) | (1u << FASV_FAM_VEC) | (1u << FASV_FAM_SPLIT) | (1u << FASV_FAM_TILE)},
};

const char *const fasv_scenario_test_targets[] = {"test:lifecycle-clean", "test:lifecycle-hole-d256",
                                                  "test:lifecycle-scratch", NULL};

const fasv_target *fasv_scenario_test_target(const char *name) {
    if (!name) return NULL;
    if (strncmp(name, "test:", 5) == 0) name += 5;
    for (size_t i = 0; i < sizeof k_targets / sizeof k_targets[0]; i++)
        if (strcmp(k_targets[i].name + 5, name) == 0) return &k_targets[i];
    return NULL;
}
