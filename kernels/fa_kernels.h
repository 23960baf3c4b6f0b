/* kernels/fa_kernels.h — the attention kernels, in the HIP dialect.
 *
 * Owns: the device code of the three families and the split combine step:
 *   fa_vec_kernel<D, TK, TV, NC>  decode: exact head size D (Dk = Dv = D),
 *       K/V types fixed at compile time, up to NC = ncols1*ncols2 columns per
 *       block; warps take keys round-robin, each lane owns D/WARP elements,
 *       q.k reduced with xor shuffles; warps merged at the end in a fixed order.
 *   fa_tile_kernel<DK, DV, NC, CT>  general fallback: runtime Dk <= DK,
 *       Dv <= DV, runtime K/V types converted into shared memory as CT (f32,
 *       or f16 where the route's compute type says so; arithmetic in f32),
 *       kv_tile keys per step, scores in shared memory, accumulators in
 *       registers.
 *   fa_combine_kernel  merges n_split partials (O, M, L) of a row, adds the sink.
 * Both cores run either whole (n_split == 1: write out) or as split-KV
 * partials (n_split > 1: write (O, M, L) of their KV chunk to scratch).
 * Online softmax in f32; all-masked rows give 0; a sink adds exp(sink - M)
 * to the denominator only. No atomics and fixed reduction orders, so the same
 * input gives bit-identical output. Warp-size generic (FA_WARP_SIZE).
 * Must not know: planners, routes, the host runtime (kernels/gpu/launch.hip
 * launches them).
 */
#ifndef FASV_FA_KERNELS_H
#define FASV_FA_KERNELS_H

#include "gpu/compat.h"
#include "gpu/fa_index.h"

#define FA_MAX_THREADS 256
#define FA_NEG_INF (-__builtin_huge_valf())

static __device__ __forceinline__ float fa_warp_sum(float a) {
#pragma unroll
    for (int o = FA_WARP_SIZE / 2; o > 0; o >>= 1) a += fa_shfl_xor(a, o);
    return a;
}
static __device__ __forceinline__ float fa_warp_max(float a) {
#pragma unroll
    for (int o = FA_WARP_SIZE / 2; o > 0; o >>= 1) a = fmaxf(a, fa_shfl_xor(a, o));
    return a;
}

/* Logit of key j for column (i, h): scale, softcap, then slope * mask. */
static __device__ __forceinline__ float fa_logit(const fa_params &p, float dot, int j, int i, int h, int s,
                                                 float slope) {
    float x = dot * p.scale;
    if (p.softcap != 0.0f) x = p.softcap * tanhf(x / p.softcap);
    if (p.has_mask) x += slope * fa_f16(fa_rd16(p.mask + fa_mask_off(&p, j, i, h, s)));
    return x;
}

/* KV range of this block: all keys, or its split's chunk. The test-only
 * KV-tail fault is the classic off-by-one of a tail loop (<= for <): a
 * ragged range reads one key past its end. */
static __device__ __forceinline__ void fa_block_range(const fa_params &p, int split, int *lo, int *hi) {
    if (p.n_split > 1) {
        fa_split_range(&p, split, lo, hi);
    } else {
        *lo = 0;
        *hi = p.n_kv;
    }
    if (p.fault == FA_FAULT_KV_TAIL && *hi > *lo && (*hi - *lo) % p.kv_tile != 0) *hi += 1;
}

/* Write one finished element: the final value, or the split partial. */
static __device__ __forceinline__ void fa_write(const fa_params &p, int d, int i, int h, int s, int split,
                                                float o, float m, float l) {
    if (p.n_split > 1) {
        float *dst = p.part + fa_part_idx(&p, h, i, s, split);
        dst[d] = o;
        if (d == 0) {
            dst[p.dv] = m;
            dst[p.dv + 1] = l;
        }
        return;
    }
    float r = 0.0f;
    if (m != FA_NEG_INF) {
        float mx = m, sink_term = 0.0f, f = 1.0f;
        if (p.has_sinks) {
            const float sk = ((const float *)p.sinks)[h];
            mx = fmaxf(m, sk);
            f = expf(m - mx);
            sink_term = expf(sk - mx);
        }
        r = o * f / (l * f + sink_term);
    }
    p.out[fa_out_idx(&p, d, h, i, s)] = r;
}

/* ---- VEC ----------------------------------------------------------------- */

