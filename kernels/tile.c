/* tile.c — preconditions, compute type and footprint of the TILE kernel
 * family (and the part SPLIT shares). See kernels/tile.h for the kernel's
 * structure. Every check is a requirement of the kernel as written. */
#include "kernels/tile.h"

#include <stdio.h>

int64_t fasv_tile_smem(const fasv_kinst *k, int kv_tile, fasv_type ct) {
    int64_t es = ct == FASV_TYPE_F16 ? 2 : 4;
    int64_t dmax = k->dk > k->dv ? k->dk : k->dv;
    return (int64_t)k->ncols * k->dk * es + (int64_t)kv_tile * dmax * es + (int64_t)k->ncols * kv_tile * 4 +
           (int64_t)k->ncols * 2 * 4;
}

static int f16_or_quant(fasv_type t) { return t != FASV_TYPE_F32 && t != FASV_TYPE_BF16; }

/* No node: the kernels convert K/V tiles to f32 on every device. The f16
 * tiles this once allowed (fast fp16, default precision, f16 or quantized
 * K/V) round Q and dequantized K/V to f16, and on adversarial data (logits of
 * 1e4, q8_0 blocks near the f16 limit) that broke the tolerance model: 78
 * findings in 150 s of `fasv fuzz --gpu` on an H200 (corpus/regress/gpu-f16-*),
 * and the oracle's kernel-like reference with q_f16/kv_f16 fails the same
 * cases while its f32 form passes them. Neither the node nor the device can
 * tell when the values fit, so the f16 path is closed. */
int fasv_tile_f16_ok(const fasv_device *d, const fasv_node *n) {
    (void)d, (void)n, (void)f16_or_quant;
    return 0;
}

int fasv_tile_check_common(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r,
                           char *why, size_t len) {
    int64_t dk = fasv_dk(n), dv = fasv_dv(n);
    /* Shared arrays are laid out for the bucket: a larger D would overrun them. */
    if (dk > k->dk || dv > k->dv)
        return fasv_kfail(why, len, "%s holds Dk<=%d Dv<=%d, the node has Dk=%lld Dv=%lld", k->key, k->dk, k->dv,
                    (long long)dk, (long long)dv);
    /* The loader converts 8 values per thread step and the dot products are
     * unrolled by 8 with a run-time trip count. */
    if (dk % FASV_TILE_D_STEP || dv % FASV_TILE_D_STEP)
        return fasv_kfail(why, len, "%s steps head sizes by %d values, the node has Dk=%lld Dv=%lld", k->key,
                    FASV_TILE_D_STEP, (long long)dk, (long long)dv);
    if (fasv_kinst_check_columns(k, n, r, why, len)) return 1;
    /* __launch_bounds__(256); the loader's thread-to-row mapping assumes it. */
    if (r->threads != FASV_TILE_THREADS)
        return fasv_kfail(why, len, "%s runs %d threads per block, the route says %d", k->key, FASV_TILE_THREADS, r->threads);
    /* Score tiles are processed 8 keys per thread step; the unroll is bounded by 128. */
    if (r->kv_tile < FASV_TILE_KV_MIN || r->kv_tile > FASV_TILE_KV_MAX || r->kv_tile % 8)
        return fasv_kfail(why, len, "%s needs kv_tile a multiple of 8 in [8, 128], the route says %d", k->key, r->kv_tile);
    /* One compute type for K and V: f16 or f32. */
    if (r->eff_type_k != r->eff_type_v || (r->eff_type_k != FASV_TYPE_F16 && r->eff_type_k != FASV_TYPE_F32))
        return fasv_kfail(why, len, "%s computes K and V in one type, f16 or f32; the route reports %s, %s", k->key,
                    r->eff_type_k >= 0 ? fasv_type_name((fasv_type)r->eff_type_k) : "?",
                    r->eff_type_v >= 0 ? fasv_type_name((fasv_type)r->eff_type_v) : "?");
    fasv_type ct = (fasv_type)r->eff_type_k;
    if (ct == FASV_TYPE_F16 && !fasv_tile_f16_ok(d, n)) {
        if (!d->fast_fp16)
            return fasv_kfail(why, len, "%s has no f16 path on %s (compiled only for fast-fp16 architectures)", k->key,
                        d->name);
        if (n->prec != FASV_PREC_DEFAULT)
            return fasv_kfail(why, len, "%s in f16 ignores the node's f32 precision", k->key);
        return fasv_kfail(why, len, "%s in f16 cannot hold %s/%s K/V values (f16 range)", k->key, fasv_type_name(n->k.type),
                    fasv_type_name(n->v.type));
    }
    /* The launcher allocates exactly the route's shared memory. */
    int64_t smem = fasv_tile_smem(k, r->kv_tile, ct);
    if (r->smem_bytes != smem)
        return fasv_kfail(why, len, "%s with kv_tile=%d in %s needs %lld bytes of shared memory, the route reserves %lld",
                    k->key, r->kv_tile, fasv_type_name(ct), (long long)smem, (long long)r->smem_bytes);
    if (smem > d->smem_per_block)
        return fasv_kfail(why, len, "%s with kv_tile=%d in %s needs %lld bytes of shared memory, %s allows %d per block",
                    k->key, r->kv_tile, fasv_type_name(ct), (long long)smem, d->name, d->smem_per_block);
    return 0;
}

int fasv_tile_accepts(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                      size_t len) {
    if (fasv_tile_check_common(k, d, n, r, why, len)) return 1;
    return fasv_kcheck_direct(k, r, why, len); /* SPLIT runs the same loop with splits */
}
