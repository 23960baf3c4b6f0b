/* kernels/gpu/fa_index.h — the index math and element decoding the kernels use.
 *
 * Owns: the kernel parameter block (byte strides, sizes, flags, launch
 * geometry) and every address computation and element conversion a kernel
 * performs: q row, broadcast k/v row (GQA and sequence broadcast), mask entry
 * (plane h % m2, sequence s % m3), output element, split scratch slot, ALiBi
 * slope, f16/bf16 widening and ggml block dequantization of one element.
 * Written once as plain C that also compiles as device code, so that host unit
 * tests (tests/test_gpu_index.c) check it against the foundation's
 * independent implementations (fasv_data_row, fasv_dequant_row_f32).
 * Must not know: planners, routes, GPU runtimes.
 */
#ifndef FASV_FA_INDEX_H
#define FASV_FA_INDEX_H

#include <math.h>
#include <stdint.h>

#if defined(__HIPCC__) || defined(__CUDACC__) || defined(__HIP__)
#define FA_HD __host__ __device__ static inline
#else
#define FA_HD static inline
#endif

/* Element types, numbered as fasv_type in fasv/types.h (checked by the test). */
enum { FA_F32 = 0, FA_F16, FA_BF16, FA_Q8_0, FA_Q4_0, FA_Q4_1, FA_Q5_0, FA_Q5_1, FA_NTYPES };

/* Test-only fault injection (fasv_gpu_set_fault): never set in production. */
enum { FA_FAULT_NONE = 0, FA_FAULT_KV_TAIL = 1 };

/* Division by a launch-invariant divisor without a divide instruction (a
 * divide is a ~25-instruction sequence on NVIDIA, and the MMA decode body's
 * prologue, which runs before its first loads, had 13 of them): for
 * numerators 0 <= n < 2^31 and a divisor 1 <= d < 2^31, with l = ceil(log2
 * d) and p = 31 + l, m = ceil(2^p / d) fits 32 bits and floor(n m / 2^p) =
 * floor(n / d) (the round-up method of Granlund and Montgomery: the error
 * n (m d - 2^p) / (d 2^p) < n / 2^p < 2^-l <= 1 / d cannot carry n / d past
 * the next integer). d = 1 (l = 0) is taken apart. */
typedef struct fa_fdiv {
    uint32_t d, m; /* the divisor and its multiplier */
    int32_t s;     /* p - 32 = l - 1 */
} fa_fdiv;

FA_HD fa_fdiv fa_fdiv_make(int32_t d) {
    fa_fdiv f;
    f.d = (uint32_t)(d < 1 ? 1 : d), f.m = 0, f.s = 0;
    if (f.d > 1) {
        int l = 0;
        while (((uint64_t)1 << l) < f.d) l++;
        f.m = (uint32_t)((((uint64_t)1 << (31 + l)) + f.d - 1) / f.d);
        f.s = l - 1;
    }
    return f;
}
/* n / d for 0 <= n < 2^31 */
FA_HD int fa_fdiv_q(fa_fdiv f, int n) {
#if defined(__CUDA_ARCH__)
    const uint32_t hi = __umulhi((uint32_t)n, f.m);
#else
    const uint32_t hi = (uint32_t)(((uint64_t)(uint32_t)n * f.m) >> 32);
#endif
    return f.d == 1 ? n : (int)(hi >> f.s);
}