template <int D, int TK, int TV, int NC>
__global__ void __launch_bounds__(FA_MAX_THREADS) fa_vec_kernel(const fa_params p) {
    constexpr int W = FA_WARP_SIZE;
    constexpr int PER = (D + W - 1) / W;
    extern __shared__ float fa_smem[];
    const int tid = threadIdx.x, lane = tid % W, warp = tid / W, nwarps = blockDim.x / W;
    const int s = blockIdx.z / p.n_split, split = blockIdx.z % p.n_split;
    const int ncols = p.ncols1 * p.ncols2;

    int ci[NC], ch[NC];
    bool valid[NC];
    float slope[NC];
#pragma unroll
    for (int c = 0; c < NC; c++) {
        valid[c] = c < ncols && fa_column(&p, blockIdx.x, blockIdx.y, c, &ci[c], &ch[c]);
        slope[c] = valid[c] ? fa_slope(&p, ch[c]) : 0.0f;
    }

    float *Qs = fa_smem; /* [NC][D] */
    for (int idx = tid; idx < NC * D; idx += blockDim.x) {
        const int c = idx / D, d = idx % D;
        int i, h;
        float x = 0.0f;
        if (c < ncols && fa_column(&p, blockIdx.x, blockIdx.y, c, &i, &h))
            x = ((const float *)(p.q + fa_q_off(&p, i, h, s)))[d];
        Qs[idx] = x;
    }
    __syncthreads();
    float qr[NC][PER];
#pragma unroll
    for (int c = 0; c < NC; c++)
#pragma unroll
        for (int t = 0; t < PER; t++) {
            const int d = lane + t * W;
            qr[c][t] = d < D ? Qs[c * D + d] : 0.0f;
        }

    int lo, hi;
    fa_block_range(p, split, &lo, &hi);
    const int h0 = (blockIdx.y / p.groups) * p.gqa; /* a q head of this block's kv head */
    const uint8_t *kb = p.k + fa_k_off(&p, 0, h0, s);
    const uint8_t *vb = p.v + fa_v_off(&p, 0, h0, s);

    float M[NC], L[NC], acc[NC][PER];
#pragma unroll
    for (int c = 0; c < NC; c++) {
        M[c] = FA_NEG_INF;
        L[c] = 0.0f;
#pragma unroll
        for (int t = 0; t < PER; t++) acc[c][t] = 0.0f;
    }

    for (int j = lo + warp; j < hi; j += nwarps) {
        const uint8_t *kr = kb + (int64_t)j * p.nbk1;
        const uint8_t *vr = vb + (int64_t)j * p.nbv1;
        float kx[PER], vx[PER];
#pragma unroll
        for (int t = 0; t < PER; t++) {
            const int d = lane + t * W;
            kx[t] = d < D ? fa_load(TK, kr, d) : 0.0f;
            vx[t] = d < D ? fa_load(TV, vr, d) : 0.0f;
        }
#pragma unroll
        for (int c = 0; c < NC; c++) {
            float a = 0.0f;
#pragma unroll
            for (int t = 0; t < PER; t++) a += qr[c][t] * kx[t];
            a = fa_warp_sum(a);
            if (!valid[c]) continue;
            const float x = fa_logit(p, a, j, ci[c], ch[c], s, slope[c]);
            if (x == FA_NEG_INF) continue;
            const float mn = fmaxf(M[c], x);
            const float alpha = expf(M[c] - mn); /* 0 when M was -inf */
            const float e = expf(x - mn);
            L[c] = L[c] * alpha + e;
#pragma unroll
            for (int t = 0; t < PER; t++) acc[c][t] = acc[c][t] * alpha + e * vx[t];
            M[c] = mn;
        }
    }

    /* merge the warps in a fixed order */
    __syncthreads();
    float *Ms = fa_smem;          /* [nwarps][NC] */
    float *Ls = Ms + nwarps * NC; /* [nwarps][NC] */
    float *Os = Ls + nwarps * NC; /* [NC][D] */
    if (lane == 0)
#pragma unroll
        for (int c = 0; c < NC; c++) {
            Ms[warp * NC + c] = M[c];
            Ls[warp * NC + c] = L[c];
        }
    __syncthreads();
    float Mg[NC], Lg[NC], f[NC];
#pragma unroll
    for (int c = 0; c < NC; c++) {
        float m = FA_NEG_INF;
        for (int w = 0; w < nwarps; w++) m = fmaxf(m, Ms[w * NC + c]);
        float l = 0.0f;
        for (int w = 0; w < nwarps; w++) {
            const float mw = Ms[w * NC + c];
            if (mw != FA_NEG_INF) l += Ls[w * NC + c] * expf(mw - m);
        }
        Mg[c] = m;
        Lg[c] = l;
        f[c] = M[c] == FA_NEG_INF ? 0.0f : expf(M[c] - m);
    }
    for (int w = 0; w < nwarps; w++) {
        if (warp == w)
#pragma unroll
            for (int c = 0; c < NC; c++)
#pragma unroll
                for (int t = 0; t < PER; t++) {
                    const int d = lane + t * W;
                    if (d < D) Os[c * D + d] = (w == 0 ? 0.0f : Os[c * D + d]) + acc[c][t] * f[c];
                }
        __syncthreads();
    }
#pragma unroll
    for (int c = 0; c < NC; c++) {
        if (!valid[c]) continue;
        for (int d = tid; d < D; d += blockDim.x) fa_write(p, d, ci[c], ch[c], s, split, Os[c * D + d], Mg[c], Lg[c]);
    }
}

