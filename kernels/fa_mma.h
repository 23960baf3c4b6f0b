/* kernels/fa_mma.h — the MMA family's device code: NVIDIA tensor cores.
 *
 * Owns: the two tensor-core bodies (mma.sync m16n8k16, f32 accumulation)
 * and their shared-memory footprints: fa_mma_kernel<D, T> (the MMA family:
 * prefill and multi-row batches, unsplit) and fa_mmad_kernel<D, T> (the
 * decode body of the typed SPLIT instances of 16 slots), which share the Q
 * staging, the Q.K, softmax and P.V steps below. Compiled by nvcc only
 * (kernels/fa_mma.hip and fa_split.hip include it under FASV_CUDA; the HIP
 * build keeps the launch-table entries without kernels, and no AMD device
 * routes them). kernels/mma.h lists the preconditions this code relies on.
 *
 * fa_mma_kernel. A block of 128 threads = 4 warps holds 64 column slots
 * (ncols1 query rows x ncols2 GQA heads of one KV head, fa_column's
 * mapping); warp w owns slots 16r..16r+15 with r = (w + blockIdx.z) % 4,
 * the M rows of its MMA tiles. Per
 * step of KT keys (64 for D <= 128, 32 for D = 256):
 *     V(j) loads (cp.async)  |  S = Q.K(j)^T on the tensor cores, logits,
 *                            |  online softmax in registers
 *     K(j+1) loads           |  O += P.V(j) on the tensor cores
 * (where Q's fragments fit in registers, two K/V stages instead).
 * fa_mmad_kernel. Decode has at most 16 rows (n_q = 1 x up to 8 heads), one
 * MMA row tile: all 4 warps hold it and each takes its own 16 keys of every
 * 64, through its own cp.async ring, without block barriers; the warps'
 * (O, max, sum) are merged at the end in a fixed order.
 * K and V tiles live in shared memory as rows of D 2-byte values whose
 * 16-byte chunks are XOR-swizzled by (row % 8), so that ldmatrix reads of 8
 * rows hit 8 different bank groups; rows past the KV range are zero-filled
 * (cp.async with source size 0) and their scores set to -inf, so padding
 * (NaN in fasv's buffers) is never read into a result.
 *
 * Numerics (see kernels/mma.h and bench/calib_mma.c, which emulates this
 * arithmetic on the CPU and judges it with the tolerance model):
 *  - K and V are MMA operands as stored (f16 and bf16 are exact in their type).
 *  - Q (f32) is scaled per row by 2^e (f16: so that max|q| lands in
 *    [2^14, 2^15): no overflow, no subnormal loss; bf16 has f32's range,
 *    e = 0) and split into f16 hi + lo (22 significant bits) or bf16 hi + mid
 *    + lo (24 bits); one MMA per term into one f32 accumulator, so Q.K is as
 *    accurate as an f32 dot product. The logit is acc * (scale * 2^-e).
 *  - P = exp(x - m) in f32. f16: scaled by 2^15 (p <= 1, so it fits) and
 *    rounded for one P.V MMA: the relative rounding of the naive
 *    default-precision reference, without its subnormal loss below 6e-5
 *    (which failed adversarial rows in bench/calib_mma); bf16: split into hi
 *    + lo for two MMAs (bf16 alone is 8 times coarser). The row sum adds the
 *    rounded values, so the output is an exact convex combination of the
 *    weights the MMA used, and the 2^15 cancels in O / l.
 * Split-KV: the decode body runs block (query block, head group, sequence x
 * split) over its split's KV range and writes (O, max, sum) partials, O and
 * the sum scaled back from the P scale, for fa_combine_kernel.
 * No atomics; fixed reduction orders: the same input gives the same bits.
 * Must not know: planners, routes, the host runtime.
 */
#ifndef FASV_FA_MMA_H
#define FASV_FA_MMA_H

#include "fa_kernels.h"
#include "kernels/mma.h"

#define FA_MMA_THREADS 128
#define FA_MMA_COLS 64

/* Keys per step, terms of Q and shared memory (bytes) of fa_mma_kernel<d, t>:
 * the planner's fasv_mma_kv, fasv_mma_q_terms and fasv_mma_smem. */
static inline int fa_mma_kv(int d) { return d <= 128 ? 64 : 32; }
static inline int fa_mma_terms(int t) { return t == FA_BF16 ? 3 : 2; }
static inline int64_t fa_mma_smem(int d, int t) {
    return 2 * ((int64_t)fa_mma_terms(t) * FA_MMA_COLS * d + 2 * (int64_t)fa_mma_kv(d) * d);
}

/* The decode body fa_mmad_kernel<d, t> (typed SPLIT instances of 16 slots):
 * 16 rows, each of the FA_MMAD_WARPS(d) warps FA_MMAD_WK keys per block
 * step of FA_MMAD_KV(d), a ring of FA_MMAD_STAGES(d) sub-tiles per warp.
 * Shared memory: 16 row factors (f32) and 16 row destinations (int64
 * offsets of the rows' partials), Q terms x 16 x d, and warps x stages
 * x (K, V) x WK x d, in 2-byte elements (the planner's fasv_mma_smem for these
 * instances; the end-of-loop merge reuses the rings and Q's area). */
#define FA_MMAD_COLS 16
#define FA_MMAD_WK 16
/* kernels/mma.h: one definition of warps, stages and keys per step for the
 * planner and this code */
#define FA_MMAD_WARPS(d) FASV_MMAD_WARPS(d)
#define FA_MMAD_THREADS(d) FASV_MMAD_THREADS(d)
#define FA_MMAD_KV(d) FASV_MMAD_KV(d)
#define FA_MMAD_STAGES(d) FASV_MMAD_STAGES(d)
static inline int64_t fa_mmad_smem(int d, int t) { return FASV_MMAD_SMEM(d, fa_mma_terms(t)); }
#ifndef FASV_MMAD_EVICT_FIRST /* a benchmark knob: 0 copies K/V without the L2 evict-first policy */
#define FASV_MMAD_EVICT_FIRST 1
#endif

#if defined(FASV_CUDA)
#include <cuda_bf16.h>

static __device__ __forceinline__ uint32_t fa_smem_addr(const void *p) {
    return (uint32_t)__cvta_generic_to_shared(p);
}
/* 16 bytes global -> shared, bypassing L1; src_bytes 0 zero-fills. */
static __device__ __forceinline__ void fa_cp16(uint32_t dst, const void *src, int src_bytes) {
    asm volatile("cp.async.cg.shared.global.L2::128B [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes)
                 : "memory");
}
/* The same with an L2 cache policy (createpolicy), e.g. evict-first for a
 * stream read once. */
