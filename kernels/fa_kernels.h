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
#ifndef FASV_SPLIT_MAX /* the knob and its default as in kernels/split.h */
#define FASV_SPLIT_MAX 64
#endif
#define FA_SPLIT_MAX FASV_SPLIT_MAX /* partials the combine merges per row */
#define FA_COMBINE_THREADS FASV_COMBINE_THREADS /* threads of a combine block (one output row) */
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

/* Programmatic dependent launch (NVIDIA sm_90+; no-ops elsewhere and when
 * the launch did not ask for it): a split kernel lets the combine's blocks
 * launch early; the combine waits until the split kernel's grid has finished
 * and its writes are visible. */
static __device__ __forceinline__ void fa_let_dependents_launch(void) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}
static __device__ __forceinline__ void fa_wait_for_prerequisites(void) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

/* Diagnostics (p.trace, set only under FASV_GPU_TRACE): a block's record is
 * FA_TRACE_WORDS words: the SM it ran on, then nanosecond timestamps of the
 * device's global timer. MMA decode body: block start, warp 0's first
 * sub-tile landed, every warp's loop done, partials written, end, the
 * warps' fragments stored, the rows' weights known, the ring's first
 * copies issued, the prologue done (Q staged). Combine: start,
 * prerequisites met (the split grid done), weights and sum known, partials
 * summed, end. A word stays 0 where the event did not happen. NVIDIA only
 * (0 elsewhere). */