typedef struct fa_params {
    const uint8_t *q, *k, *v, *mask, *sinks; /* element [0,0,0,0] of each view */
    float *out;                              /* [dv, n_head, n_q, n_seq] contiguous */
    float *part;                             /* split scratch: rows * n_split * (dv + 2) floats */
    uint64_t *trace;                         /* diagnostics (FASV_GPU_TRACE, NVIDIA): FA_TRACE_WORDS words
                                                per block of the MMA decode body, then per combine block
                                                (fa_kernels.h says which); NULL: none */
    int64_t nbq1, nbq2, nbq3;
    int64_t nbk1, nbk2, nbk3;
    int64_t nbv1, nbv2, nbv3;
    int64_t nbm1, nbm2, nbm3;
    int32_t dk, dv, n_q, n_head, n_seq, n_kv, n_head_kv, n_seq_k;
    int32_t m2, m3;    /* mask planes (1 when no mask) */
    int32_t gqa;       /* n_head / n_head_kv */
    int32_t seq_ratio; /* n_seq / n_seq_k */
    int32_t type_k, type_v;
    int32_t has_mask, has_sinks;
    float scale, softcap, m0, m1; /* m0, m1: ALiBi bases (slope 1 when max_bias == 0) */
    int32_t n_head_log2;          /* 2^floor(log2 n_head) */
    int32_t use_alibi;
    int32_t ncols1, ncols2; /* query rows x GQA heads per block */
    int32_t kv_tile;        /* keys per tile (TILE and SPLIT) */
    int32_t n_split;        /* 1 = write out directly; >1 = write partials to part */
    int32_t groups;         /* ceil(gqa / ncols2): head groups per kv head */
    int32_t fault;          /* FA_FAULT_* */
    /* n_split, groups, ncols2, seq_ratio as fast divisors (fa_fdiv_make of
     * each; the MMA decode body's prologue divides by them) */
    fa_fdiv fd_split, fd_groups, fd_ncols2, fd_seq_ratio;
} fa_params;

/* ---- element decoding (identical bits on host and device) ---------------- */

FA_HD float fa_bits_f32(uint32_t u) {
    union { uint32_t u; float f; } c;
    c.u = u;
    return c.f;
}

FA_HD float fa_f16(uint32_t h) {
    uint32_t sign = (h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) {
        float v = (float)m * 5.9604644775390625e-08f; /* m * 2^-24, exact */
        return sign ? -v : v;
    }
    if (e == 31) return fa_bits_f32(sign | 0x7f800000u | (m << 13));
    return fa_bits_f32(sign | ((e + 112u) << 23) | (m << 13));
}

FA_HD float fa_bf16(uint32_t h) { return fa_bits_f32(h << 16); }

FA_HD uint32_t fa_rd16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }

/* Bytes of one block (32 values) of a quantized type; element size otherwise. */
FA_HD int fa_block_bytes(int t) {
    switch (t) {
    case FA_F32: return 4;
    case FA_F16: case FA_BF16: return 2;
    case FA_Q8_0: return 34;
    case FA_Q4_0: return 18;
    case FA_Q4_1: return 20;
    case FA_Q5_0: return 22;
    default: return 24; /* FA_Q5_1 */
    }
}

/* Value d of a row stored in type t (row = first byte of the row). Quantized:
 * block d/32; element j < 16 is the low nibble of qs[j], j >= 16 the high
 * nibble of qs[j-16]; q5's fifth bit is bit j of the 32-bit qh word. */
FA_HD float fa_load(int t, const uint8_t *row, int d) {
    if (t == FA_F32) return ((const float *)row)[d];
    if (t == FA_F16) return fa_f16(((const uint16_t *)row)[d]);
    if (t == FA_BF16) return fa_bf16(((const uint16_t *)row)[d]);
    const int j = d & 31;
    const uint8_t *b = row + (d >> 5) * fa_block_bytes(t);
    const float sc = fa_f16(fa_rd16(b));
    if (t == FA_Q8_0) return (float)(int8_t)b[2 + j] * sc;
    const int hdr = (t == FA_Q4_0) ? 2 : (t == FA_Q4_1) ? 4 : (t == FA_Q5_0) ? 6 : 8;
    const uint8_t byte = b[hdr + (j & 15)];
    int nib = j < 16 ? (byte & 15) : (byte >> 4);
    if (t == FA_Q5_0 || t == FA_Q5_1) {
        const uint8_t *qh = b + (t == FA_Q5_0 ? 2 : 4);
        nib |= ((qh[j >> 3] >> (j & 7)) & 1) << 4;
    }
    if (t == FA_Q4_0) return (float)(nib - 8) * sc;
    if (t == FA_Q5_0) return (float)(nib - 16) * sc;
    return (float)nib * sc + fa_f16(fa_rd16(b + 2)); /* q4_1, q5_1: d*x + m */
}

