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

int fasv_kinst_check_columns(const fasv_kinst *k, const fasv_node *n, const fasv_route *r, char *why, size_t len) {
    int64_t gqa = fasv_gqa(n);
    /* A block's ncols2 heads h0 .. h0+ncols2-1 (h0 a multiple of ncols2) must
     * read one KV head: true for every block iff ncols2 divides the ratio. */
    if (r->ncols2 < 1 || r->ncols2 > k->ncols2_max)
        return fasv_kfail(why, len, "%s packs at most %d GQA heads per block, the route asks for %d", k->key, k->ncols2_max,
                    r->ncols2);
    if (gqa % r->ncols2)
        return fasv_kfail(why, len, "ncols2=%d does not divide the GQA ratio %lld: a block would straddle two KV heads",
                    r->ncols2, (long long)gqa);
    if (r->ncols1 < 1 || (int64_t)r->ncols1 * r->ncols2 > k->ncols)
        return fasv_kfail(why, len, "%s has %d column slots, the route asks for %dx%d", k->key, k->ncols, r->ncols1,
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
    if (!k) return fasv_kfail(why, len, "instance %d does not exist (the registry has %d)", r->instance, N_INST);
    if (k->family != r->family)
        return fasv_kfail(why, len, "instance %d is %s, the route says %s", r->instance, fasv_family_name(k->family),
                    fasv_family_name(r->family));
    if (strcmp(k->key, r->key) != 0)
        return fasv_kfail(why, len, "instance %d is %s, the route names %s", r->instance, k->key, r->key);
    if (!(dev->families & fam_bit(k->family)))
        return fasv_kfail(why, len, "%s is not compiled for %s (families of the device exclude %s)", k->key, dev->name,
                    fasv_family_name(k->family));
    switch (k->family) {
    case FASV_FAM_VEC: return fasv_vec_accepts(k, dev, n, r, why, len);
    case FASV_FAM_TILE: return fasv_tile_accepts(k, dev, n, r, why, len);
    case FASV_FAM_SPLIT: return fasv_split_accepts(k, dev, n, r, why, len);
    case FASV_FAM_MMA: return fasv_mma_accepts(k, dev, n, r, why, len);
    default: return fasv_kfail(why, len, "family %s has no preconditions in this registry", fasv_family_name(k->family));
    }
}

/* ---- pieces of the families' preconditions -------------------------------- */

int fasv_kfail(char *why, size_t len, const char *fmt, ...) {
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return 1;
}

int fasv_kcheck_smem(const fasv_kinst *k, const fasv_device *d, const fasv_route *r, int64_t smem, char *why,
                     size_t len) {
    /* The launcher reserves exactly the route's shared memory. */
    if (r->smem_bytes != smem)
        return fasv_kfail(why, len, "%s needs %lld bytes of shared memory on %s (warp %d), the route reserves %lld",
                          k->key, (long long)smem, d->name, d->warp_size, (long long)r->smem_bytes);
    if (smem > d->smem_per_block)
        return fasv_kfail(why, len, "%s needs %lld bytes of shared memory, %s allows %d per block", k->key,
                          (long long)smem, d->name, d->smem_per_block);
    return 0;
}

int fasv_kcheck_native_types(const fasv_kinst *k, const fasv_node *n, const fasv_route *r, char *why, size_t len) {
    if (r->eff_type_k != (int)n->k.type || r->eff_type_v != (int)n->v.type)
        return fasv_kfail(why, len, "%s reads K/V in their storage types (%s, %s); the route reports %s, %s", k->key,
                          fasv_type_name(n->k.type), fasv_type_name(n->v.type),
                          r->eff_type_k >= 0 ? fasv_type_name((fasv_type)r->eff_type_k) : "?",
                          r->eff_type_v >= 0 ? fasv_type_name((fasv_type)r->eff_type_v) : "?");
    return 0;
}

int fasv_kcheck_direct(const fasv_kinst *k, const fasv_route *r, char *why, size_t len) {
    /* A family that writes the output directly does not split; the route's
     * scratch is the planner's reservation, which it does not use. */
    if (r->n_split != 1 || r->scratch_bytes < 0)
        return fasv_kfail(why, len, "%s does not split KV (route: split=%d scratch=%lld)", k->key, r->n_split,
                          (long long)r->scratch_bytes);
    return 0;
}