/* Dynamic shared memory of fa_vec_kernel, in bytes. */
static inline int64_t fa_vec_smem(int d, int nc, int nwarps) {
    int64_t a = (int64_t)nc * d, b = 2 * (int64_t)nwarps * nc + (int64_t)nc * d;
    return 4 * (a > b ? a : b);
}

/* ---- TILE (and SPLIT partials) -------------------------------------------- */

#define FA_TILE_THREADS 256

/* Storage type of the shared Q and K/V tiles: f32, or f16 where the route's
 * compute type says so (arithmetic is f32 either way). */
static __device__ __forceinline__ float fa_from(float x) { return x; }
static __device__ __forceinline__ float fa_from(__half x) { return __half2float(x); }
template <typename CT> static __device__ __forceinline__ CT fa_to(float x);
template <> __device__ __forceinline__ float fa_to<float>(float x) { return x; }
template <> __device__ __forceinline__ __half fa_to<__half>(float x) { return __float2half_rn(x); }

/* Convert n rows of d values (row j at base + j*nb1, type T) into dst[j*d + e].
 * The type switch sits outside the loop: one loop body per storage type. */
template <int T, typename CT>
static __device__ __forceinline__ void fa_tile_load_t(CT *dst, const uint8_t *base, int64_t nb1, int n, int d) {
    for (int idx = threadIdx.x; idx < n * d; idx += FA_TILE_THREADS) {
        const int j = idx / d, e = idx % d;
        dst[idx] = fa_to<CT>(fa_load(T, base + (int64_t)j * nb1, e));
    }
}
template <typename CT>
static __device__ void fa_tile_load(int t, CT *dst, const uint8_t *base, int64_t nb1, int n, int d) {
    switch (t) {
    case FA_F32: fa_tile_load_t<FA_F32>(dst, base, nb1, n, d); break;
    case FA_F16: fa_tile_load_t<FA_F16>(dst, base, nb1, n, d); break;
    case FA_BF16: fa_tile_load_t<FA_BF16>(dst, base, nb1, n, d); break;
    case FA_Q8_0: fa_tile_load_t<FA_Q8_0>(dst, base, nb1, n, d); break;
    case FA_Q4_0: fa_tile_load_t<FA_Q4_0>(dst, base, nb1, n, d); break;
    case FA_Q4_1: fa_tile_load_t<FA_Q4_1>(dst, base, nb1, n, d); break;
    case FA_Q5_0: fa_tile_load_t<FA_Q5_0>(dst, base, nb1, n, d); break;
    default: fa_tile_load_t<FA_Q5_1>(dst, base, nb1, n, d); break;
    }
}

/* Shared memory fa_tile_kernel uses, in bytes (runtime dk, dv; nc columns;
 * es = 4 for f32 tiles, 2 for f16):
 *   Q [nc][dk] es | KV [kv_tile][max(dk, dv)] es | P [nc][kv_tile] f32 | M, L [nc] f32
 * The accumulators live in registers (SLOTS per thread). Never more than the
 * planner's fasv_tile_smem for the instance's bucket and slots. */
static inline int64_t fa_tile_smem(int dk, int dv, int nc, int kv_tile, int es) {
    const int64_t kvw = dk > dv ? dk : dv;
    return es * ((int64_t)nc * dk + (int64_t)kv_tile * kvw) + 4 * ((int64_t)nc * kv_tile + 2 * (int64_t)nc);
}

