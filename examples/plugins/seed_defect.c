/* seed_defect.c — a route planner written the way many real ones are: tables
 * of compiled head sizes and GQA packings, a vector kernel for decode, matrix
 * cores where the device has them, and a narrow tile fallback. It carries the
 * defect of the seed report (llama.cpp-derived HIP fork, before its fix): on
 * AMD, the D=256 tile fallback is taken only when the KV length is padded to
 * 256 and the mask rows are padded to 16, so a draft-verify batch (n_q > 2)
 * over an unpadded KV length — reached after a context-checkpoint restore —
 * has no kernel. Built as libfasv-seed-defect.so; see docs/plugins.md.
 * Knows nothing of fasv beyond include/fasv/planner.h. */
#include <stdio.h>
#include <string.h>

#include "fasv/planner.h"

/* What this back-end compiles (the instance table). */
static const fasv_pl_instance k_instances[] = {
    {"vec", "vec-d64"},    {"vec", "vec-d128"},   {"vec", "vec-d256"},   {"mma", "mma-d64"},
    {"mma", "mma-d80"},    {"mma", "mma-d96"},    {"mma", "mma-d112"},   {"mma", "mma-d128"},
    {"mma", "mma-d256"},   {"tile", "tile-d64"},  {"tile", "tile-d80"},
    {"tile", "tile-d96"},  {"tile", "tile-d112"}, {"tile", "tile-d128"}, {"tile", "tile-d256"},
};

static int is_amd(const fasv_pl_device *d) { return d->vendor == FASV_PL_VENDOR_AMD; }

static int supported_head(int64_t dk, int64_t dv) {
    static const int64_t heads[] = {64, 80, 96, 112, 128, 256};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
        if (dk == heads[i] && dv == heads[i]) return 1;
    return 0;
}

static int supported_types(const fasv_pl_node *n) {
    return n->k.type == n->v.type && (n->k.type == FASV_PL_TYPE_F16 || n->k.type == FASV_PL_TYPE_Q8_0);
}

static int envelope(const fasv_pl_device *dev, const fasv_pl_node *n, char *why, size_t len) {
    (void)dev;
    if (!supported_head(n->k.ne[0], n->v.ne[0])) {
        snprintf(why, len, "head sizes Dk=%lld Dv=%lld are not compiled", (long long)n->k.ne[0], (long long)n->v.ne[0]);
        return 0;
    }
    if (!supported_types(n)) {
        snprintf(why, len, "K/V types must be f16/f16 or q8_0/q8_0");
        return 0;
    }
    return 1;
}

static void pick(fasv_pl_route *r, const char *family, const char *prefix, int64_t d, int ncols1, int ncols2,
                 const char *why) {
    r->selected = 1;
    snprintf(r->family, sizeof r->family, "%s", family);
    snprintf(r->instance, sizeof r->instance, "%s-d%lld", prefix, (long long)d);
    r->ncols1 = ncols1;
    r->ncols2 = ncols2;
    r->n_split = 1;
    snprintf(r->reason, sizeof r->reason, "%s", why);
}

/* GQA packing: the largest compiled packing that divides the ratio. */
static int gqa_pack(int64_t gqa) {
    static const int packs[] = {8, 4, 2, 1};
    for (int i = 0; i < 4; i++)
        if (gqa % packs[i] == 0) return packs[i];
    return 1;
}

static int plan(const fasv_pl_device *dev, const fasv_pl_node *n, fasv_pl_route *r) {
    int64_t d = n->k.ne[0], n_q = n->q.ne[1], n_kv = n->k.ne[1];
    int64_t gqa = n->q.ne[2] / n->k.ne[2];
    int f16 = n->k.type == FASV_PL_TYPE_F16;
    if (!supported_head(d, n->v.ne[0]) || !supported_types(n)) {
        snprintf(r->reason, sizeof r->reason, "no FA kernel for K=%s D=%lld", f16 ? "f16" : "q8_0", (long long)d);
        return 0;
    }
    /* decode: the vector kernel, for the head sizes it is compiled for */
    if (n_q <= 2 && (d == 64 || d == 128 || d == 256)) {
        pick(r, "vec", "vec", d, (int)n_q, 1, "vector kernel for decode");
        return 0;
    }
    /* matrix cores: NVIDIA Ampere+ for every compiled size; AMD WMMA/MFMA path
     * is compiled for head sizes up to 128 only */
    int mma = !is_amd(dev) ? (dev->cc >= 80) : (dev->matrix_cores != FASV_PL_MC_NONE && d <= 128);
    if (mma && f16) {
        pick(r, "mma", "mma", d, n_q >= 16 ? 16 : 8, gqa_pack(gqa), "matrix-core kernel");
        return 0;
    }
    if (d <= 128) {
        pick(r, "tile", "tile", d, 32, gqa_pack(gqa), "tile fallback");
        return 0;
    }
    if (d == 256) {
        /* THE DEFECT: on HIP the D=256 tile kernel was only routed for a
         * padded KV length and padded mask (an over-strict mask gate). */
        int padded = n_kv % 256 == 0 && (!n->mask.present || n->mask.ne[1] % 16 == 0);
        if (!is_amd(dev) || padded) {
            pick(r, "tile", "tile", d, 16, 1, "tile fallback for D=256");
            return 0;
        }
    }
    snprintf(r->reason, sizeof r->reason, "No FA kernel selected: K=%s V=%s D=%lld", f16 ? "f16" : "q8_0",
             f16 ? "f16" : "q8_0", (long long)d);
    return 0;
}

static int precondition(const char *instance, const fasv_pl_device *dev, const fasv_pl_node *n, char *why,
                        size_t len) {
    (void)dev;
    long long d;
    if (sscanf(instance, "%*[a-z]-d%lld", &d) == 1 && d != n->k.ne[0]) {
        snprintf(why, len, "%s is compiled for D=%lld, the node has D=%lld", instance, d, (long long)n->k.ne[0]);
        return 1;
    }
    return 0;
}

static const fasv_pl_table k_table = {
    .abi_version = FASV_PLANNER_ABI_VERSION,
    .size = sizeof(fasv_pl_table),
    .name = "seed-defect",
    .devices = NULL,
    .envelope = envelope,
    .plan = plan,
    .instances = k_instances,
    .n_instances = (int32_t)(sizeof k_instances / sizeof k_instances[0]),
    .precondition = precondition,
};

const fasv_pl_table *fasv_planner_entry(const fasv_pl_host *host) {
    (void)host;
    return &k_table;
}