/* ---- addressing ---------------------------------------------------------- */

/* Byte offset of q row (token i, head h, sequence s). */
FA_HD int64_t fa_q_off(const fa_params *p, int i, int h, int s) {
    return (int64_t)i * p->nbq1 + (int64_t)h * p->nbq2 + (int64_t)s * p->nbq3;
}
/* KV head and sequence that q head h of sequence s reads. */
FA_HD int fa_kv_head(const fa_params *p, int h) { return h / p->gqa; }
FA_HD int fa_kv_seq(const fa_params *p, int s) { return s / p->seq_ratio; }
FA_HD int64_t fa_k_off(const fa_params *p, int j, int h, int s) {
    return (int64_t)j * p->nbk1 + (int64_t)fa_kv_head(p, h) * p->nbk2 + (int64_t)fa_kv_seq(p, s) * p->nbk3;
}
FA_HD int64_t fa_v_off(const fa_params *p, int j, int h, int s) {
    return (int64_t)j * p->nbv1 + (int64_t)fa_kv_head(p, h) * p->nbv2 + (int64_t)fa_kv_seq(p, s) * p->nbv3;
}
/* Byte offset of mask entry [j, i, h % m2, s % m3]. */
FA_HD int64_t fa_mask_off(const fa_params *p, int j, int i, int h, int s) {
    return (int64_t)j * 2 + (int64_t)i * p->nbm1 + (int64_t)(h % p->m2) * p->nbm2 + (int64_t)(s % p->m3) * p->nbm3;
}
/* Index (in floats) of out[d, h, i, s]. */
FA_HD int64_t fa_out_idx(const fa_params *p, int d, int h, int i, int s) {
    return (((int64_t)s * p->n_q + i) * p->n_head + h) * p->dv + d;
}
/* The combine's shape (benchmark knobs: -D for the C and the CUDA flags
 * alike): threads of a combine block, and partials one thread sums at most
 * where the slices allow (fa_combine_pairs; bench/calib_mma emulates the
 * groups they give). */
#ifndef FASV_COMBINE_THREADS
#define FASV_COMBINE_THREADS 256
#endif
#ifndef FASV_COMBINE_MOST
#define FASV_COMBINE_MOST 8
#endif
/* Element pairs of a row that one combine block merges (a slice; the
 * combine grid has ceil(dv/2 / pairs) blocks per row): all dv/2 pairs,
 * halved (rounding up) while above 16 pairs and while a thread of the
 * block's `threads`, which split the n_split partials into threads / pairs
 * groups, would sum more than `most` of them (then a row's partials are
 * read by several SMs at once). */
FA_HD int fa_combine_pairs(int dv, int n_split, int threads, int most) {
    int pb = dv / 2;
    while (pb > 16) {
        const int groups = pb >= threads ? 1 : threads / pb;
        if ((n_split + groups - 1) / groups <= most) break;
        pb = (pb + 1) / 2;
    }
    return pb;
}
/* Index (in floats) of the partial of (h, i, s) from split k: dv values, then M, then L. */
FA_HD int64_t fa_part_idx(const fa_params *p, int h, int i, int s, int k) {
    return ((((int64_t)s * p->n_q + i) * p->n_head + h) * p->n_split + k) * (int64_t)(p->dv + 2);
}

/* In-block column c = c1 * ncols2 + c2 of block (bx, kv head hkv, head
 * group g) -> the column (query row i, head h); 0 when it falls past n_q or
 * past the kv head's gqa heads (a tail block). */