/* DK, DV: the head-size bucket (runtime dk <= DK, dv <= DV); NC: column
 * slots (runtime ncols1 * ncols2 <= NC); CT: tile storage type. Runs with
 * FA_TILE_THREADS threads. */
template <int DK, int DV, int NC, typename CT>
__global__ void __launch_bounds__(FA_TILE_THREADS) fa_tile_kernel(const fa_params p) {
    constexpr int W = FA_WARP_SIZE;
    constexpr int SLOTS = (NC * DV + FA_TILE_THREADS - 1) / FA_TILE_THREADS;
    extern __shared__ float fa_smem[];
    const int tid = threadIdx.x, lane = tid % W, warp = tid / W, nwarps = FA_TILE_THREADS / W;
    const int s = blockIdx.z / p.n_split, split = blockIdx.z % p.n_split;
    const int nc = p.ncols1 * p.ncols2, dk = p.dk, dv = p.dv, kt = p.kv_tile;
    const int kvw = dk > dv ? dk : dv;
    CT *Qs = (CT *)fa_smem;
    CT *KV = Qs + nc * dk;
    float *P = (float *)(KV + kt * kvw);
    float *Mc = P + nc * kt;
    float *Lc = Mc + nc;

    for (int idx = tid; idx < nc * dk; idx += FA_TILE_THREADS) {
        const int c = idx / dk, d = idx % dk;
        int i, h;
        float x = 0.0f;
        if (fa_column(&p, blockIdx.x, blockIdx.y, c, &i, &h)) x = ((const float *)(p.q + fa_q_off(&p, i, h, s)))[d];
        Qs[idx] = fa_to<CT>(x);
    }
    for (int c = tid; c < nc; c += FA_TILE_THREADS) Mc[c] = FA_NEG_INF;
    /* the softmax of column c is always done by warp c % nwarps: its running
     * max and sum live in that warp's registers (every lane holds them), and
     * Mc[c] is only the copy the other threads read after a barrier */
    constexpr int CPW = (NC + FA_TILE_THREADS / 64 - 1) / (FA_TILE_THREADS / 64); /* columns per warp, at most */
    float Mr[CPW], Lr[CPW];
#pragma unroll
    for (int k = 0; k < CPW; k++) {
        Mr[k] = FA_NEG_INF;
        Lr[k] = 0.0f;
    }
    float o[SLOTS], mold[SLOTS];
#pragma unroll
    for (int t = 0; t < SLOTS; t++) o[t] = 0.0f;

    int lo, hi;
    fa_block_range(p, split, &lo, &hi);
    const int h0 = (blockIdx.y / p.groups) * p.gqa;
    const uint8_t *kb = p.k + fa_k_off(&p, 0, h0, s);
    const uint8_t *vb = p.v + fa_v_off(&p, 0, h0, s);
    const int tk = p.type_k, tv = p.type_v;
    __syncthreads();

    for (int j0 = lo; j0 < hi; j0 += kt) {
        const int n = hi - j0 < kt ? hi - j0 : kt;
        fa_tile_load<CT>(tk, KV, kb + (int64_t)j0 * p.nbk1, p.nbk1, n, dk);
        /* the accumulators' view of the running max before this tile */
#pragma unroll
        for (int t = 0; t < SLOTS; t++) {
            const int idx = tid + t * FA_TILE_THREADS;
            mold[t] = idx < nc * dv ? Mc[idx / dv] : 0.0f;
        }
        __syncthreads();
        for (int idx = tid; idx < nc * kt; idx += FA_TILE_THREADS) {
            const int c = idx / kt, jj = idx % kt;
            int i, h;
            float x = FA_NEG_INF;
            if (jj < n && fa_column(&p, blockIdx.x, blockIdx.y, c, &i, &h)) {
                /* eight partial sums (dk is a multiple of 8): the rounding
                 * error grows with dk/8, not dk, which an ill-conditioned
                 * row (logits of 1e4, fasv fuzz --gpu seed 1 case 3982)
                 * needs; each key starts at a different group of 8, so
                 * lanes with consecutive keys spread over the banks */
                const CT *q = Qs + c * dk, *kr = KV + jj * dk;
                float a8[8];
#pragma unroll
                for (int u = 0; u < 8; u++) a8[u] = 0.0f;
                int d = (jj * 8) % dk;
                for (int t = 0; t < dk; t += 8) {
#pragma unroll
                    for (int u = 0; u < 8; u++) a8[u] += fa_from(q[d + u]) * fa_from(kr[d + u]);
                    d += 8;
                    if (d >= dk) d = 0;
                }
                const float a = ((a8[0] + a8[1]) + (a8[2] + a8[3])) + ((a8[4] + a8[5]) + (a8[6] + a8[7]));
                x = fa_logit(p, a, j0 + jj, i, h, s, p.use_alibi ? fa_slope(&p, h) : 1.0f);
            }
            P[idx] = x;
        }
        __syncthreads();
        /* online softmax, one warp per column */
#pragma unroll
        for (int k = 0; k < CPW; k++) {
            const int c = warp + k * nwarps;
            if (c >= nc) continue;
            float m = FA_NEG_INF;
            for (int jj = lane; jj < kt; jj += W) m = fmaxf(m, P[c * kt + jj]);
            m = fa_warp_max(m);
            const float mo = Mr[k], mn = fmaxf(mo, m);
            float sum = 0.0f;
            for (int jj = lane; jj < kt; jj += W) {
                const float x = P[c * kt + jj];
                const float e = (x == FA_NEG_INF) ? 0.0f : expf(x - mn);
                P[c * kt + jj] = e;
                sum += e;
            }
            sum = fa_warp_sum(sum);
            Lr[k] = Lr[k] * ((mo == FA_NEG_INF) ? 0.0f : expf(mo - mn)) + sum;
            Mr[k] = mn;
            if (lane == 0) Mc[c] = mn;
        }
        /* V tile (the K tile is no longer read) */
        fa_tile_load<CT>(tv, KV, vb + (int64_t)j0 * p.nbv1, p.nbv1, n, dv);
        __syncthreads();
#pragma unroll
        for (int t = 0; t < SLOTS; t++) {
            const int idx = tid + t * FA_TILE_THREADS;
            if (idx < nc * dv) {
                const int c = idx / dv, d = idx % dv;
                const float mn = Mc[c];
                float acc = o[t] * ((mold[t] == FA_NEG_INF) ? 0.0f : expf(mold[t] - mn));
                const float *pr = P + c * kt;
                for (int jj = 0; jj < n; jj++) acc += pr[jj] * fa_from(KV[jj * dv + d]);
                o[t] = acc;
            }
        }
        __syncthreads();
    }

    /* publish the sums (the last barrier of the loop ordered every read of Mc) */
#pragma unroll
    for (int k = 0; k < CPW; k++) {
        const int c = warp + k * nwarps;
        if (c < nc && lane == 0) Lc[c] = Lr[k];
    }
    __syncthreads();
#pragma unroll
    for (int t = 0; t < SLOTS; t++) {
        const int idx = tid + t * FA_TILE_THREADS;
        if (idx < nc * dv) {
            const int c = idx / dv, d = idx % dv;
            int i, h;
            if (fa_column(&p, blockIdx.x, blockIdx.y, c, &i, &h)) fa_write(p, d, i, h, s, split, o[t], Mc[c], Lc[c]);
        }
    }
    (void)DK;
}