static __device__ __forceinline__ void fa_cp16_pol(uint32_t dst, const void *src, int src_bytes, uint64_t pol) {
    asm volatile("cp.async.cg.shared.global.L2::cache_hint.L2::128B [%0], [%1], 16, %2, %3;\n" ::"r"(dst), "l"(src),
                 "r"(src_bytes), "l"(pol)
                 : "memory");
}
static __device__ __forceinline__ uint64_t fa_policy_evict_first(void) {
    uint64_t pol;
    asm volatile("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;\n" : "=l"(pol));
    return pol;
}
static __device__ __forceinline__ void fa_cp_commit(void) { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N> static __device__ __forceinline__ void fa_cp_wait(void) {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}
static __device__ __forceinline__ void fa_ldsm4(uint32_t r[4], uint32_t addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr)
                 : "memory");
}
static __device__ __forceinline__ void fa_ldsm4t(uint32_t r[4], uint32_t addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr)
                 : "memory");
}
/* c += a.b, m16n8k16, f32 accumulators; T = FA_F16 or FA_BF16 operands. */
template <int T>
static __device__ __forceinline__ void fa_mma(float c[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
    if (T == FA_F16)
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                     "{%0, %1, %2, %3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
    else
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, "
                     "%9}, {%0, %1, %2, %3};\n"
                     : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

/* Two floats rounded (RN) to f16 and packed (lo in the low half), and the
 * packed values widened back. */
static __device__ __forceinline__ uint32_t fa_pack_f16x2(float lo, float hi) {
    uint32_t r;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}
static __device__ __forceinline__ void fa_unpack_f16x2(uint32_t r, float *lo, float *hi) {
    asm("{\n .reg .f16 l, h;\n mov.b32 {l, h}, %2;\n cvt.f32.f16 %0, l;\n cvt.f32.f16 %1, h;\n}\n"
        : "=f"(*lo), "=f"(*hi)
        : "r"(r));
}

/* Round to the operand type (RN) and back; bits of the rounded value. */
template <int T> static __device__ __forceinline__ unsigned short fa_rnd_bits(float x, float *back) {
    if (T == FA_F16) {
        const __half h = __float2half_rn(x);
        *back = __half2float(h);
        return __half_as_ushort(h);
    }
    const __nv_bfloat16 b = __float2bfloat16_rn(x);
    *back = __bfloat162float(b);
    return __bfloat16_as_ushort(b);
}

/* Byte offset of element (row, col) in a swizzled [rows][D] tile of 2-byte
 * values: 16-byte chunk c of row r is stored at chunk c ^ (r % 8). */
template <int D> static __device__ __forceinline__ uint32_t fa_sw(int row, int col) {
    return (uint32_t)(row * D + ((((col >> 3) ^ (row & 7))) << 3) + (col & 7)) * 2u;
}

/* Copy keys [j0, j0 + KT) of K or V (rows at base + j * nb1) into a swizzled
 * tile with 16-byte cp.async; rows at or past hi are zero-filled. */
template <int D, int KT>
static __device__ __forceinline__ void fa_mma_load(uint32_t tile, const uint8_t *base, int64_t nb1, int j0, int hi) {
    constexpr int CPR = D / 8;
    static_assert((KT * CPR) % FA_MMA_THREADS == 0, "whole copies per thread");
#pragma unroll
    for (int t = 0; t < KT * CPR / FA_MMA_THREADS; t++) {
        const int idx = threadIdx.x + t * FA_MMA_THREADS, r = idx / CPR, c = idx % CPR, j = j0 + r;
        const bool ok = j < hi;
        fa_cp16(tile + fa_sw<D>(r, c * 8), base + (int64_t)(ok ? j : j0) * nb1 + c * 16, ok ? 16 : 0);
    }
}

/* ---- pieces shared by the two bodies ------------------------------------ */

/* A block's column slots -> (query row, head): fa_vec_col, which divides
 * (fa_cols_div), or with the block's kv head and head group already known
 * and ncols2 a fast divisor (fa_cols_fast: the decode body's prologue, where
 * every instruction before the first loads counts) */
struct fa_cols_div {
    __device__ bool operator()(const fa_params &p, int c, int *i, int *h) const { return fa_vec_col(p, c, i, h); }
    /* whether slot c has a column; *off: its Q row's byte offset (sequence s) */
    __device__ bool q(const fa_params &p, int c, int s, int64_t *off) const {
        int i, h;
        const bool ok = fa_vec_col(p, c, &i, &h);
        *off = ok ? fa_q_off(&p, i, h, s) : 0;
        return ok;
    }
};
struct fa_cols_fast {
    int hkv, g;
    int64_t qb; /* the Q byte offset of the block's slot 0 (fa_slot_q_base) */
    __device__ fa_cols_fast(const fa_params &p, int hkv_, int g_, int s)
        : hkv(hkv_), g(g_), qb(fa_slot_q_base(&p, (int)blockIdx.x, hkv_, g_, s)) {}
    __device__ bool operator()(const fa_params &p, int c, int *i, int *h) const {
        return c < p.ncols1 * p.ncols2 && fa_column_fast(&p, blockIdx.x, hkv, g, c, i, h);
    }
    __device__ bool q(const fa_params &p, int c, int s, int64_t *off) const {
        (void)s; /* in qb */
        return fa_slot_q_fast(&p, (int)blockIdx.x, g, qb, c, off);
    }
};

/* Stage 4 rows of Q: column slots c0 + CS u (u < 4) of the block go to rows
 * q0 + CS u of Qs ([NT][QROWS][D], swizzled), scaled by 2^e and split into
 * NT terms; fac[u] = the logit factor scale * 2^-e of row u, 0 where the
 * column does not exist (its row gets zeros, the values the split gives 0).
 * Every load of the group is issued before the first is used. Returns
 * whether any of the 4 columns exists. In two halves, so that the decode
 * body can issue its first K/V copies between them: fa_mma_load_q4 (the
 * loads into registers), fa_mma_split_q4 (the rest). Cols: the slots'
 * columns (fa_cols_div or fa_cols_fast). */
template <int D, int CS = 1, typename Cols = fa_cols_div>
static __device__ __forceinline__ void fa_mma_load_q4(const fa_params &p, int c0, int s, int lane, float (&qg)[4][D / 32],
                                                      bool okg[4], const Cols &col = Cols()) {
#pragma unroll
    for (int u = 0; u < 4; u++) {
        int64_t off;
        okg[u] = col.q(p, c0 + CS * u, s, &off);
        const float *qr = (const float *)(p.q + (okg[u] ? off : 0));
#pragma unroll
        for (int t = 0; t < D / 32; t++) qg[u][t] = okg[u] ? qr[lane + 32 * t] : 0.0f;
    }
}
template <int D, int T, int NT, int QROWS, int CS = 1>
static __device__ __forceinline__ bool fa_mma_split_q4(const fa_params &p, uint16_t *Qs, int q0, int lane,
                                                       float (&qg)[4][D / 32], const bool okg[4], float fac[4]) {
    bool any = false;
    /* term `term` of element lane + 32 t of row u's slot */
    auto qs = [&](int term, int u, int t) -> uint16_t & {
        return Qs[term * QROWS * D + fa_sw<D>(q0 + CS * u, lane + 32 * t) / 2];
    };
#pragma unroll
    for (int u = 0; u < 4; u++) {
        any |= okg[u];
        if (!okg[u]) { /* uniform over the warp: zeros, without the split's arithmetic */
            fac[u] = 0.0f;
#pragma unroll
            for (int t = 0; t < D / 32; t++)
#pragma unroll
                for (int term = 0; term < NT; term++) qs(term, u, t) = 0;
            continue;
        }
        float mx = 0.0f;
#pragma unroll
        for (int t = 0; t < D / 32; t++) mx = fmaxf(mx, fabsf(qg[u][t]));
        mx = fa_warp_max(mx);
        int e = 0;
        if (T == FA_F16 && mx > 0.0f && mx <= 3.402823466e38f) {
            /* mx = m * 2^ex, m in [0.5, 1): frexpf's exponent, read from the
             * bits where mx is normal (fewer instructions; the same value) */
            const int be = (__float_as_int(mx) >> 23) & 0xff;
            int ex = be - 126;
            if (be == 0) frexpf(mx, &ex); /* subnormal */
            e = 15 - ex;
            e = e < -126 ? -126 : e > 126 ? 126 : e;
        }
        /* 2^e and 2^-e, e in [-126, 126]: normal floats, built from their
         * bits (ldexpf's values) */
        const float f = __int_as_float((127 + e) << 23);
        fac[u] = p.scale * __int_as_float((127 - e) << 23);
#pragma unroll
        for (int t = 0; t < D / 32; t++) {
            float x = qg[u][t] * f, back;
#pragma unroll
            for (int term = 0; term < NT; term++) {
                const unsigned short b = fa_rnd_bits<T>(x, &back);
                qs(term, u, t) = b;
                x -= back; /* exact: the rounding residual of a wider value */
            }
        }
    }
    return any;
}
template <int D, int T, int NT, int QROWS>
static __device__ __forceinline__ bool fa_mma_stage_q4(const fa_params &p, uint16_t *Qs, int c0, int q0, int s,
                                                       int lane, float fac[4]) {
    float qg[4][D / 32];
    bool okg[4];
    fa_mma_load_q4<D>(p, c0, s, lane, qg, okg);
    return fa_mma_split_q4<D, T, NT, QROWS>(p, Qs, q0, lane, qg, okg, fac);
}

/* A fragments of Q term u, k-chunk kc, for the 16 rows q0..q0+15 of Qs. */
template <int D, int QROWS>
static __device__ __forceinline__ void fa_mma_qfrag(uint32_t r[4], uint32_t sQ, int u, int kc, int q0, int lane) {
    const int mi = lane >> 3, row = q0 + (mi & 1) * 8 + (lane & 7), col = kc * 16 + (mi >> 1) * 8;
    fa_ldsm4(r, sQ + u * QROWS * D * 2 + fa_sw<D>(row, col));
}

/* S = Q.K^T for NK keys (the swizzled tile at address kt) and 16 rows: Q's
 * fragments from registers (QREG: qa) or from Qs rows q0.. (sQ). */
template <int D, int T, int NT, int NK, bool QREG, int QROWS, bool TERMS = false>
static __device__ __forceinline__ void fa_mma_scores(float (&sc)[NK / 8][4], uint32_t (&qa)[QREG ? NT * (D / 16) : 1][4],
                                                     uint32_t sQ, int q0, uint32_t kt, int lane) {
    /* TERMS: Q's lower terms accumulate apart from the high term (added at
     * the end, lowest first), which cuts the chain of dependent MMAs by NT;
     * the decode body's 16 keys have no other independent chains to hide it */
    constexpr int NX = TERMS ? NT - 1 : 1;
    float sx[NX][NK / 8][4];
#pragma unroll
    for (int n = 0; n < NK / 8; n++) sc[n][0] = sc[n][1] = sc[n][2] = sc[n][3] = 0.0f;
#pragma unroll
    for (int u = 0; u < NX; u++)
#pragma unroll
        for (int n = 0; n < NK / 8; n++) sx[u][n][0] = sx[u][n][1] = sx[u][n][2] = sx[u][n][3] = 0.0f;
#pragma unroll
    for (int kc = 0; kc < D / 16; kc++) {
        uint32_t qf[NT][4];
#pragma unroll
        for (int u = 0; u < NT; u++) {
            if (QREG) {
#pragma unroll
                for (int x = 0; x < 4; x++) qf[u][x] = qa[QREG ? u * (D / 16) + kc : 0][x];
            } else {
                fa_mma_qfrag<D, QROWS>(qf[u], sQ, u, kc, q0, lane);
            }
        }
#pragma unroll
        for (int np = 0; np < NK / 16; np++) {
            const int mi = lane >> 3, key = np * 16 + (mi >> 1) * 8 + (lane & 7), col = kc * 16 + (mi & 1) * 8;
            uint32_t b[4];
            fa_ldsm4(b, kt + fa_sw<D>(key, col));
#pragma unroll
            for (int u = 0; u < NT; u++) {
                float(&acc)[NK / 8][4] = TERMS && u > 0 ? sx[TERMS ? u - 1 : 0] : sc;
                fa_mma<T>(acc[2 * np], qf[u], b[0], b[1]);
                fa_mma<T>(acc[2 * np + 1], qf[u], b[2], b[3]);
            }
        }
    }
    if (TERMS) {
#pragma unroll
        for (int n = 0; n < NK / 8; n++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                float lo = 0.0f;
#pragma unroll
                for (int u = NX - 1; u >= 0; u--) lo += sx[u][n][e];
                sc[n][e] += lo;
            }
    }
}

/* Logits of the NK keys at j0 (keys at or past hi and missing columns are
 * -inf; `fast`: every key is in range and every logit is acc * factor),
 * online softmax of the thread's rows g and g + 8: P into pa as A
 * fragments, the running max and sum updated, o rescaled (skipped, by a
 * warp vote, when no row's maximum moved: a factor of exactly 1). `two`
 * (uniform over the warp): whether rows 8..15 hold any column; when not,
 * row g + 8 is left alone and its P is 0 (the decode body's <= 8 columns). */
template <int T, int NK, int NO>
static __device__ __forceinline__ void fa_mma_softmax(const fa_params &p, float (&sc)[NK / 8][4], bool fast, int j0,
                                                      int hi, const bool *cv, const float *rs, const float *slope,
                                                      const uint8_t *const *mrow, float *mrun, float *lrun,
                                                      float (&o)[NO][4], uint32_t (&pa)[T == FA_BF16 ? 2 : 1][NK / 8][2],
                                                      int c4, bool two = true) {
    constexpr int PT = T == FA_BF16 ? 2 : 1;
    constexpr float L2E = 1.4426950408889634f;
    constexpr float PL2 = T == FA_F16 ? 15.0f : 0.0f; /* f16 P is scaled by 2^15 (cancels in O / l) */
    float tmax[2] = {FA_NEG_INF, FA_NEG_INF};
    const int ne = two ? 4 : 2; /* accumulator elements in use: rows g (0, 1) and g + 8 (2, 3) */
    if (fast) {
#pragma unroll
        for (int n = 0; n < NK / 8; n++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                if (e >= ne) continue;
                const float x = sc[n][e] * rs[e >> 1];
                sc[n][e] = x;
                tmax[e >> 1] = fmaxf(tmax[e >> 1], x);
            }
    } else {
#pragma unroll
        for (int n = 0; n < NK / 8; n++)
#pragma unroll
            for (int e = 0; e < 4; e++) {
                if (e >= ne) continue;
                const int r = e >> 1, j = j0 + n * 8 + 2 * c4 + (e & 1);
                float x = FA_NEG_INF;
                if (j < hi && cv[r]) {
                    x = sc[n][e] * rs[r];
                    if (p.softcap != 0.0f) x = p.softcap * tanhf(x / p.softcap);
                    if (p.has_mask) x += slope[r] * fa_f16(fa_rd16(mrow[r] + 2 * (int64_t)j));
                }
                sc[n][e] = x;
                tmax[r] = fmaxf(tmax[r], x);
            }
    }
    float alpha[2] = {1.0f, 1.0f}, muse[2] = {0.0f, 0.0f}, lsum[2] = {0.0f, 0.0f};
#pragma unroll
    for (int r = 0; r < 2; r++) {
        if (r == 1 && !two) continue;
        tmax[r] = fmaxf(tmax[r], __shfl_xor_sync(0xffffffffu, tmax[r], 1));
        tmax[r] = fmaxf(tmax[r], __shfl_xor_sync(0xffffffffu, tmax[r], 2));
        const float mnew = fmaxf(mrun[r], tmax[r]);
        muse[r] = mnew == FA_NEG_INF ? 0.0f : mnew;
        alpha[r] = exp2f((mrun[r] - muse[r]) * L2E); /* 0 when mrun was -inf */
        mrun[r] = mnew;
    }
#pragma unroll
    for (int n = 0; n < NK / 8; n++)
#pragma unroll
        for (int r = 0; r < 2; r++) {
            if (r == 1 && !two) {
#pragma unroll
                for (int u = 0; u < PT; u++) pa[u][n][1] = 0u;
                continue;
            }
            const float p0 = exp2f(fmaf(sc[n][2 * r] - muse[r], L2E, PL2));
            const float p1 = exp2f(fmaf(sc[n][2 * r + 1] - muse[r], L2E, PL2));
            if (T == FA_F16) {
                const uint32_t h = fa_pack_f16x2(p0, p1);
                float b0, b1;
                fa_unpack_f16x2(h, &b0, &b1);
                lsum[r] += b0 + b1;
                pa[0][n][r] = h;
            } else {
                float pv[2] = {p0, p1}, back;
                unsigned short bits[PT][2];
#pragma unroll
                for (int e = 0; e < 2; e++)
#pragma unroll
                    for (int u = 0; u < PT; u++) {
                        bits[u][e] = fa_rnd_bits<T>(pv[e], &back);
                        lsum[r] += back;
                        pv[e] -= back;
                    }
#pragma unroll
                for (int u = 0; u < PT; u++) pa[u][n][r] = (uint32_t)bits[u][0] | ((uint32_t)bits[u][1] << 16);
            }
        }
#pragma unroll
    for (int r = 0; r < 2; r++) lrun[r] = lrun[r] * alpha[r] + lsum[r];
    if (!__all_sync(0xffffffffu, alpha[0] == 1.0f && alpha[1] == 1.0f)) {
#pragma unroll
        for (int n = 0; n < NO; n++) {
            o[n][0] *= alpha[0], o[n][1] *= alpha[0];
            o[n][2] *= alpha[1], o[n][3] *= alpha[1];
        }
    }
}

/* O += P.V for NK keys whose V is the swizzled tile at address vt. */
template <int D, int T, int NK>
static __device__ __forceinline__ void fa_mma_pv(float (&o)[D / 8][4], uint32_t (&pa)[T == FA_BF16 ? 2 : 1][NK / 8][2],
                                                 uint32_t vt, int lane) {
    constexpr int PT = T == FA_BF16 ? 2 : 1;
#pragma unroll
    for (int kc = 0; kc < NK / 16; kc++) {
        uint32_t a[PT][4];
#pragma unroll
        for (int u = 0; u < PT; u++) {
            a[u][0] = pa[u][2 * kc][0];
            a[u][1] = pa[u][2 * kc][1];
            a[u][2] = pa[u][2 * kc + 1][0];
            a[u][3] = pa[u][2 * kc + 1][1];
        }
#pragma unroll
        for (int dp = 0; dp < D / 16; dp++) {
            const int mi = lane >> 3, key = kc * 16 + (mi & 1) * 8 + (lane & 7), col = (2 * dp + (mi >> 1)) * 8;
            uint32_t b[4];
            fa_ldsm4t(b, vt + fa_sw<D>(key, col));
#pragma unroll
            for (int u = 0; u < PT; u++) {
                fa_mma<T>(o[2 * dp], a[u], b[0], b[1]);
                fa_mma<T>(o[2 * dp + 1], a[u], b[2], b[3]);
            }
        }
    }
}

/* The accumulator rows g and g + 8 of this thread: whether their columns
 * exist, ALiBi slopes and mask rows. Slots c0 + g and c0 + g + 8. */
template <typename Cols = fa_cols_div>
static __device__ __forceinline__ void fa_mma_rows(const fa_params &p, int c0, int g, int s, bool cv[2], int ci[2],
                                                   int chh[2], float slope[2], const uint8_t *mrow[2],
                                                   const Cols &col = Cols()) {
#pragma unroll
    for (int r = 0; r < 2; r++) {
        cv[r] = col(p, c0 + g + 8 * r, &ci[r], &chh[r]);
        slope[r] = cv[r] ? fa_slope(&p, chh[r]) : 0.0f;
        mrow[r] = cv[r] && p.has_mask ? p.mask + fa_mask_off(&p, 0, ci[r], chh[r], s) : p.mask;
    }
}

/* ---- the MMA family: prefill and multi-row batches ----------------------- */

/* D: exact head size (Dk = Dv); T: K/V type (FA_F16 or FA_BF16). Unsplit. */
template <int D, int T>
__global__ void __launch_bounds__(FA_MMA_THREADS, 2) fa_mma_kernel(const fa_params p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    constexpr int KT = D <= 128 ? 64 : 32;
    constexpr int NT = T == FA_BF16 ? 3 : 2; /* terms of Q */
    constexpr bool QREG = NT * D <= 256;     /* Q fragments in registers (else ldmatrix per use) */
    constexpr int QF = QREG ? NT * (D / 16) : 1;
    constexpr int PT = T == FA_BF16 ? 2 : 1; /* terms of P */
    constexpr float PL2 = T == FA_F16 ? 15.0f : 0.0f; /* f16 P is scaled by 2^15 (cancels in O / l) */
    extern __shared__ uint4 fa_smem_mma[];
    uint16_t *Qs = (uint16_t *)fa_smem_mma;   /* [NT][64][D] */
    uint16_t *Ks = Qs + NT * FA_MMA_COLS * D; /* [KT][D] */
    uint16_t *Vs = Ks + KT * D;               /* [KT][D] */
    const uint32_t sQ = fa_smem_addr(Qs), sK = fa_smem_addr(Ks), sV = fa_smem_addr(Vs);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, c4 = lane & 3;
    /* the row group (slots 16wr..16wr+15) this warp owns, rotated by
     * blockIdx.z (the sequence) */
    const int wr = (warp + blockIdx.z) & 3;
    const int s = blockIdx.z;

    /* ---- Q: per row scale, split into terms, stage in shared memory ---- */
    float rs[2] = {0.0f, 0.0f}; /* logit factor scale * 2^-e of rows g, g + 8 */
    bool active = false;        /* the warp has a column */
#pragma unroll 1
    for (int r4 = 0; r4 < 16; r4 += 4) {
        float fac[4];
        active |= fa_mma_stage_q4<D, T, NT, FA_MMA_COLS>(p, Qs, wr * 16 + r4, wr * 16 + r4, s, lane, fac);
#pragma unroll
        for (int u = 0; u < 4; u++) {
            if (r4 + u == g) rs[0] = fac[u];
            if (r4 + u == g + 8) rs[1] = fac[u];
        }
    }

    /* the columns of this thread's accumulator rows g and g + 8 */
    int ci[2], chh[2];
    bool cv[2];
    float slope[2];
    const uint8_t *mrow[2];
    fa_mma_rows(p, wr * 16, g, s, cv, ci, chh, slope, mrow);

    int lo, hi;
    fa_block_range(p, 0, &lo, &hi); /* unsplit: all keys */
    const int h0 = (blockIdx.y / p.groups) * p.gqa;
    const uint8_t *kb = p.k + fa_k_off(&p, 0, h0, s);
    const uint8_t *vb = p.v + fa_v_off(&p, 0, h0, s);
    if (lo < hi) fa_mma_load<D, KT>(sK, kb, p.nbk1, lo, hi);
    if (QREG && lo < hi) fa_mma_load<D, KT>(sV, vb, p.nbv1, lo, hi);
    fa_cp_commit();
    __syncthreads(); /* Q staged */

    uint32_t qa[QF][4];
    if (QREG && active) {
#pragma unroll
        for (int u = 0; u < NT; u++)
#pragma unroll
            for (int kc = 0; kc < D / 16; kc++) fa_mma_qfrag<D, FA_MMA_COLS>(qa[QREG ? u * (D / 16) + kc : 0], sQ, u, kc, wr * 16, lane);
    }

    float o[D / 8][4];
#pragma unroll
    for (int n = 0; n < D / 8; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
    float mrun[2] = {FA_NEG_INF, FA_NEG_INF}, lrun[2] = {0.0f, 0.0f};
    uint32_t pa[PT][KT / 8][2]; /* P as A fragments: [term][n-tile][row g | g + 8] */
    const bool plain = !p.has_mask && p.softcap == 0.0f && cv[0] && cv[1];
    auto tile = [&](int j0, uint32_t kt, uint32_t vt) {
        float sc[KT / 8][4];
        fa_mma_scores<D, T, NT, KT, QREG, FA_MMA_COLS>(sc, qa, sQ, wr * 16, kt, lane);
        fa_mma_softmax<T, KT, D / 8>(p, sc, plain && j0 + KT <= hi, j0, hi, cv, rs, slope, mrow, mrun, lrun, o, pa, c4);
        if (vt) fa_mma_pv<D, T, KT>(o, pa, vt, lane);
    };

    if (QREG) {
        /* Q is in registers: its staging area holds a second K/V stage, and
         * tile j + 1 loads during the whole of tile j */
        __syncthreads(); /* every warp has its Q fragments: Qs is free */
        const uint32_t sK1 = sQ, sV1 = sQ + KT * D * 2; /* stage 1; stage 0 is sK, sV */
        if (lo + KT < hi) {
            fa_mma_load<D, KT>(sK1, kb, p.nbk1, lo + KT, hi);
            fa_mma_load<D, KT>(sV1, vb, p.nbv1, lo + KT, hi);
        }
        fa_cp_commit();
        for (int j0 = lo, st = 0; j0 < hi; j0 += KT, st ^= 1) {
            fa_cp_wait<1>(); /* tile j0 */
            __syncthreads();
            const uint32_t kt = st ? sK1 : sK, vt = st ? sV1 : sV;
            if (active) tile(j0, kt, vt);
            __syncthreads(); /* every warp is done with this stage */
            if (j0 + 2 * KT < hi) {
                fa_mma_load<D, KT>(kt, kb, p.nbk1, j0 + 2 * KT, hi);
                fa_mma_load<D, KT>(vt, vb, p.nbv1, j0 + 2 * KT, hi);
            }
            fa_cp_commit();
        }
    } else {
        /* Q is read from shared memory: one K and one V buffer; V(j) loads
         * during Q.K(j), K(j + 1) during P.V(j) */
        for (int j0 = lo; j0 < hi; j0 += KT) {
            fa_mma_load<D, KT>(sV, vb, p.nbv1, j0, hi);
            fa_cp_commit();
            fa_cp_wait<1>(); /* K(j) */
            __syncthreads();
            if (active) tile(j0, sK, 0);
            __syncthreads(); /* every warp is done with K(j) */
            if (j0 + KT < hi) fa_mma_load<D, KT>(sK, kb, p.nbk1, j0 + KT, hi);
            fa_cp_commit();
            fa_cp_wait<1>(); /* V(j) */
            __syncthreads();
            if (active) fa_mma_pv<D, T, KT>(o, pa, sV, lane);
            __syncthreads(); /* every warp is done with V(j) */
        }
    }
    fa_cp_wait<0>();

    /* ---- finish: row sums over the quad, sinks, write ---- */
#pragma unroll
    for (int r = 0; r < 2; r++) {
        float l = lrun[r];
        l += __shfl_xor_sync(0xffffffffu, l, 1);
        l += __shfl_xor_sync(0xffffffffu, l, 2);
        if (!cv[r]) continue;
        const float m = mrun[r];
        float f = 0.0f, den = 1.0f;
        if (m != FA_NEG_INF) {
            float mx = m, sink_term = 0.0f;
            f = 1.0f;
            if (p.has_sinks) {
                const float sk = ((const float *)p.sinks)[chh[r]];
                mx = fmaxf(m, sk);
                f = expf(m - mx);
                sink_term = ldexpf(expf(sk - mx), (int)PL2); /* in the units of l (P scaled by 2^PL2) */
            }
            den = l * f + sink_term;
        }
        float *out = p.out + fa_out_idx(&p, 0, chh[r], ci[r], s);
#pragma unroll
        for (int n = 0; n < D / 8; n++) {
            float2 w;
            w.x = m == FA_NEG_INF ? 0.0f : o[n][2 * r] * f / den;
            w.y = m == FA_NEG_INF ? 0.0f : o[n][2 * r + 1] * f / den;
            *(float2 *)(out + n * 8 + 2 * c4) = w;
        }
    }
#else
    __trap(); /* the planner routes MMA only to sm_80+ (kernels/mma.c) */
#endif
}

/* ---- the decode body: typed SPLIT instances of 16 slots ------------------ */

/* D: exact head size (Dk = Dv); T: K/V type (FA_F16 or FA_BF16). One block
 * = NW = FA_MMAD_WARPS(D) warps = the block's <= 16 column slots (in
 * decode: n_q = 1 times up to 8 GQA heads of one KV head), one split's
 * share of the keys (a SPLIT route always has n_split >= 2): split k the
 * block steps of KV = 16 NW keys k, k + n_split, ... Every warp holds all
 * 16 rows and takes its own keys: warp w the 16 keys at KV k + 16w + KV
 * n_split t of step t, streamed through its own ring of FA_MMAD_STAGES sub-tiles by
 * cp.async (no block barrier in the loop: a warp waits for its own copies
 * and __syncwarp()s), so the warps compute and load at the same time. Each
 * warp keeps its own (O, max, sum); at the end they are merged in a fixed
 * order in shared memory and written as the split's partials. */
template <int D, int T>
__global__ void __launch_bounds__(FA_MMAD_THREADS(D)) fa_mmad_kernel(const fa_params p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    constexpr int NT = T == FA_BF16 ? 3 : 2;
    constexpr bool QREG = NT * D <= 256;
    constexpr int QF = QREG ? NT * (D / 16) : 1;
    constexpr int PT = T == FA_BF16 ? 2 : 1;
    constexpr int S = FA_MMAD_STAGES(D);
    constexpr int WK = FA_MMAD_WK, NW = FA_MMAD_WARPS(D), R = FA_MMAD_COLS, KV = FA_MMAD_KV(D);
    constexpr int SUB = WK * D * 2; /* bytes of one warp's K (or V) sub-tile */
    constexpr int CPR = D / 8;      /* 16-byte chunks per row */
    constexpr float PL2 = T == FA_F16 ? 15.0f : 0.0f;
    extern __shared__ uint4 fa_smem_mmad[];
    float *Rs = (float *)fa_smem_mmad;                  /* [16] logit factors of the rows */
    int64_t *Rd = (int64_t *)(Rs + R);                  /* [16] the rows' partials in p.part (-1: no column) */
    uint16_t *Qs = (uint16_t *)(Rd + R);                /* [NT][16][D] */
    uint8_t *ring = (uint8_t *)(Qs + NT * R * D);       /* [NW][S][K | V][WK][D] */
    const uint32_t sQ = fa_smem_addr(Qs);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, c4 = lane & 3;
    /* the block's coordinates without a divide (p.fd_*: fa_fdiv) */
    const int s = fa_fdiv_q(p.fd_split, (int)blockIdx.z), split = (int)blockIdx.z - s * p.n_split;
    const int hkv = fa_fdiv_q(p.fd_groups, (int)blockIdx.y);
    const fa_cols_fast cols(p, hkv, (int)blockIdx.y - hkv * p.groups, s);
    const uint32_t sR = fa_smem_addr(ring) + warp * S * 2 * SUB;
    const int64_t tb = blockIdx.x + (int64_t)gridDim.x * (blockIdx.y + (int64_t)gridDim.y * blockIdx.z);
    if (tid == 0) fa_trace(p, tb, 1);

    /* Split k takes the block steps k, k + n_split, k + 2 n_split, ... of
     * the whole KV range (interleaved: at any moment a group's blocks read
     * neighbouring keys, which an H100 serves faster than a contiguous chunk
     * per split, most of all at the start:
     * bench/results/gpu-decode-interleave-2026-11-26.md) */
    int lo, hi;
    {
        fa_params whole = p;
        whole.n_split = 1;
        fa_block_range(whole, split, &lo, &hi); /* [0, n_kv), the kv-tail fault included */
    }
    lo = split * KV;
    const int KVS = KV * p.n_split; /* keys from one of a warp's steps to its next */
    /* fa_k_off / fa_v_off of key 0 of q head hkv * gqa (kv head hkv) */
    const int64_t sk = fa_fdiv_q(p.fd_seq_ratio, s);
    const uint8_t *kb = p.k + (int64_t)hkv * p.nbk2 + sk * p.nbk3;
    const uint8_t *vb = p.v + (int64_t)hkv * p.nbv2 + sk * p.nbv3;
    const int jw = lo + warp * WK; /* this warp's keys: jw + t * KVS + [0, WK) */
    /* copy the warp's sub-tile at key j into ring stage st; rows at or past
     * hi zero-filled. Lane l copies chunk l % CPR of rows l / CPR + RPI t:
     * the row addresses advance by a fixed stride (64-bit index arithmetic
     * once per sub-tile, not per copy: fewer instructions; the timing was
     * unchanged on an H100) */
    constexpr int RPI = 32 / CPR; /* rows per copy instruction of a warp: 4, 2, 1 at D = 64, 128, 256 */
    const int r0 = lane / CPR, c0 = lane % CPR;
    const int64_t ks = (int64_t)RPI * p.nbk1, vs = (int64_t)RPI * p.nbv1;
    /* K/V are read once: an L2 evict-first policy on their copies keeps L2
     * for the partials and the rest (+1 to +1.5 points of copy at 32k on an
     * H100: bench/results/gpu-decode-evict-2026-11-26.md). Not at D = 64:
     * there nvcc 13.0 / ptxas for sm_90 emitted a copy whose policy operand
     * faulted (cudaErrorIllegalInstruction at an LDGSTS with desc[UR1];
     * caught by tests/gpu/kv-tail-split-mmad-d64.case), so D = 64 keeps the
     * plain copy. */
    constexpr bool EF = FASV_MMAD_EVICT_FIRST && D >= 128;
    const uint64_t pol = EF ? fa_policy_evict_first() : 0;
    auto cp = [&](uint32_t dst, const void *src, int bytes) {
        if (EF) fa_cp16_pol(dst, src, bytes, pol);
        else fa_cp16(dst, src, bytes);
    };
    auto issue = [&](int st, int j) {
        const uint32_t kt = sR + st * 2 * SUB;
        const uint8_t *kz = kb + (int64_t)j * p.nbk1 + c0 * 16, *vz = vb + (int64_t)j * p.nbv1 + c0 * 16;
        const uint8_t *kp = kz + (int64_t)r0 * p.nbk1, *vp = vz + (int64_t)r0 * p.nbv1;
#pragma unroll
        for (int t = 0; t < WK / RPI; t++) {
            const int r = r0 + t * RPI;
            const bool ok = j + r < hi; /* else zero-filled from a valid row (j's) */
            cp(kt + fa_sw<D>(r, c0 * 8), ok ? kp : kz, ok ? 16 : 0);
            cp(kt + SUB + fa_sw<D>(r, c0 * 8), ok ? vp : vz, ok ? 16 : 0);
            kp += ks;
            vp += vs;
        }
    };
    /* Q's loads first (a few hundred bytes, at the head of the memory
     * queue; issued after the ring's copies, they landed 1.8 us later and the
     * route lost 4 points of copy at D128 GQA8 on an H100:
     * bench/results/gpu-decode-prologue-2026-11-26.md), then every stage of
     * the ring, then Q's split while they load: warp w stages slots w, w + 4,
     * w + 8, w + 12, so that a block's first 8 columns (a GQA 8 group) are
     * split by all 4 warps, 2 each (the split runs at a few cycles per
     * instruction: it is on the way to the first sub-tile) */
    const bool qw = warp < R / 4; /* warp-uniform */
    float qg[4][D / 32];
    bool okg[4];
    if (qw) fa_mma_load_q4<D, 4>(p, warp, s, lane, qg, okg, cols);
#pragma unroll 1 /* one copy of issue()'s unrolled copies before the loop: fewer instructions */
    for (int t = 0; t < S; t++) {
        if (jw + (int64_t)t * KVS < hi) issue(t, jw + t * KVS);
        fa_cp_commit();
    }
    if (tid == 0) fa_trace(p, tb, 8);
    if (qw) {
        float fac[4];
        fa_mma_split_q4<D, T, NT, R, 4>(p, Qs, warp, lane, qg, okg, fac);
        if (lane == 0)
#pragma unroll
            for (int u = 0; u < 4; u++) Rs[warp + 4 * u] = fac[u];
    }
    if (tid < R) { /* the epilogue's row table, while the ring loads */
        int i = 0, h = 0;
        Rd[tid] = cols(p, tid, &i, &h) ? fa_part_idx(&p, h, i, s, split) : -1;
    }
    __syncthreads();
    const float rs[2] = {Rs[g], Rs[g + 8]};
    int ci[2], chh[2];
    bool cv[2];
    float slope[2];
    const uint8_t *mrow[2];
    fa_mma_rows(p, 0, g, s, cv, ci, chh, slope, mrow, cols);
    uint32_t qa[QF][4];
    if (QREG) {
#pragma unroll
        for (int u = 0; u < NT; u++)
#pragma unroll
            for (int kc = 0; kc < D / 16; kc++) fa_mma_qfrag<D, R>(qa[QREG ? u * (D / 16) + kc : 0], sQ, u, kc, 0, lane);
    }

    float o[D / 8][4];
#pragma unroll
    for (int n = 0; n < D / 8; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
    float mrun[2] = {FA_NEG_INF, FA_NEG_INF}, lrun[2] = {0.0f, 0.0f};
    uint32_t pa[PT][WK / 8][2];
    /* rows without a column get logits acc * 0 on the fast path: finite,
     * never written */
    const bool plain = !p.has_mask && p.softcap == 0.0f;
    const bool two = p.ncols1 * p.ncols2 > 8; /* rows 8..15 hold columns */
    if (tid == 0) fa_trace(p, tb, 9);
    fa_let_dependents_launch(); /* the combine may launch (it waits for this grid) */
    for (int t = 0;; t++) {
        const int64_t j64 = jw + (int64_t)t * KVS; /* 64-bit: n_kv may come within KVS of 2^31 */
        if (j64 >= hi) break;
        const int j = (int)j64;
        fa_cp_wait<S - 1>(); /* this lane's copies of step t have landed ... */
        __syncwarp();        /* ... and every lane's */
        if (t == 0 && tid == 0) fa_trace(p, tb, 2);
        const uint32_t kt = sR + (t % S) * 2 * SUB;
        float sc[WK / 8][4];
        fa_mma_scores<D, T, NT, WK, QREG, R, true>(sc, qa, sQ, 0, kt, lane);
        fa_mma_softmax<T, WK, D / 8>(p, sc, plain && j + WK <= hi, j, hi, cv, rs, slope, mrow, mrun, lrun, o, pa, c4,
                                     two);
        fa_mma_pv<D, T, WK>(o, pa, kt + SUB, lane);
        __syncwarp(); /* every lane is done with the stage before it is refilled */
        const int64_t jn = j64 + S * KVS;
        if (jn < hi) issue(t % S, (int)jn);
        fa_cp_commit(); /* one group per step, empty or not: the wait above counts them */
    }
    fa_cp_wait<0>();

    /* ---- merge the warps in a fixed order, write ---- */
    float l[2];
#pragma unroll
    for (int r = 0; r < 2; r++) {
        l[r] = lrun[r];
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
        l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
    }
    __syncthreads(); /* every warp is done with Qs and its ring */
    if (tid == 0) fa_trace(p, tb, 3);
    /* Os [NW][16][D] in the ring's place: element pair q of a row sits at
     * pair q ^ 4 * (row % 4), so that a half-warp's fragment stores (rows g
     * .. g + 3, the same columns) hit distinct banks, and so do a half-warp's
     * reads in the merge (4 consecutive pairs of rows g .. g + 3) */
    float *Os = (float *)ring;
    float *Ms = (float *)Qs;  /* [NW][16] the warps' maxima */
    float *Ls = Ms + NW * R;  /* [NW][16] the warps' sums */
    static_assert(2 * NW * R * 4 <= NT * R * D * 2, "the merge's tables fit in Q's area");
    auto os = [&](int w, int row, int q) { return Os + (w * R + row) * D + 2 * (q ^ ((row & 3) << 2)); };
#pragma unroll
    for (int r = 0; r < 2; r++) {
        if (r == 1 && !two) continue; /* rows 8..15 hold no column */
        const int row = g + 8 * r;
#pragma unroll
        for (int n = 0; n < D / 8; n++) *(float2 *)os(warp, row, 4 * n + c4) = make_float2(o[n][2 * r], o[n][2 * r + 1]);
        if (c4 == 0) {
            Ms[warp * R + row] = mrun[r];
            Ls[warp * R + row] = l[r];
        }
    }
    __syncthreads();
    if (tid == 0) fa_trace(p, tb, 6);
    /* The merge, one barrier, in parallel over rows and elements (one warp
     * per scheduler, so every dependent step costs its full latency: short
     * chains, no per-row serial work). Thread (warp v, g, c4) merges rows g
     * and, where they hold columns, g + 8, at the element pairs q = 4 NW n +
     * 4 v + c4 (n < D / 8 NW): it computes the row's maximum m over the warps in
     * order w = 0, 1, ... and their weights f_w = exp(m_w - m) itself (a
     * warp without a key weighs 0; every thread of a row gets the same
     * bits), then O = sum_w f_w O_w in order w, each step an FMA; thread
     * (0, g, 0) also L = sum_w f_w l_w. Partials scaled back from the P
     * scale (exact), at the row's offset from the prologue's table. */
    constexpr int QN = D / 2 / (4 * NW); /* pairs per thread and row */
    const float un = ldexpf(1.0f, -(int)PL2);
    static_assert(QN >= 1 && QN * 4 * NW == D / 2, "the block's threads share a row's pairs evenly");
#pragma unroll
    for (int r = 0; r < 2; r++) {
        if (r == 1 && !two) continue; /* uniform */
        const int row = g + 8 * r;
        const int64_t at = Rd[row];
        if (at < 0) continue;
        float m = FA_NEG_INF, f[NW];
#pragma unroll
        for (int w = 0; w < NW; w++) m = fmaxf(m, Ms[w * R + row]);
#pragma unroll
        for (int w = 0; w < NW; w++) {
            const float mw = Ms[w * R + row];
            f[w] = mw == FA_NEG_INF ? 0.0f : expf(mw - m);
        }
#pragma unroll
        for (int n = 0; n < QN; n++) {
            const int q = 4 * NW * n + 4 * warp + c4; /* pair of the row */
            float2 ov = make_float2(0.0f, 0.0f);
#pragma unroll
            for (int w = 0; w < NW; w++)
                if (Ms[w * R + row] != FA_NEG_INF) {
                    const float2 x = *(const float2 *)os(w, row, q);
                    ov.x = fmaf(f[w], x.x, ov.x);
                    ov.y = fmaf(f[w], x.y, ov.y);
                }
            /* a SPLIT route has n_split >= 2 (the launch checks it): partials */
            *(float2 *)(p.part + at + 2 * q) = make_float2(ov.x * un, ov.y * un);
        }
        if (warp == 0 && c4 == 0) {
            float lv = 0.0f;
#pragma unroll
            for (int w = 0; w < NW; w++)
                if (Ms[w * R + row] != FA_NEG_INF) lv = fmaf(f[w], Ls[w * R + row], lv);
            float *dst = p.part + at;
            dst[D] = m;
            dst[D + 1] = lv * un;
        }
    }
    if (tid == 0) fa_trace(p, tb, 7);
    if (p.trace) { /* uniform: diagnostics only */
        __syncthreads();
        if (tid == 0) {
            fa_trace(p, tb, 4);
            fa_trace(p, tb, 5);
        }
    }
#else
    __trap(); /* the planner routes the MMA bodies only to sm_80+ (kernels/mma.c) */
#endif
}

#endif /* FASV_CUDA */
#endif