#define FA_TRACE_WORDS 10
static __device__ __forceinline__ void fa_trace(const fa_params &p, int64_t block, int word) {
#if defined(__CUDA_ARCH__)
    if (p.trace) {
        uint64_t t;
        unsigned sm;
        asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
        asm volatile("mov.u32 %0, %%smid;" : "=r"(sm));
        p.trace[block * FA_TRACE_WORDS] = sm;
        p.trace[block * FA_TRACE_WORDS + word] = t;
    }
#else
    (void)p, (void)block, (void)word;
#endif
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

/* ---- VEC (and typed SPLIT partials) --------------------------------------- */

/* 8 consecutive values of a row, starting at element d0 (a multiple of 8),
 * held in registers as loaded (raw), widened on use. f16/bf16: one 16-byte
 * load; f32: two; q8_0: the block scale and 8 int8 in 2-byte loads (blocks
 * are 34 bytes, 2-byte aligned); the other quantized types: 8 elements
 * dequantised at load time (not on a throughput path). */
#define FA_CHUNK 8
#define FA_VEC_ROWS 4  /* key rows a lane loads per step (kernels/vec.h FASV_VEC_ROWS) */
#define FA_VEC_STAGES 2 /* steps of the shared-memory ring (kernels/vec.h FASV_VEC_STAGES) */

/* Floats of fa_vec_kernel's score/merge region: max(per-warp step buffers,
 * end-of-loop merge); they alias. */
static __host__ __device__ inline int fa_vec_smem_floats(int d, int nc, int nwarps, int warp_size) {
    const int kw = FA_CHUNK * FA_VEC_ROWS * warp_size / d; /* keys per warp step */
    const int step = nwarps * (2 * kw * nc + nc), merge = 2 * nwarps * nc + nc * d;
    return step > merge ? step : merge;
}

template <int T> struct fa_chunk {
    float f[FA_CHUNK];
    __device__ __forceinline__ void load(const uint8_t *row, int d0) {
#pragma unroll
        for (int e = 0; e < FA_CHUNK; e++) f[e] = fa_load(T, row, d0 + e);
    }
    __device__ __forceinline__ void zero() {
#pragma unroll
        for (int e = 0; e < FA_CHUNK; e++) f[e] = 0.0f;
    }
    __device__ __forceinline__ void get(float *o) const {
#pragma unroll
        for (int e = 0; e < FA_CHUNK; e++) o[e] = f[e];
    }
};
template <> struct fa_chunk<FA_F16> {
    uint4 r;
    __device__ __forceinline__ void load(const uint8_t *row, int d0) { r = *(const uint4 *)(row + 2 * d0); }
    __device__ __forceinline__ void zero() { r = make_uint4(0u, 0u, 0u, 0u); }
    static __device__ __forceinline__ void two(unsigned w, float *o) {
        o[0] = __half2float(__ushort_as_half((unsigned short)(w & 0xffffu)));
        o[1] = __half2float(__ushort_as_half((unsigned short)(w >> 16)));
    }
    __device__ __forceinline__ void get(float *o) const { two(r.x, o), two(r.y, o + 2), two(r.z, o + 4), two(r.w, o + 6); }
};
template <> struct fa_chunk<FA_BF16> {
    uint4 r;
    __device__ __forceinline__ void load(const uint8_t *row, int d0) { r = *(const uint4 *)(row + 2 * d0); }
    __device__ __forceinline__ void zero() { r = make_uint4(0u, 0u, 0u, 0u); }
    static __device__ __forceinline__ void two(unsigned w, float *o) {
        o[0] = __uint_as_float(w << 16);
        o[1] = __uint_as_float(w & 0xffff0000u);
    }
    __device__ __forceinline__ void get(float *o) const { two(r.x, o), two(r.y, o + 2), two(r.z, o + 4), two(r.w, o + 6); }
};
template <> struct fa_chunk<FA_F32> {
    float4 a, b;
    __device__ __forceinline__ void load(const uint8_t *row, int d0) {
        a = *(const float4 *)(row + 4 * d0);
        b = *(const float4 *)(row + 4 * d0 + 16);
    }
    __device__ __forceinline__ void zero() { a = b = make_float4(0.0f, 0.0f, 0.0f, 0.0f); }
    __device__ __forceinline__ void get(float *o) const {
        o[0] = a.x, o[1] = a.y, o[2] = a.z, o[3] = a.w, o[4] = b.x, o[5] = b.y, o[6] = b.z, o[7] = b.w;
    }
};
template <> struct fa_chunk<FA_Q8_0> {
    unsigned short d;
    unsigned short q[4];
    __device__ __forceinline__ void load(const uint8_t *row, int d0) {
        const uint16_t *b = (const uint16_t *)(row + (d0 >> 5) * 34); /* 34-byte blocks: 2-byte aligned */
        d = b[0];
        const int j = 1 + ((d0 & 31) >> 1);
#pragma unroll
        for (int u = 0; u < 4; u++) q[u] = b[j + u];
    }
    __device__ __forceinline__ void zero() { d = 0, q[0] = q[1] = q[2] = q[3] = 0; }
    __device__ __forceinline__ void get(float *o) const {
        const float sc = __half2float(__ushort_as_half(d));
#pragma unroll
        for (int u = 0; u < 4; u++) {
            o[2 * u] = (float)(int8_t)(q[u] & 0xff) * sc;
            o[2 * u + 1] = (float)(int8_t)(q[u] >> 8) * sc;
        }
    }
};

/* The 16 raw bytes of an f16/bf16 chunk (the cp.async ring holds them);
 * a no-op for the other types, which never take that path. */
template <int T> static __device__ __forceinline__ void fa_chunk_set(fa_chunk<T> &, const uint4 &) {}
template <> __device__ __forceinline__ void fa_chunk_set<FA_F16>(fa_chunk<FA_F16> &c, const uint4 &r) { c.r = r; }
template <> __device__ __forceinline__ void fa_chunk_set<FA_BF16>(fa_chunk<FA_BF16> &c, const uint4 &r) { c.r = r; }

/* 16 bytes global -> shared without passing through registers (sm_80+);
 * src_bytes 0 zero-fills. Only the NVIDIA sm_80+ pass emits it. */
static __device__ __forceinline__ void fa_cp_async16(void *dst, const void *src, int src_bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"((uint32_t)__cvta_generic_to_shared(dst)),
                 "l"(src), "r"(src_bytes)
                 : "memory");
#else
    (void)dst, (void)src, (void)src_bytes;
#endif
}
static __device__ __forceinline__ void fa_cp_async_commit(void) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}
template <int N> static __device__ __forceinline__ void fa_cp_async_wait(void) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
#endif
}

