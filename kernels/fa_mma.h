/* kernels/fa_mma.h — the MMA family's device code: NVIDIA tensor cores.
 *
 * Owns: fa_mma_kernel<D, T> (mma.sync m16n8k16, f32 accumulation) and its
 * shared-memory footprint. Compiled by nvcc only (kernels/fa_mma.hip
 * includes it under FASV_CUDA; the HIP build keeps the launch-table entries
 * without kernels, and no AMD device routes MMA). kernels/mma.h lists the
 * preconditions this code relies on.
 *
 * Structure. A block of 128 threads = 4 warps holds 64 column slots
 * (ncols1 query rows x ncols2 GQA heads of one KV head, fa_column's
 * mapping); warp w owns slots 16r..16r+15 with r = (w + blockIdx.z) % 4,
 * the M rows of its MMA tiles. Per
 * step of KT keys (64 for D <= 128, 32 for D = 256):
 *     V(j) loads (cp.async)  |  S = Q.K(j)^T on the tensor cores, logits,
 *                            |  online softmax in registers
 *     K(j+1) loads           |  O += P.V(j) on the tensor cores
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
 * Split-KV (typed SPLIT instances with 64 slots, long-context decode): block
 * (query block, head group, sequence x split) runs its split's KV range and
 * writes (O, max, sum) partials to scratch, O and the sum scaled back from
 * the P scale, for fa_combine_kernel. In decode only the warp(s) holding the
 * few rows compute; all four stream the K/V tiles.
 * No atomics; fixed reduction orders: the same input gives the same bits.
 * Must not know: planners, routes, the host runtime.
 */
#ifndef FASV_FA_MMA_H
#define FASV_FA_MMA_H

#include "fa_kernels.h"

#define FA_MMA_THREADS 128
#define FA_MMA_COLS 64

/* Keys per step, terms of Q and shared memory (bytes) of fa_mma_kernel<d, t>:
 * the planner's fasv_mma_kv, fasv_mma_q_terms and fasv_mma_smem. */
static inline int fa_mma_kv(int d) { return d <= 128 ? 64 : 32; }
static inline int fa_mma_terms(int t) { return t == FA_BF16 ? 3 : 2; }
static inline int64_t fa_mma_smem(int d, int t) {
    return 2 * ((int64_t)fa_mma_terms(t) * FA_MMA_COLS * d + 2 * (int64_t)fa_mma_kv(d) * d);
}

#if defined(FASV_CUDA)
#include <cuda_bf16.h>