FA_HD int fa_column_at(const fa_params *p, int bx, int hkv, int g, int c1, int c2, int *i, int *h) {
    const int gh = g * p->ncols2 + c2; /* head within the kv head's group */
    *i = bx * p->ncols1 + c1;
    *h = hkv * p->gqa + gh;
    return *i < p->n_q && gh < p->gqa;
}

/* Block coordinates -> the column (query row i, head h) of in-block column c
 * (fa_column_at). Returns 0 when the column falls past n_q or past the kv
 * head's gqa heads (a tail block). blockIdx.x = query-row block,
 * blockIdx.y = kv_head * groups + head group. */
FA_HD int fa_column(const fa_params *p, int bx, int by, int c, int *i, int *h) {
    return fa_column_at(p, bx, by / p->groups, by % p->groups, c / p->ncols2, c % p->ncols2, i, h);
}

/* The decode body's divide-free forms (p->fd_ncols2; the block's kv head
 * hkv = by / groups and head group g = by % groups already known), checked
 * against fa_column and fa_q_off by tests/test_gpu_index.c:
 * fa_column_fast is fa_column; fa_slot_q_fast gives slot c's Q row offset
 * as the block's slot-0 offset qb (fa_slot_q_base) plus c1 query rows and
 * c2 heads, and whether the slot has a column (a slot past ncols1 ncols2
 * included). */
FA_HD void fa_slot_split(const fa_params *p, int c, int *c1, int *c2) {
    *c1 = fa_fdiv_q(p->fd_ncols2, c);
    *c2 = c - *c1 * p->ncols2;
}
FA_HD int fa_column_fast(const fa_params *p, int bx, int hkv, int g, int c, int *i, int *h) {
    int c1, c2;
    fa_slot_split(p, c, &c1, &c2);
    return fa_column_at(p, bx, hkv, g, c1, c2, i, h);
}
FA_HD int64_t fa_slot_q_base(const fa_params *p, int bx, int hkv, int g, int s) {
    return fa_q_off(p, bx * p->ncols1, hkv * p->gqa + g * p->ncols2, s);
}
FA_HD int fa_slot_q_fast(const fa_params *p, int bx, int g, int64_t qb, int c, int64_t *off) {
    int c1, c2;
    fa_slot_split(p, c, &c1, &c2);
    *off = qb + (int64_t)c1 * p->nbq1 + (int64_t)c2 * p->nbq2;
    int i, h; /* fa_column_at's test only (any kv head) */
    return (c < p->ncols1 * p->ncols2) & fa_column_at(p, bx, 0, g, c1, c2, &i, &h); /* &: no branch in the prologue */
}

/* ALiBi slope of head h (1 without ALiBi). */
FA_HD float fa_slope(const fa_params *p, int h) {
    if (!p->use_alibi) return 1.0f;
    float base = h < p->n_head_log2 ? p->m0 : p->m1;
    int e = h < p->n_head_log2 ? h + 1 : 2 * (h - p->n_head_log2) + 1;
    return powf(base, (float)e);
}

/* KV range [*lo, *hi) of split k: split k of n_split owns KV tiles
 * [k*T/n_split, (k+1)*T/n_split) of the T = ceil(n_kv / kv_tile) tiles. */
FA_HD void fa_split_range(const fa_params *p, int k, int *lo, int *hi) {
    const int64_t T = ((int64_t)p->n_kv + p->kv_tile - 1) / p->kv_tile;
    int64_t a = (int64_t)k * T / p->n_split * p->kv_tile, b = ((int64_t)k + 1) * T / p->n_split * p->kv_tile;
    if (a > p->n_kv) a = p->n_kv;
    if (b > p->n_kv) b = p->n_kv;
    *lo = (int)a;
    *hi = (int)b;
}

#endif