template <int N> struct fa_log2 { static constexpr int v = 1 + fa_log2<N / 2>::v; };
template <> struct fa_log2<1> { static constexpr int v = 0; };

/* Column c of the block's ncols1 x ncols2 slots: (query row, head) and
 * whether it exists (slots past ncols, rows past n_q, heads past the group). */
static __device__ __forceinline__ bool fa_vec_col(const fa_params &p, int c, int *i, int *h) {
    return c < p.ncols1 * p.ncols2 && fa_column(&p, blockIdx.x, blockIdx.y, c, i, h);
}

/* D: exact head size (Dk = Dv); TK, TV: K/V storage types; NC: column slots.
 * A key row is read by G = D/8 lanes (one 8-value chunk each); a warp reads
 * KPR = W/G rows at once and R of those row steps per loop iteration
 * (KW = R*KPR keys), all loads issued before the first is used. The NV =
 * R*NC partial dot products of a lane are reduce-scattered across the G
 * lanes of its row (log2 G shuffle steps, halving the values each step while
 * there are two or more), so each lane ends up owning NF complete scores.
 * Owners write logits to the warp's buffer, take each column's maximum over
 * the step, and write the probabilities; every lane then rescales and
 * accumulates P.V for its chunk. Runs with FASV_VEC_THREADS threads;
 * n_split > 1: a typed SPLIT's partials. */