static __device__ __forceinline__ uint32_t fa_smem_addr(const void *p) {
    return (uint32_t)__cvta_generic_to_shared(p);
}
/* 16 bytes global -> shared, bypassing L1; src_bytes 0 zero-fills. */
static __device__ __forceinline__ void fa_cp16(uint32_t dst, const void *src, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
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

/* D: exact head size (Dk = Dv); T: K/V type (FA_F16 or FA_BF16). */
template <int D, int T>
__global__ void __launch_bounds__(FA_MMA_THREADS, 2) fa_mma_kernel(const fa_params p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    constexpr int KT = D <= 128 ? 64 : 32;
    constexpr int NT = T == FA_BF16 ? 3 : 2; /* terms of Q */
    constexpr bool QREG = NT * D <= 256;     /* Q fragments in registers (else ldmatrix per use) */
    constexpr int QF = QREG ? NT * (D / 16) : 1;
    constexpr int PT = T == FA_BF16 ? 2 : 1; /* terms of P */
    constexpr float L2E = 1.4426950408889634f;
    constexpr float PL2 = T == FA_F16 ? 15.0f : 0.0f; /* f16 P is scaled by 2^15 (cancels in O / l) */
    extern __shared__ uint4 fa_smem_mma[];
    uint16_t *Qs = (uint16_t *)fa_smem_mma;   /* [NT][64][D] */
    uint16_t *Ks = Qs + NT * FA_MMA_COLS * D; /* [KT][D] */
    uint16_t *Vs = Ks + KT * D;               /* [KT][D] */
    const uint32_t sQ = fa_smem_addr(Qs), sK = fa_smem_addr(Ks), sV = fa_smem_addr(Vs);
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, c4 = lane & 3;
    /* the row group (slots 16wr..16wr+15) this warp owns: rotated by
     * blockIdx.z, so that in decode, where one row group holds every column,
     * the computing warps of co-resident blocks sit on different SM
     * sub-partitions */
    const int wr = (warp + blockIdx.z) & 3;
    const int s = blockIdx.z / p.n_split, split = blockIdx.z % p.n_split;

    /* ---- Q: per row scale, split into terms, stage in shared memory ---- */
    float rs[2] = {0.0f, 0.0f};  /* logit factor scale * 2^-e of rows g, g + 8 */
    bool active = false;         /* the warp has a column */
    /* the warp's 16 rows are loaded in 4 groups of 4, every load of a group
     * issued before the first is used (decode blocks start with this) */
#pragma unroll 1
    for (int r4 = 0; r4 < 16; r4 += 4) {
        float qg[4][D / 32];
        bool okg[4];
#pragma unroll
        for (int u = 0; u < 4; u++) {
            int i, h;
            okg[u] = fa_vec_col(p, wr * 16 + r4 + u, &i, &h);
            const float *qr = (const float *)(p.q + (okg[u] ? fa_q_off(&p, i, h, s) : 0));
#pragma unroll
            for (int t = 0; t < D / 32; t++) qg[u][t] = okg[u] ? qr[lane + 32 * t] : 0.0f;
        }
#pragma unroll
        for (int u = 0; u < 4; u++) {
            const int rr = r4 + u, c = wr * 16 + rr;
            const bool ok = okg[u];
            active |= ok;
            float mx = 0.0f;
#pragma unroll
            for (int t = 0; t < D / 32; t++) mx = fmaxf(mx, fabsf(qg[u][t]));
            mx = fa_warp_max(mx);
            int e = 0;
            if (T == FA_F16 && mx > 0.0f && mx <= 3.402823466e38f) {
                int ex;
                frexpf(mx, &ex); /* mx = m * 2^ex, m in [0.5, 1) */
                e = 15 - ex;
                e = e < -126 ? -126 : e > 126 ? 126 : e;
            }
            const float f = ldexpf(1.0f, e);
            if (rr == g) rs[0] = ok ? p.scale * ldexpf(1.0f, -e) : 0.0f;
            if (rr == g + 8) rs[1] = ok ? p.scale * ldexpf(1.0f, -e) : 0.0f;
#pragma unroll
            for (int t = 0; t < D / 32; t++) {
                float x = qg[u][t] * f, back;
#pragma unroll
                for (int term = 0; term < NT; term++) {
                    const unsigned short b = fa_rnd_bits<T>(x, &back);
                    Qs[term * FA_MMA_COLS * D + fa_sw<D>(c, lane + 32 * t) / 2] = b;
                    x -= back; /* exact: the rounding residual of a wider value */
                }
            }
        }
    }

    /* the columns of this thread's accumulator rows g and g + 8 */
    int ci[2], chh[2];
    bool cv[2];
    float slope[2];
    const uint8_t *mrow[2];
#pragma unroll
    for (int r = 0; r < 2; r++) {
        cv[r] = fa_vec_col(p, wr * 16 + g + 8 * r, &ci[r], &chh[r]);
        slope[r] = cv[r] ? fa_slope(&p, chh[r]) : 0.0f;
        mrow[r] = cv[r] && p.has_mask ? p.mask + fa_mask_off(&p, 0, ci[r], chh[r], s) : p.mask;
    }

    int lo, hi;
    fa_block_range(p, split, &lo, &hi);
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
            for (int kc = 0; kc < D / 16; kc++) {
                const int mi = lane >> 3, row = wr * 16 + (mi & 1) * 8 + (lane & 7), col = kc * 16 + (mi >> 1) * 8;
                fa_ldsm4(qa[QREG ? u * (D / 16) + kc : 0], sQ + u * FA_MMA_COLS * D * 2 + fa_sw<D>(row, col));
            }
    }

    float o[D / 8][4];
#pragma unroll
    for (int n = 0; n < D / 8; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
    float mrun[2] = {FA_NEG_INF, FA_NEG_INF}, lrun[2] = {0.0f, 0.0f};
    uint32_t pa[PT][KT / 8][2]; /* P as A fragments: [term][n-tile][row g | g + 8] */
    const bool plain = !p.has_mask && p.softcap == 0.0f && cv[0] && cv[1];

    /* S = Q.K^T for the tile at j0 (K in the tile at address kt), logits,
     * online softmax; leaves P in pa and rescales o */
    auto qk_softmax = [&](int j0, uint32_t kt) {
        float sc[KT / 8][4];
#pragma unroll
        for (int n = 0; n < KT / 8; n++) sc[n][0] = sc[n][1] = sc[n][2] = sc[n][3] = 0.0f;
#pragma unroll
        for (int kc = 0; kc < D / 16; kc++) {
            uint32_t qf[NT][4];
#pragma unroll
            for (int u = 0; u < NT; u++) {
                if (QREG) {
#pragma unroll
                    for (int x = 0; x < 4; x++) qf[u][x] = qa[QREG ? u * (D / 16) + kc : 0][x];
                } else {
                    const int mi = lane >> 3, row = wr * 16 + (mi & 1) * 8 + (lane & 7), col = kc * 16 + (mi >> 1) * 8;
                    fa_ldsm4(qf[u], sQ + u * FA_MMA_COLS * D * 2 + fa_sw<D>(row, col));
                }
            }
#pragma unroll
            for (int np = 0; np < KT / 16; np++) {
                const int mi = lane >> 3, key = np * 16 + (mi >> 1) * 8 + (lane & 7), col = kc * 16 + (mi & 1) * 8;
                uint32_t b[4];
                fa_ldsm4(b, kt + fa_sw<D>(key, col));
#pragma unroll
                for (int u = 0; u < NT; u++) {
                    fa_mma<T>(sc[2 * np], qf[u], b[0], b[1]);
                    fa_mma<T>(sc[2 * np + 1], qf[u], b[2], b[3]);
                }
            }
        }
        /* logits; keys past the range and missing columns are -inf */
        float tmax[2] = {FA_NEG_INF, FA_NEG_INF};
        if (plain && j0 + KT <= hi) {
#pragma unroll
            for (int n = 0; n < KT / 8; n++)
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    const float x = sc[n][e] * rs[e >> 1];
                    sc[n][e] = x;
                    tmax[e >> 1] = fmaxf(tmax[e >> 1], x);
                }
        } else {
#pragma unroll
            for (int n = 0; n < KT / 8; n++)
#pragma unroll
                for (int e = 0; e < 4; e++) {
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
        float alpha[2], muse[2], lsum[2] = {0.0f, 0.0f};
#pragma unroll
        for (int r = 0; r < 2; r++) {
            tmax[r] = fmaxf(tmax[r], __shfl_xor_sync(0xffffffffu, tmax[r], 1));
            tmax[r] = fmaxf(tmax[r], __shfl_xor_sync(0xffffffffu, tmax[r], 2));
            const float mnew = fmaxf(mrun[r], tmax[r]);
            muse[r] = mnew == FA_NEG_INF ? 0.0f : mnew;
            alpha[r] = exp2f((mrun[r] - muse[r]) * L2E); /* 0 when mrun was -inf */
            mrun[r] = mnew;
        }
#pragma unroll
        for (int n = 0; n < KT / 8; n++)
#pragma unroll
            for (int r = 0; r < 2; r++) {
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
#pragma unroll
        for (int n = 0; n < D / 8; n++) {
            o[n][0] *= alpha[0], o[n][1] *= alpha[0];
            o[n][2] *= alpha[1], o[n][3] *= alpha[1];
        }
    };
    /* O += P.V for the tile whose V is at address vt */
    auto pv = [&](uint32_t vt) {
#pragma unroll
        for (int kc = 0; kc < KT / 16; kc++) {
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
            if (active) {
                qk_softmax(j0, kt);
                pv(vt);
            }
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
            if (active) qk_softmax(j0, sK);
            __syncthreads(); /* every warp is done with K(j) */
            if (j0 + KT < hi) fa_mma_load<D, KT>(sK, kb, p.nbk1, j0 + KT, hi);
            fa_cp_commit();
            fa_cp_wait<1>(); /* V(j) */
            __syncthreads();
            if (active) pv(sV);
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
        if (p.n_split > 1) {
            /* a split's partial for the combine: O and l scaled back from
             * the P scale (exact), unnormalised, and the running max */
            const float un = ldexpf(1.0f, -(int)PL2);
            float *dst = p.part + fa_part_idx(&p, chh[r], ci[r], s, split);
#pragma unroll
            for (int n = 0; n < D / 8; n++) {
                float2 w;
                w.x = o[n][2 * r] * un;
                w.y = o[n][2 * r + 1] * un;
                *(float2 *)(dst + n * 8 + 2 * c4) = w;
            }
            if (c4 == 0) {
                dst[D] = mrun[r];
                dst[D + 1] = l * un;
            }
            continue;
        }
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

#endif /* FASV_CUDA */
#endif