/* ---- split combine ------------------------------------------------------- */

#ifdef FA_DEFINE_KERNELS /* the non-template kernel lives in fa_split.hip only */
/* One block per output row (s, i, h), rows in output order; threads over d. */
__global__ void __launch_bounds__(FA_MAX_THREADS) fa_combine_kernel(const fa_params p) {
    const int64_t row = blockIdx.x;
    const int h = (int)(row % p.n_head), i = (int)((row / p.n_head) % p.n_q), s = (int)(row / ((int64_t)p.n_head * p.n_q));
    const int dv = p.dv, ns = p.n_split;
    const float *base = p.part + fa_part_idx(&p, h, i, s, 0);
    const int64_t stride = dv + 2;
    float m = FA_NEG_INF;
    for (int k = 0; k < ns; k++) m = fmaxf(m, base[k * stride + dv]);
    float l = 0.0f;
    for (int k = 0; k < ns; k++) {
        const float mk = base[k * stride + dv];
        if (mk != FA_NEG_INF) l += base[k * stride + dv + 1] * expf(mk - m);
    }
    for (int d = threadIdx.x; d < dv; d += blockDim.x) {
        float o = 0.0f;
        for (int k = 0; k < ns; k++) {
            const float mk = base[k * stride + dv];
            if (mk != FA_NEG_INF) o += base[k * stride + d] * expf(mk - m);
        }
        fa_params q1 = p;
        q1.n_split = 1;
        fa_write(q1, d, i, h, s, 0, o, m, l);
    }
}

#endif

#endif
