/* mma.c — preconditions and footprint of the MMA (tensor-core) kernel family.
 * See kernels/mma.h for the kernel's structure. Every check is a requirement
 * of the kernel as written, with the reason beside it; the planner never
 * calls these checks to decide. */
#include "kernels/mma.h"

#include <stdio.h>

int fasv_mma_decode_body(const fasv_kinst *k) { return k->family == FASV_FAM_SPLIT && k->ncols == FASV_MMAD_COLS; }

int fasv_mma_kv(const fasv_kinst *k) {
    if (fasv_mma_decode_body(k)) return FASV_MMAD_KV(k->dk);
    return k->dk <= 128 ? 64 : 32;
}

int fasv_mma_stages(const fasv_kinst *k) { return FASV_MMAD_STAGES(k->dk); }

int fasv_mma_threads(const fasv_kinst *k) { return fasv_mma_decode_body(k) ? FASV_MMAD_THREADS(k->dk) : FASV_MMA_THREADS; }

int fasv_mma_q_terms(const fasv_kinst *k) { return k->type_k == FASV_TYPE_BF16 ? 3 : 2; }

int64_t fasv_mma_smem(const fasv_kinst *k) {
    if (fasv_mma_decode_body(k))
        return FASV_MMAD_SMEM(k->dk, fasv_mma_q_terms(k));
    return 2 * ((int64_t)fasv_mma_q_terms(k) * FASV_MMA_COLS * k->dk + 2 * (int64_t)fasv_mma_kv(k) * k->dk);
}

int fasv_mma_check_body(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                        size_t len) {
    /* mma.sync m16n8k16 with f16 and bf16 operands, ldmatrix and cp.async:
     * NVIDIA sm_80 and later (the device code is compiled by nvcc only). */
    if (d->vendor != FASV_VENDOR_NVIDIA || d->cc < 80)
        return fasv_kfail(why, len, "%s needs NVIDIA sm_80+ tensor cores (mma.sync m16n8k16, cp.async); %s has none", k->key,
                    d->name);
    /* Template on the head size: the MMA tiles of Q.K and P.V are unrolled for it. */
    if (fasv_dk(n) != k->dk || fasv_dv(n) != k->dv)
        return fasv_kfail(why, len, "%s is compiled for Dk=%d Dv=%d, the node has Dk=%lld Dv=%lld", k->key, k->dk, k->dv,
                    (long long)fasv_dk(n), (long long)fasv_dv(n));
    /* K and V are the MMA's B operands as stored: one type, compiled in. */
    if ((int)n->k.type != k->type_k || (int)n->v.type != k->type_v)
        return fasv_kfail(why, len, "%s reads K=%s V=%s as tensor-core operands, the node has K=%s V=%s", k->key,
                    fasv_type_name((fasv_type)k->type_k), fasv_type_name((fasv_type)k->type_v),
                    fasv_type_name(n->k.type), fasv_type_name(n->v.type));
    /* K/V tiles are copied with 16-byte cp.async: every row start must be
     * 16-byte aligned (rows of 64..256 f16/bf16 values are whole chunks). */
    if (!fasv_view_aligned16(&n->k))
        return fasv_kfail(why, len, "%s copies K with 16-byte cp.async, but K's offset %lld or a stride nb=[%lld,%lld,%lld] is not a multiple of 16",
                    k->key, (long long)n->k.offset, (long long)n->k.nb[1], (long long)n->k.nb[2], (long long)n->k.nb[3]);
    if (!fasv_view_aligned16(&n->v))
        return fasv_kfail(why, len, "%s copies V with 16-byte cp.async, but V's offset %lld or a stride nb=[%lld,%lld,%lld] is not a multiple of 16",
                    k->key, (long long)n->v.offset, (long long)n->v.nb[1], (long long)n->v.nb[2], (long long)n->v.nb[3]);
    /* P is rounded to f16 (or bf16 hi + lo) for the P.V MMA: the error of the
     * default-precision naive reference, which f32 precision rejects
     * (docs/tolerance.md). */
    if (n->prec != FASV_PREC_DEFAULT)
        return fasv_kfail(why, len, "%s rounds P to %s for the P.V MMA, which ignores the node's f32 precision", k->key,
                    fasv_type_name((fasv_type)k->type_v));
    /* ncols2 heads of one KV head per block, ncols1 * ncols2 <= 64 slots
     * (16 for the decode body: one MMA row tile). */
    if (fasv_kinst_check_columns(k, n, r, why, len)) return 1;
    /* 4 warps of 16 MMA rows (the decode body: FASV_MMAD_WARPS(D) warps over
     * the same 16 rows): __launch_bounds__ and the column mapping. */
    if (r->threads != fasv_mma_threads(k))
        return fasv_kfail(why, len, "%s runs %d threads per block, the route says %d", k->key, fasv_mma_threads(k),
                          r->threads);
    if (r->kv_tile != fasv_mma_kv(k))
        return fasv_kfail(why, len, "%s steps %d keys at a time, the route says kv_tile=%d", k->key, fasv_mma_kv(k),
                    r->kv_tile);
    if (fasv_kcheck_smem(k, d, r, fasv_mma_smem(k), why, len)) return 1;
    /* MMA reads K/V in their storage types. */
    return fasv_kcheck_native_types(k, n, r, why, len);
}

int fasv_mma_accepts(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                     size_t len) {
    if (fasv_mma_check_body(k, d, n, r, why, len)) return 1;
    /* the MMA family runs unsplit (the typed SPLIT instances of 16 slots run
     * the decode body with splits) */
    return fasv_kcheck_direct(k, r, why, len);
}
