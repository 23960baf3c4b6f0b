/* registry.c — the instance table from instances.def, and the contract check
 * that dispatches to each family's preconditions. See kernels/registry.h. */
#include "kernels/registry.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernels/mma.h"
#include "kernels/split.h"
#include "kernels/tile.h"
#include "kernels/vec.h"

#define FASV_FAM_vec FASV_FAM_VEC
#define FASV_FAM_tile FASV_FAM_TILE
#define FASV_FAM_split FASV_FAM_SPLIT
#define FASV_FAM_mma FASV_FAM_MMA

static const fasv_kinst k_table[] = {
#define FASV_INSTANCE(fam, dk, dv, tk, tv, nc, nc2) \
    {FASV_FAM_##fam, dk, dv, FASV_KT_##tk, FASV_KT_##tv, nc, nc2, #fam ":" #dk "x" #dv ":" #tk "," #tv ":c" #nc "g" #nc2},
#include "kernels/instances.def"
#undef FASV_INSTANCE
};

#define N_INST ((int)(sizeof k_table / sizeof k_table[0]))

const fasv_kinst *fasv_registry(int *count) {
    if (count) *count = N_INST;
    return k_table;
}

const fasv_kinst *fasv_registry_get(int index) { return index >= 0 && index < N_INST ? &k_table[index] : NULL; }

int fasv_registry_find(fasv_family f, int dk, int dv, int type_k, int type_v, int ncols) {
    for (int i = 0; i < N_INST; i++) {
        const fasv_kinst *k = &k_table[i];
        if (k->family == f && k->dk == dk && k->dv == dv && k->type_k == type_k && k->type_v == type_v &&
            k->ncols == ncols)
            return i;
    }
    return -1;
}

static int fail(char *why, size_t len, const char *fmt, ...) {
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return 1;
}

int fasv_kinst_check_columns(const fasv_kinst *k, const fasv_node *n, const fasv_route *r, char *why, size_t len) {
    int64_t gqa = fasv_gqa(n);
    /* A block's ncols2 heads h0 .. h0+ncols2-1 (h0 a multiple of ncols2) must
     * read one KV head: true for every block iff ncols2 divides the ratio. */
    if (r->ncols2 < 1 || r->ncols2 > k->ncols2_max)
        return fail(why, len, "%s packs at most %d GQA heads per block, the route asks for %d", k->key, k->ncols2_max,
                    r->ncols2);
    if (gqa % r->ncols2)
        return fail(why, len, "ncols2=%d does not divide the GQA ratio %lld: a block would straddle two KV heads",
                    r->ncols2, (long long)gqa);
    if (r->ncols1 < 1 || (int64_t)r->ncols1 * r->ncols2 > k->ncols)
        return fail(why, len, "%s has %d column slots, the route asks for %dx%d", k->key, k->ncols, r->ncols1,
                    r->ncols2);
    return 0;
}

int fasv_view_aligned16(const fasv_tensor *t) {
    if (t->offset % 16) return 0;
    for (int i = 1; i < 4; i++)
        if (t->ne[i] > 1 && t->nb[i] % 16) return 0;
    return 1;
}

static unsigned fam_bit(fasv_family f) {
    switch (f) {
    case FASV_FAM_VEC: return FASV_FAMBIT_VEC;
    case FASV_FAM_TILE: return FASV_FAMBIT_TILE;
    case FASV_FAM_SPLIT: return FASV_FAMBIT_SPLIT;
    case FASV_FAM_MMA: return FASV_FAMBIT_MMA;
    default: return 0;
    }
}

int fasv_registry_contract(const fasv_device *dev, const fasv_node *n, const fasv_route *r, char *why, size_t len) {
    const fasv_kinst *k = fasv_registry_get(r->instance);
    if (!k) return fail(why, len, "instance %d does not exist (the registry has %d)", r->instance, N_INST);
    if (k->family != r->family)
        return fail(why, len, "instance %d is %s, the route says %s", r->instance, fasv_family_name(k->family),
                    fasv_family_name(r->family));
    if (strcmp(k->key, r->key) != 0)
        return fail(why, len, "instance %d is %s, the route names %s", r->instance, k->key, r->key);
    if (!(dev->families & fam_bit(k->family)))
        return fail(why, len, "%s is not compiled for %s (families of the device exclude %s)", k->key, dev->name,
                    fasv_family_name(k->family));
    switch (k->family) {
    case FASV_FAM_VEC: return fasv_vec_accepts(k, dev, n, r, why, len);
    case FASV_FAM_TILE: return fasv_tile_accepts(k, dev, n, r, why, len);
    case FASV_FAM_SPLIT: return fasv_split_accepts(k, dev, n, r, why, len);
    case FASV_FAM_MMA: return fasv_mma_accepts(k, dev, n, r, why, len);
    default: return fail(why, len, "family %s has no preconditions in this registry", fasv_family_name(k->family));
    }
}