template <int D, int TK, int TV, int NC>
__global__ void __launch_bounds__(FA_MAX_THREADS / 2) fa_vec_kernel(const fa_params p) {
    constexpr int W = FA_WARP_SIZE;
    constexpr int G = D / FA_CHUNK;
    static_assert(G <= W && W % G == 0, "a key row must fit one warp");
    constexpr int KPR = W / G;
    constexpr int R = FA_VEC_ROWS;
    constexpr int KW = R * KPR;
    constexpr int NV = R * NC;
    constexpr int LG = fa_log2<G>::v;
    constexpr int LV = fa_log2<NV>::v;
    constexpr int NS = LG < LV ? LG : LV; /* scatter steps; the rest all-reduce */
    constexpr int NF = NV >> NS;          /* scores a lane owns after the reduction */
    extern __shared__ float fa_smem[];
    const int tid = threadIdx.x, lane = tid % W, warp = tid / W, nwarps = blockDim.x / W;
    const int s = blockIdx.z / p.n_split, split = blockIdx.z % p.n_split;
    const int kg = lane / G, d0 = (lane % G) * FA_CHUNK;

    /* this lane's slice of every column's q */
    float q[NC][FA_CHUNK];
#pragma unroll
    for (int c = 0; c < NC; c++) {
        int i, h;
        const bool ok = fa_vec_col(p, c, &i, &h);
        const float *qr = (const float *)(p.q + (ok ? fa_q_off(&p, i, h, s) : 0));
#pragma unroll
        for (int e = 0; e < FA_CHUNK; e++) q[c][e] = ok ? qr[d0 + e] : 0.0f;
    }

    /* which of the NV values this lane owns after the reduction: the scatter
     * steps (masks G/2, G/4, ...) keep the upper half where the lane's bit is
     * set; lanes differing only in the all-reduce bits hold copies, and the
     * one with those bits clear is the owner */
    int off = 0;
#pragma unroll
    for (int k = 0; k < NS; k++)
        if (lane & (G >> (k + 1))) off += NV >> (k + 1);
    const bool owner = (lane & ((G >> NS) - 1)) == 0;

    int lo, hi;
    fa_block_range(p, split, &lo, &hi);
    const int h0 = (blockIdx.y / p.groups) * p.gqa; /* a q head of this block's kv head */
    const uint8_t *kb = p.k + fa_k_off(&p, 0, h0, s);
    const uint8_t *vb = p.v + fa_v_off(&p, 0, h0, s);
    float *xs = fa_smem + warp * (2 * KW * NC + NC); /* [KW][NC] logits of the step */
    float *ps = xs + KW * NC;                        /* [KW][NC] probabilities */
    float *mn = ps + KW * NC;                        /* [NC] the step's new maxima */
    const int ncu = p.ncols1 * p.ncols2;             /* slots in use: the FMAs of the rest are skipped */

    /* what an owned score needs, fixed for the whole loop: its column, its
     * key's place in the step, whether the column exists, its mask row and
     * ALiBi slope */
    int oc[NF], okey[NF];
    bool ov[NF];
    float oslope[NF];
    const uint8_t *omask[NF];
#pragma unroll
    for (int t = 0; t < NF; t++) {
        const int idx = off + t, r = idx / NC;
        int i, h;
        oc[t] = idx % NC;
        okey[t] = r * KPR + kg;
        ov[t] = fa_vec_col(p, oc[t], &i, &h);
        oslope[t] = ov[t] ? fa_slope(&p, h) : 0.0f;
        omask[t] = ov[t] && p.has_mask ? p.mask + fa_mask_off(&p, 0, i, h, s) : p.mask;
    }

    float M[NC], acc[NC][FA_CHUNK], Lown[NF];
#pragma unroll
    for (int c = 0; c < NC; c++) {
        M[c] = FA_NEG_INF;
#pragma unroll
        for (int e = 0; e < FA_CHUNK; e++) acc[c][e] = 0.0f;
    }
#pragma unroll
    for (int i = 0; i < NF; i++) Lown[i] = 0.0f;

    /* the loads of one step: R rows of this lane's key group, zero past hi */
    auto load = [&](fa_chunk<TK>(&kc)[R], fa_chunk<TV>(&vc)[R], int j0) {
#pragma unroll
        for (int r = 0; r < R; r++) {
            const int j = j0 + r * KPR + kg;
            if (j < hi) {
                kc[r].load(kb + (int64_t)j * p.nbk1, d0);
                vc[r].load(vb + (int64_t)j * p.nbv1, d0);
            } else {
                kc[r].zero();
                vc[r].zero();
            }
        }
    };
    /* one step on loaded chunks */
    auto step = [&](const fa_chunk<TK>(&kc)[R], const fa_chunk<TV>(&vc)[R], int j0) {
        float v[NV];
#pragma unroll
        for (int r = 0; r < R; r++) {
            float kf[FA_CHUNK];
            kc[r].get(kf);
#pragma unroll
            for (int c = 0; c < NC; c++) {
                float a = 0.0f;
                if (c < ncu)
#pragma unroll
                    for (int e = 0; e < FA_CHUNK; e++) a += q[c][e] * kf[e];
                v[r * NC + c] = a;
            }
        }
        /* reduce-scatter across the G lanes of a row */
#pragma unroll
        for (int k = 0; k < LG; k++) {
            const int m = G >> (k + 1);
            if (k < NS) {
                const int hh = NV >> (k + 1);
                const bool up = (lane & m) != 0;
#pragma unroll
                for (int i = 0; i < NV / 2; i++) {
                    if (i < hh) {
                        const float send = up ? v[i] : v[i + hh];
                        const float keep = up ? v[i + hh] : v[i];
                        v[i] = keep + fa_shfl_xor(send, m);
                    }
                }
            } else {
#pragma unroll
                for (int i = 0; i < NF; i++) v[i] += fa_shfl_xor(v[i], m);
            }
        }
        /* owners: logits of their (key, column) pairs */
        float xo[NF];
#pragma unroll
        for (int t = 0; t < NF; t++) {
            const int j = j0 + okey[t]; /* the owned key */
            float x = FA_NEG_INF;
            if (j < hi && ov[t]) {
                x = v[t] * p.scale;
                if (p.softcap != 0.0f) x = p.softcap * tanhf(x / p.softcap);
                if (p.has_mask) x += oslope[t] * fa_f16(fa_rd16(omask[t] + 2 * (int64_t)j));
            }
            xo[t] = x;
            if (owner) xs[okey[t] * NC + oc[t]] = x;
        }
        fa_syncwarp();
        /* owners: the column's maximum over the step, probabilities, running sums */
#pragma unroll
        for (int t = 0; t < NF; t++) {
            const int c = oc[t];
            float tm = FA_NEG_INF;
#pragma unroll
            for (int k = 0; k < KW; k++) tm = fmaxf(tm, xs[k * NC + c]);
            float mold = M[0];
#pragma unroll
            for (int cc = 1; cc < NC; cc++) mold = c == cc ? M[cc] : mold;
            const float mnew = fmaxf(mold, tm);
            const float e = xo[t] == FA_NEG_INF ? 0.0f : expf(xo[t] - mnew);
            const float alpha = mold == mnew ? 1.0f : mold == FA_NEG_INF ? 0.0f : expf(mold - mnew);
            Lown[t] = Lown[t] * alpha + e;
            if (owner) {
                ps[okey[t] * NC + c] = e;
                if (okey[t] == 0) mn[c] = mnew;
            }
        }
        fa_syncwarp();
        /* every lane: rescale by the new maxima (uniform over the warp), then P.V */
        float mv[NC];
        bool changed = false;
#pragma unroll
        for (int c = 0; c < NC; c++) {
            mv[c] = mn[c];
            changed |= mv[c] != M[c];
        }
        if (changed) {
#pragma unroll
            for (int c = 0; c < NC; c++) {
                const float alpha = M[c] == mv[c] ? 1.0f : M[c] == FA_NEG_INF ? 0.0f : expf(M[c] - mv[c]);
                M[c] = mv[c];
#pragma unroll
                for (int e = 0; e < FA_CHUNK; e++) acc[c][e] *= alpha;
            }
        }
#pragma unroll
        for (int r = 0; r < R; r++) {
            float vf[FA_CHUNK];
            vc[r].get(vf);
            const float *pr = ps + (r * KPR + kg) * NC;
#pragma unroll
            for (int c = 0; c < NC; c++) {
                const float pc = pr[c];
                /* a weight of exactly 0 adds nothing, even to a NaN or Inf
                 * value (the oracle's semantics: corpus/regress/oracle-simple-nan-v-view-q4_0.case) */
                if (c < ncu && pc != 0.0f)
#pragma unroll
                    for (int e = 0; e < FA_CHUNK; e++) acc[c][e] += pc * vf[e];
            }
        }
        fa_syncwarp();
    };

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    constexpr bool ASYNC = (TK == FA_F16 || TK == FA_BF16) && (TV == FA_F16 || TV == FA_BF16);
#else
    constexpr bool ASYNC = false;
#endif
    const int stride = nwarps * KW;
    int j0 = lo + warp * KW;
    if (ASYNC) {
        /* f16/bf16 on sm_80+: the raw 16-byte chunks go through a per-warp ring
         * of FA_VEC_STAGES steps in shared memory (cp.async): the next step's
         * K/V are in flight while this one computes, and in-flight data costs
         * no registers. Each lane reads back only the slots it copied, so the
         * ring needs no barrier, only the lane's own cp.async.wait_group. */
        uint4 *ring = (uint4 *)(fa_smem + fa_vec_smem_floats(D, NC, nwarps, W)) +
                      (size_t)warp * 2 * FA_VEC_STAGES * R * W;
        auto issue = [&](int stage, int js) {
#pragma unroll
            for (int r = 0; r < R; r++) {
                const int j = js + r * KPR + kg;
                const bool ok = j < hi;
                const int jj = ok ? j : lo;
                uint4 *slot = ring + (stage * R + r) * W + lane;
                fa_cp_async16(slot, kb + (int64_t)jj * p.nbk1 + 2 * d0, ok ? 16 : 0);
                fa_cp_async16(slot + FA_VEC_STAGES * R * W, vb + (int64_t)jj * p.nbv1 + 2 * d0, ok ? 16 : 0);
            }
        };
        if (j0 < hi) issue(0, j0);
        fa_cp_async_commit();
        for (int stage = 0; j0 < hi; j0 += stride, stage ^= 1) {
            if (j0 + stride < hi) issue(stage ^ 1, j0 + stride);
            fa_cp_async_commit();
            fa_cp_async_wait<1>(); /* this step's chunks have landed */
            fa_chunk<TK> kc[R];
            fa_chunk<TV> vc[R];
#pragma unroll
            for (int r = 0; r < R; r++) {
                const uint4 *slot = ring + (stage * R + r) * W + lane;
                fa_chunk_set<TK>(kc[r], slot[0]);
                fa_chunk_set<TV>(vc[r], slot[FA_VEC_STAGES * R * W]);
            }
            step(kc, vc, j0);
        }
        fa_cp_async_wait<0>();
    } else {
        /* registers: all of a step's loads issued before the first is used */
        for (; j0 < hi; j0 += stride) {
            fa_chunk<TK> kc[R];
            fa_chunk<TV> vc[R];
            load(kc, vc, j0);
            step(kc, vc, j0);
        }
    }

    /* the key groups of a warp share M: add their accumulators */
#pragma unroll
    for (int m = G; m < W; m <<= 1)
#pragma unroll
        for (int c = 0; c < NC; c++)
#pragma unroll
            for (int e = 0; e < FA_CHUNK; e++) acc[c][e] += fa_shfl_xor(acc[c][e], m);
    /* column sums: the owners' parts, all-reduced over the warp */
    float Lv[NC];
#pragma unroll
    for (int c = 0; c < NC; c++) Lv[c] = 0.0f;
#pragma unroll
    for (int t = 0; t < NF; t++) {
        const int c = (off + t) % NC;
#pragma unroll
        for (int cc = 0; cc < NC; cc++) Lv[cc] += (owner && c == cc) ? Lown[t] : 0.0f;
    }
#pragma unroll
    for (int m = 1; m < W; m <<= 1)
#pragma unroll
        for (int c = 0; c < NC; c++) Lv[c] += fa_shfl_xor(Lv[c], m);

    /* merge the warps in a fixed order */
    __syncthreads();
    float *Ms = fa_smem;          /* [nwarps][NC] */
    float *Ls = Ms + nwarps * NC; /* [nwarps][NC] */
    float *Os = Ls + nwarps * NC; /* [NC][D] */
    if (lane == 0)
#pragma unroll
        for (int c = 0; c < NC; c++) {
            Ms[warp * NC + c] = M[c];
            Ls[warp * NC + c] = Lv[c];
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
        if (warp == w && kg == 0)
#pragma unroll
            for (int c = 0; c < NC; c++)
#pragma unroll
                for (int e = 0; e < FA_CHUNK; e++)
                    Os[c * D + d0 + e] = (w == 0 ? 0.0f : Os[c * D + d0 + e]) + acc[c][e] * f[c];
        __syncthreads();
    }
#pragma unroll
    for (int c = 0; c < NC; c++) {
        int i, h;
        if (!fa_vec_col(p, c, &i, &h)) continue;
        for (int d = tid; d < D; d += blockDim.x) fa_write(p, d, i, h, s, split, Os[c * D + d], Mg[c], Lg[c]);
    }
}

