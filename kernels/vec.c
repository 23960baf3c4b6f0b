/* vec.c — preconditions and footprint of the VEC kernel family. See
 * kernels/vec.h for the kernel's structure. Every check below is a
 * requirement of the kernel as written, with the reason beside it; the
 * planner (kernels/planner.c) never calls this file's checks to decide. */
#include "kernels/vec.h"

#include <stdio.h>

int fasv_vec_kv(const fasv_kinst *k) { return FASV_VEC_THREADS * FASV_VEC_ROWS * FASV_VEC_CHUNK / k->dk; }

int64_t fasv_vec_smem(const fasv_kinst *k, const fasv_device *d) {
    int64_t warps = FASV_VEC_THREADS / d->warp_size;
    int64_t step = 2 * (int64_t)fasv_vec_kv(k) + warps; /* all warps' score buffers, per column */
    int64_t merge = 2 * warps + k->dv;
    int64_t ring = 2LL * FASV_VEC_STAGES * FASV_VEC_ROWS * 16 * FASV_VEC_THREADS;
    return (int64_t)k->ncols * (step > merge ? step : merge) * 4 + ring;
}

static int is_float(fasv_type t) { return t == FASV_TYPE_F32 || t == FASV_TYPE_F16 || t == FASV_TYPE_BF16; }

int fasv_vec_check_body(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                        size_t len) {
    /* Template on the head size: the loops over D are unrolled for exactly
     * dk (= dv); another D would read past or short of the row. */
    if (fasv_dk(n) != k->dk || fasv_dv(n) != k->dv)
        return fasv_kfail(why, len, "%s is compiled for Dk=%d Dv=%d, the node has Dk=%lld Dv=%lld", k->key, k->dk, k->dv,
                    (long long)fasv_dk(n), (long long)fasv_dv(n));
    /* The K and V loads (vector loads or block dequantisation) are compiled
     * for one storage type each. */
    if ((int)n->k.type != k->type_k || (int)n->v.type != k->type_v)
        return fasv_kfail(why, len, "%s reads K=%s V=%s, the node has K=%s V=%s", k->key,
                    fasv_type_name((fasv_type)k->type_k), fasv_type_name((fasv_type)k->type_v),
                    fasv_type_name(n->k.type), fasv_type_name(n->v.type));
    /* f32/f16/bf16 rows are read with 16-byte vector loads: every row start
     * (offset + i1*nb1 + i2*nb2 + i3*nb3) must be 16-byte aligned. (Rows of
     * 64/128/256 values are whole vectors.) Quantized blocks (18..34 bytes)
     * are read with 2-byte loads, which legality already aligns. */
    if (is_float(n->k.type) && !fasv_view_aligned16(&n->k))
        return fasv_kfail(why, len, "%s reads K with 16-byte vector loads, but K's offset %lld or a stride nb=[%lld,%lld,%lld] is not a multiple of 16",
                    k->key, (long long)n->k.offset, (long long)n->k.nb[1], (long long)n->k.nb[2], (long long)n->k.nb[3]);
    if (is_float(n->v.type) && !fasv_view_aligned16(&n->v))
        return fasv_kfail(why, len, "%s reads V with 16-byte vector loads, but V's offset %lld or a stride nb=[%lld,%lld,%lld] is not a multiple of 16",
                    k->key, (long long)n->v.offset, (long long)n->v.nb[1], (long long)n->v.nb[2], (long long)n->v.nb[3]);
    /* Column packing (ncols2 divides the GQA ratio, ncols1*ncols2 <= slots). */
    if (fasv_kinst_check_columns(k, n, r, why, len)) return 1;
    /* __launch_bounds__(128), and the merge buffer is indexed by warp id. */
    if (r->threads != FASV_VEC_THREADS)
        return fasv_kfail(why, len, "%s runs %d threads per block, the route says %d", k->key, FASV_VEC_THREADS, r->threads);
    /* Keys per block step: fixed by the head size (lanes per row) and the
     * rows each lane loads; split ranges are whole steps. */
    if (r->kv_tile != fasv_vec_kv(k))
        return fasv_kfail(why, len, "%s steps %d keys at a time, the route says kv_tile=%d", k->key, fasv_vec_kv(k),
                    r->kv_tile);
    if (fasv_kcheck_smem(k, d, r, fasv_vec_smem(k, d), why, len)) return 1;
    /* VEC reads K/V natively. */
    return fasv_kcheck_native_types(k, n, r, why, len);
}

int fasv_vec_accepts(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                     size_t len) {
    if (fasv_vec_check_body(k, d, n, r, why, len)) return 1;
    /* typed SPLIT instances run the same body with splits */
    return fasv_kcheck_direct(k, r, why, len);
}