/* Dynamic shared memory of fa_vec_kernel, in bytes (the planner's
 * fasv_vec_smem): the score/merge region, then the cp.async ring (K and V
 * chunks of FA_VEC_STAGES steps for every thread: 16 bytes x rows x 2). The
 * ring is reserved whatever the types (one footprint per instance shape). */
static inline int64_t fa_vec_smem(int d, int nc, int nwarps, int warp_size) {
    return 4 * (int64_t)fa_vec_smem_floats(d, nc, nwarps, warp_size) +
           (int64_t)2 * FA_VEC_STAGES * FA_VEC_ROWS * 16 * nwarps * warp_size;
}

/* Keys one block consumes per step (the route's kv_tile for VEC). */
static inline int fa_vec_kv(int d, int threads) { return threads * 4 * FA_CHUNK / d; }

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

/* fa_combine_kernel: block x merges slice x % NSL of output row x / NSL (s,
 * i, h; rows in output order), FA_COMBINE_THREADS threads; a slice is PB =
 * fa_combine_pb element pairs (all dv / 2 of them, unless a thread would sum
 * more than FASV_COMBINE_MOST partials: then several blocks share the row,
 * each reading its part of every partial, and each computing the row's
 * weights itself). A row's ns partials (O_k, m_k, l_k):
 *     M = max_k m_k,  w_k = exp(m_k - M)  (0 for a split without a key:
 *     m_k = -inf),  O = sum_k w_k O_k,  L = sum_k w_k l_k.
 * Latency, not bandwidth, is the cost (a row's partials are a few KB, in
 * L2, and every dependent step costs its full latency), so every load is
 * issued at once and the chain is short: thread t takes the element pair e
 * = t % PB of the slice and the splits k = j, j + J, ... of its group
 * j = t / PB (J = FA_COMBINE_THREADS / PB groups), up to FA_COMBINE_LOADS
 * loads in flight, while warp 0 loads every (m_k, l_k) (lane λ the splits
 * λ, λ + W, ...), reduces M, writes the weights to shared memory and sums
 * L; one barrier, then each thread weighs its splits. Fixed orders: a group
 * sums its splits in increasing k with explicit FMAs (a weight of 0 adds
 * nothing); the groups' sums are added in order j = 0, 1, ...; L: lane λ
 * sums w_k l_k over its splits in increasing k (FMAs), then the lanes' sums
 * are added by a butterfly (xor W/2, ..., 1): the same input gives the same
 * bits (bench/calib_mma emulates this order for W = 32). */
#define FA_COMBINE_LOADS 16
/* Pairs of a combine block's slice (kernels/gpu/fa_index.h), and its blocks per row. */
static __host__ __device__ __forceinline__ int fa_combine_pb(const fa_params &p) {
    return fa_combine_pairs(p.dv, p.n_split, FA_COMBINE_THREADS, FASV_COMBINE_MOST);
}
static __host__ __device__ __forceinline__ int fa_combine_slices(const fa_params &p) {
    const int pb = fa_combine_pb(p);
    return (p.dv / 2 + pb - 1) / pb;
}

static __device__ __forceinline__ float fa_ld_l2(const float *p) {
#if defined(__CUDA_ARCH__)
    return __ldcg(p);
#else
    return *p;
#endif
}
static __device__ __forceinline__ float2 fa_ld2_l2(const float *p) {
#if defined(__CUDA_ARCH__)
    return __ldcg((const float2 *)p);
#else
    return *(const float2 *)p;
#endif
}

#ifdef FA_DEFINE_KERNELS /* the non-template kernel lives in fa_split.hip only */
/* at most 128 registers (2 blocks per SM): a combine block launched early
 * (PDL) must fit beside a decode-body block (up to 248 registers x 128
 * threads) to start while that runs */
__global__ void __launch_bounds__(FA_COMBINE_THREADS, FA_COMBINE_THREADS <= 256 ? 2 : 1) fa_combine_kernel(const fa_params p) {
    __shared__ float wk[FA_SPLIT_MAX], msum[2];
    __shared__ float2 gsum[FA_COMBINE_THREADS];
    constexpr int W = FA_WARP_SIZE, LW = (FA_SPLIT_MAX + W - 1) / W; /* splits per lane for M and L */
    const int PB = fa_combine_pb(p), NSL = fa_combine_slices(p); /* pairs of a slice; slices of a row */
    const int64_t row = blockIdx.x / NSL;
    const int e1 = (int)(blockIdx.x % NSL) * PB; /* this block's slice: pairs [e1, e1 + PB) of the row */
    const int h = (int)(row % p.n_head), i = (int)((row / p.n_head) % p.n_q), s = (int)(row / ((int64_t)p.n_head * p.n_q));
    const int t = threadIdx.x, dv = p.dv, ns = p.n_split, P = dv / 2 < e1 + PB ? dv / 2 : e1 + PB, ln = t % W;
    const int J = PB >= FA_COMBINE_THREADS ? 1 : FA_COMBINE_THREADS / PB;
    const float *base = p.part + fa_part_idx(&p, h, i, s, 0);
    const int64_t stride = dv + 2;
    const int64_t tb = blockIdx.x;
    if (t == 0) fa_trace(p, tb, 1);
    fa_wait_for_prerequisites(); /* the partials are written */
    if (t == 0) fa_trace(p, tb, 2);
    fa_params q1 = p;
    q1.n_split = 1;
    /* warp 0: the (m_k, l_k) of k = ln, ln + W, ... */
    float ml[LW], ll[LW];
#pragma unroll
    for (int v = 0; v < LW; v++) {
        const int k = ln + v * W;
        ml[v] = t < W && k < ns ? fa_ld_l2(base + k * stride + dv) : FA_NEG_INF;
        ll[v] = t < W && k < ns ? fa_ld_l2(base + k * stride + dv + 1) : 0.0f;
    }
    /* pairs e0 + (t % PB) in rounds of FA_COMBINE_THREADS (one round below PB = 256) */
    for (int e0 = e1; e0 < P; e0 += FA_COMBINE_THREADS) {
        const int j = t / PB, e = e0 + t % PB, d = 2 * e;
        const bool mine = j < J && e < P;
        float2 x[FA_COMBINE_LOADS];
        float2 o = make_float2(0.0f, 0.0f);
        /* the first FA_COMBINE_LOADS of this thread's splits: in flight now
         * (the loop stops at the group's last split: fewer instructions) */
#pragma unroll
        for (int u = 0; u < FA_COMBINE_LOADS; u++) {
            const int k = j + u * J;
            if (k >= ns) break;
            x[u] = mine ? fa_ld2_l2(base + k * stride + d) : make_float2(0.0f, 0.0f);
        }
        float wv[LW]; /* warp 0: the weights of its lane's splits */
        if (e0 == e1 && t < W) { /* warp 0, while those loads fly: M and the weights */
            float mm = ml[0];
#pragma unroll
            for (int v = 1; v < LW; v++) mm = fmaxf(mm, ml[v]);
            const float M = fa_warp_max(mm);
#pragma unroll
            for (int v = 0; v < LW; v++) {
                const int k = ln + v * W;
                wv[v] = ml[v] == FA_NEG_INF ? 0.0f : expf(ml[v] - M);
                if (k < ns) wk[k] = wv[v];
            }
            if (t == 0) msum[0] = M;
        }
        __syncthreads(); /* wk, msum[0] */
        if (t == 0) fa_trace(p, tb, 3);
        if (e0 == e1 && t < W) { /* warp 0, after the barrier (L is needed only at the end): L */
            float l = 0.0f;
#pragma unroll
            for (int v = 0; v < LW; v++)
                if (wv[v] != 0.0f) l = fmaf(ll[v], wv[v], l);
            l = fa_warp_sum(l); /* the butterfly */
            if (t == 0) msum[1] = l; /* read after the barrier below */
        }
        for (int u0 = 0;; u0 += FA_COMBINE_LOADS) {
#pragma unroll
            for (int u = 0; u < FA_COMBINE_LOADS; u++) {
                const int k = j + (u0 + u) * J;
                if (k >= ns) break;
                const float w = wk[k];
                if (w != 0.0f) o.x = fmaf(x[u].x, w, o.x), o.y = fmaf(x[u].y, w, o.y);
            }
            if (j + (u0 + FA_COMBINE_LOADS) * J >= ns) break; /* uniform per group; ns <= FA_SPLIT_MAX */
#pragma unroll
            for (int u = 0; u < FA_COMBINE_LOADS; u++) {
                const int k = j + (u0 + FA_COMBINE_LOADS + u) * J;
                if (k >= ns) break;
                x[u] = mine ? fa_ld2_l2(base + k * stride + d) : make_float2(0.0f, 0.0f);
            }
        }
        gsum[t] = o;
        __syncthreads();
        if (t == 0) fa_trace(p, tb, 4);
        if (j == 0 && e < P) {
            float2 r = gsum[t];
#pragma unroll 8 /* the loads of 8 groups at once; the sums still in order g */
            for (int g = 1; g < J; g++) r.x += gsum[g * PB + t].x, r.y += gsum[g * PB + t].y;
            fa_write(q1, d, i, h, s, 0, r.x, msum[0], msum[1]);
            fa_write(q1, d + 1, i, h, s, 0, r.y, msum[0], msum[1]);
        }
        __syncthreads(); /* gsum is reused by the next round */
    }
    if (t == 0) fa_trace(p, tb, 5);
}
#endif

#endif
