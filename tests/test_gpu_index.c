/* test_gpu_index.c — the kernels' index math and element decoding
 * (kernels/gpu/fa_index.h), run on the host against independent code: the
 * foundation's addressing (fasv_data_row) and dequantizers
 * (fasv_dequant_row_f32, fasv_f16_to_f32), DESIGN §1's broadcast and ALiBi
 * formulas computed in double, and coverage counts (every output column and
 * every key handled exactly once by the grid and the split ranges).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fasv/build.h"
#include "fasv/gen.h"
#include "gpu/fa_index.h"

static int same_bits(float a, float b) {
    if (isnan(a) && isnan(b)) return 1;
    return memcmp(&a, &b, 4) == 0;
}

static void test_types(void) {
    static const int fa[] = {FA_F32, FA_F16, FA_BF16, FA_Q8_0, FA_Q4_0, FA_Q4_1, FA_Q5_0, FA_Q5_1};
    static const int fv[] = {FASV_TYPE_F32,  FASV_TYPE_F16,  FASV_TYPE_BF16, FASV_TYPE_Q8_0,
                             FASV_TYPE_Q4_0, FASV_TYPE_Q4_1, FASV_TYPE_Q5_0, FASV_TYPE_Q5_1};
    for (int t = 0; t < 8; t++) CHECKF(fa[t] == fv[t], "type %d", t);
    CHECK((int)FA_NTYPES == (int)FASV_TYPE_COUNT);
    for (int t = 0; t < FASV_TYPE_COUNT; t++) CHECKF(fa_block_bytes(t) == fasv_type_get((fasv_type)t)->block_bytes, "type %d", t);
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        bad += !same_bits(fa_f16(h), fasv_f16_to_f32((uint16_t)h));
        bad += !same_bits(fa_bf16(h), fasv_bf16_to_f32((uint16_t)h));
    }
    CHECKF(bad == 0, "%d f16/bf16 patterns decode differently", bad);
}

/* Random bytes in every block (scales forced finite), decoded both ways. */
static void test_dequant(void) {
    fasv_rng r;
    fasv_rng_seed(&r, 7);
    uint8_t row[24 * 8 + 16];
    float ref[256];
    for (int t = 0; t < FASV_TYPE_COUNT; t++) {
        int n = 256;
        int64_t bytes = fasv_row_bytes((fasv_type)t, n);
        int bad = 0;
        for (int iter = 0; iter < 200; iter++) {
            uint8_t *buf = malloc((size_t)bytes);
            for (int64_t b = 0; b < bytes; b++) buf[b] = (uint8_t)fasv_rng_below(&r, 256);
            const fasv_type_info *ti = fasv_type_get((fasv_type)t);
            if (ti->is_quant) {
                for (int b = 0; b < n / 32; b++) {
                    uint8_t *p = buf + b * ti->block_bytes;
                    p[1] &= 0x7b; /* exponent < 31: finite scale (and min) */
                    if (t == FASV_TYPE_Q4_1 || t == FASV_TYPE_Q5_1) p[3] &= 0x7b;
                }
            } else if (t == FASV_TYPE_F32) {
                for (int i = 0; i < n; i++) buf[4 * i + 3] &= 0x7f;
            }
            fasv_dequant_row_f32((fasv_type)t, buf, ref, n);
            for (int d = 0; d < n; d++) bad += !same_bits(fa_load(t, buf, d), ref[d]);
            free(buf);
        }
        CHECKF(bad == 0, "%s: %d elements decode differently", fasv_type_name((fasv_type)t), bad);
    }
    (void)row;
}

/* Fill fa_params' addressing fields from a node, as the launcher does. */
static void params_of(const fasv_node *n, fa_params *p) {
    memset(p, 0, sizeof *p);
    p->nbq1 = n->q.nb[1], p->nbq2 = n->q.nb[2], p->nbq3 = n->q.nb[3];
    p->nbk1 = n->k.nb[1], p->nbk2 = n->k.nb[2], p->nbk3 = n->k.nb[3];
    p->nbv1 = n->v.nb[1], p->nbv2 = n->v.nb[2], p->nbv3 = n->v.nb[3];
    if (n->has_mask) p->nbm1 = n->mask.nb[1], p->nbm2 = n->mask.nb[2], p->nbm3 = n->mask.nb[3];
    p->dk = (int)fasv_dk(n), p->dv = (int)fasv_dv(n), p->n_q = (int)fasv_nq(n), p->n_head = (int)fasv_nhead(n);
    p->n_seq = (int)fasv_nseq(n), p->n_kv = (int)fasv_nkv(n), p->n_head_kv = (int)fasv_nhead_kv(n);
    p->n_seq_k = (int)fasv_nseq_kv(n);
    p->m2 = n->has_mask ? (int)n->mask.ne[2] : 1;
    p->m3 = n->has_mask ? (int)n->mask.ne[3] : 1;
    p->gqa = p->n_head / p->n_head_kv;
    p->seq_ratio = p->n_seq / p->n_seq_k;
}

static void test_addressing(void) {
    int cases = 0, bad = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        fasv_rng r;
        fasv_rng_seed(&r, seed);
        fasv_rand_opts o = {0};
        o.tiny = true;
        fasv_case c;
        fasv_random_case(&r, &o, &c);
        const fasv_node *n = &c.node;
        fa_params p;
        params_of(n, &p);
        fasv_data d;
        char err[256];
        if (fasv_gen(&c, &d, 1 << 24, err, sizeof err) != 0) continue;
        cases++;
        const uint8_t *q0 = fasv_data_base(&d, n, FASV_Q), *k0 = fasv_data_base(&d, n, FASV_K),
                      *v0 = fasv_data_base(&d, n, FASV_V), *m0 = n->has_mask ? fasv_data_base(&d, n, FASV_MASK) : NULL;
        int64_t nh = fasv_nhead(n), nhk = fasv_nhead_kv(n), ns = fasv_nseq(n), nsk = fasv_nseq_kv(n);
        for (int s = 0; s < ns; s++)
            for (int h = 0; h < nh; h++)
                for (int i = 0; i < p.n_q; i++) {
                    bad += q0 + fa_q_off(&p, i, h, s) != fasv_data_row(&d, n, FASV_Q, i, h, s);
                    /* DESIGN §1: head h reads kv head h / (n_head / n_head_kv), seq s reads s / (n_seq / n_seq_k) */
                    int64_t hk = h / (nh / nhk), sk = s / (ns / nsk);
                    for (int j = 0; j < p.n_kv; j++) {
                        if (i == 0) {
                            bad += k0 + fa_k_off(&p, j, h, s) != fasv_data_row(&d, n, FASV_K, j, hk, sk);
                            bad += v0 + fa_v_off(&p, j, h, s) != fasv_data_row(&d, n, FASV_V, j, hk, sk);
                        }
                        if (m0)
                            bad += m0 + fa_mask_off(&p, j, i, h, s) !=
                                   fasv_data_row(&d, n, FASV_MASK, i, h % n->mask.ne[2], s % n->mask.ne[3]) + 2 * j;
                    }
                }
        fasv_data_free(&d);
    }
    CHECKF(cases > 200, "only %d cases generated", cases);
    CHECKF(bad == 0, "%d addresses differ from fasv_data_row", bad);
}

/* Every (i, h) column is owned by exactly one (block, column) pair, for any
 * ncols1, ncols2 and GQA ratio (also when ncols2 does not divide it). */
static void test_columns(void) {
    int bad = 0;
    for (int gqa = 1; gqa <= 9; gqa++)
        for (int nhk = 1; nhk <= 3; nhk++)
            for (int nq = 1; nq <= 7; nq++)
                for (int c1 = 1; c1 <= 4; c1++)
                    for (int c2 = 1; c2 <= 8; c2 *= 2) {
                        fa_params p;
                        memset(&p, 0, sizeof p);
                        p.gqa = gqa, p.n_head_kv = nhk, p.n_head = gqa * nhk, p.n_q = nq;
                        p.nbq1 = 1000003, p.nbq2 = 7919, p.nbq3 = 104729; /* distinct: a wrong row or head moves the offset */
                        p.ncols1 = c1, p.ncols2 = c2, p.groups = (gqa + c2 - 1) / c2;
                        p.fd_ncols2 = fa_fdiv_make(c2); /* for the decode body's divide-free forms */
                        int *seen = calloc((size_t)(p.n_head * nq), sizeof(int));
                        int gx = (nq + c1 - 1) / c1, gy = nhk * p.groups;
                        for (int bx = 0; bx < gx; bx++)
                            for (int by = 0; by < gy; by++)
                                for (int c = 0; c < c1 * c2; c++) {
                                    int i, h, fi = -1, fh = -1;
                                    /* the decode body's divide-free form gives the same columns */
                                    const int okf = fa_column_fast(&p, bx, by / p.groups, by % p.groups, c, &fi, &fh);
                                    const int ok = fa_column(&p, bx, by, c, &i, &h);
                                    bad += okf != ok || (ok && (fi != i || fh != h));
                                    /* and the same Q rows from the block's slot-0 offset */
                                    int64_t qo = -1;
                                    const int okq = fa_slot_q_fast(
                                        &p, bx, by % p.groups, fa_slot_q_base(&p, bx, by / p.groups, by % p.groups, 1), c, &qo);
                                    bad += okq != ok || (ok && qo != fa_q_off(&p, i, h, 1));
                                    if (!ok) continue;
                                    if (i < 0 || i >= nq || h < 0 || h >= p.n_head) {
                                        bad++;
                                        continue;
                                    }
                                    /* all columns of a block share the block's kv head */
                                    bad += h / gqa != by / p.groups;
                                    seen[h * nq + i]++;
                                }
                        for (int x = 0; x < p.n_head * nq; x++) bad += seen[x] != 1;
                        free(seen);
                    }
    CHECKF(bad == 0, "%d column ownership errors", bad);
}

static void test_split_and_out(void) {
    int bad = 0;
    for (int nkv = 1; nkv <= 300; nkv += 7)
        for (int ns = 1; ns <= 9; ns++)
            for (int kt = 1; kt <= 64; kt *= 4) {
                fa_params p;
                memset(&p, 0, sizeof p);
                p.n_kv = nkv, p.n_split = ns, p.kv_tile = kt;
                int covered = 0, prev = 0;
                for (int k = 0; k < ns; k++) {
                    int lo, hi;
                    fa_split_range(&p, k, &lo, &hi);
                    bad += lo != prev || hi < lo || hi > nkv;
                    if (hi < nkv) bad += (hi - lo) % kt != 0;
                    /* with no more splits than tiles, every split owns a key */
                    if (ns <= (nkv + kt - 1) / kt) bad += hi == lo;
                    covered += hi - lo;
                    prev = hi;
                }
                bad += covered != nkv;
            }
    CHECKF(bad == 0, "%d split range errors", bad);
    fa_params p;
    memset(&p, 0, sizeof p);
    p.dv = 3, p.n_head = 4, p.n_q = 5, p.n_seq = 2, p.n_split = 3;
    int count = 3 * 4 * 5 * 2;
    int *seen = calloc((size_t)count, sizeof(int));
    int64_t prev_part = -1;
    bad = 0;
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < 5; i++)
            for (int h = 0; h < 4; h++) {
                for (int d = 0; d < 3; d++) {
                    int64_t x = fa_out_idx(&p, d, h, i, s);
                    /* DESIGN §1: out is [Dv, n_head, n_q, n_seq], contiguous */
                    bad += x != d + 3 * (h + 4 * (i + 5 * s));
                    if (x >= 0 && x < count) seen[x]++;
                }
                for (int k = 0; k < 3; k++) {
                    int64_t y = fa_part_idx(&p, h, i, s, k);
                    /* partials of consecutive (row, split) pairs, dv + 2 floats each, from 0 */
                    bad += y != (prev_part < 0 ? 0 : prev_part + 5);
                    prev_part = y;
                }
            }
    for (int x = 0; x < count; x++) bad += seen[x] != 1;
    CHECKF(bad == 0, "%d output/partial index errors", bad);
    free(seen);
}

static void test_alibi(void) {
    int bad = 0;
    const float biases[] = {0.5f, 1.0f, 8.0f};
    for (int nh = 1; nh <= 40; nh++)
        for (int b = 0; b < 3; b++) {
            fa_params p;
            memset(&p, 0, sizeof p);
            int n2 = 1;
            while (n2 * 2 <= nh) n2 *= 2;
            p.use_alibi = 1, p.n_head_log2 = n2;
            p.m0 = powf(2.0f, -biases[b] / (float)n2);
            p.m1 = powf(2.0f, -biases[b] / 2.0f / (float)n2);
            for (int h = 0; h < nh; h++) {
                /* DESIGN §1 in double */
                double m0 = pow(2.0, -biases[b] / n2), m1 = pow(2.0, -biases[b] / 2.0 / n2);
                double want = h < n2 ? pow(m0, h + 1) : pow(m1, 2 * (h - n2) + 1);
                double got = fa_slope(&p, h);
                if (fabs(got - want) > 1e-5 * want) bad++;
            }
        }
    CHECKF(bad == 0, "%d ALiBi slopes off by more than 1e-5 relative", bad);
    fa_params p;
    memset(&p, 0, sizeof p);
    CHECK(fa_slope(&p, 3) == 1.0f);
}

/* The combine's slices: hand-computed cases, then the rule's promises over
 * a grid (slices of more than 8 pairs, unless the row has fewer; a thread
 * sums at most `most` partials unless the slice is down to 16 pairs or
 * fewer). */
static void test_combine_slices(void) {
    /* dv, n_split, threads, most -> pairs per slice */
    static const int want[][5] = {
        {128, 33, 256, 8, 32},  /* 64 pairs: 4 groups x 9 > 8; 32: 8 groups x 5 */
        {128, 128, 256, 8, 16}, /* 32: 8 x 16 > 8; 16: 16 x 8 */
        {128, 2, 256, 8, 64},   /* one slice: 4 groups x 1 */
        {256, 33, 256, 8, 32},  /* 128: 2 x 17; 64: 4 x 9; 32: 8 x 5 */
        {512, 2, 256, 8, 256},  /* 256 pairs >= threads: one group of 2 */
        {512, 64, 256, 8, 32},  /* 256: 1 x 64; 128: 2 x 32; 64: 4 x 16; 32: 8 x 8 */
        {72, 64, 256, 8, 18},   /* 36: 7 groups x 10 > 8; 18: 14 x 5 */
        {128, 256, 256, 8, 16}, /* stops at 16 pairs though 16 groups x 16 > 8 */
        {16, 64, 256, 8, 8},    /* a row of 8 pairs is one slice */
    };
    for (size_t c = 0; c < sizeof want / sizeof want[0]; c++) {
        int got = fa_combine_pairs(want[c][0], want[c][1], want[c][2], want[c][3]);
        CHECKF(got == want[c][4], "dv=%d n_split=%d: %d pairs per slice, want %d", want[c][0], want[c][1], got, want[c][4]);
    }
    int bad = 0;
    for (int dv = 8; dv <= 512; dv += 8)
        for (int ns = 2; ns <= 256; ns++) {
            const int pb = fa_combine_pairs(dv, ns, 256, 8), groups = pb >= 256 ? 1 : 256 / pb;
            if (pb > dv / 2 || (pb <= 8 && pb != dv / 2)) bad++;
            else if ((ns + groups - 1) / groups > 8 && pb > 16) bad++;
        }
    CHECKF(bad == 0, "%d (dv, n_split) pairs break the slice rule", bad);
}

/* fa_fdiv_q against C's division: every divisor up to 4096 and the
 * powers of two and their neighbours up to 2^31 - 1, with numerators at
 * both ends of the range, around multiples of the divisor, and random. */
static void test_fdiv(void) {
    long bad = 0, n_checked = 0;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int32_t ds[4096 + 3 * 31];
    int nd = 0;
    for (int32_t d = 1; d <= 4096; d++) ds[nd++] = d;
    for (int k = 1; k < 31; k++) ds[nd++] = (1 << k) - 1, ds[nd++] = 1 << k, ds[nd++] = (1 << k) + 1;
    ds[nd++] = INT32_MAX;
    for (int a = 0; a < nd; a++) {
        const int32_t d = ds[a];
        const fa_fdiv f = fa_fdiv_make(d);
        int32_t ns[64];
        int nn = 0;
        ns[nn++] = 0, ns[nn++] = 1, ns[nn++] = INT32_MAX, ns[nn++] = INT32_MAX - 1, ns[nn++] = d - 1, ns[nn++] = d;
        const int64_t big = (int64_t)(INT32_MAX / d) * d; /* the largest multiple of d in range */
        ns[nn++] = (int32_t)big, ns[nn++] = (int32_t)(big - 1);
        for (int r = 0; r < 40; r++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            ns[nn++] = (int32_t)(x & 0x7fffffffu);
        }
        for (int b = 0; b < nn; b++) {
            if (ns[b] < 0) continue;
            bad += fa_fdiv_q(f, ns[b]) != ns[b] / d;
            n_checked++;
        }
    }
    /* every numerator up to 2^20 for a few divisors */
    static const int32_t dd[] = {3, 7, 33, 100, 641, 65537};
    for (int a = 0; a < 6; a++) {
        const fa_fdiv f = fa_fdiv_make(dd[a]);
        for (int32_t n = 0; n < (1 << 20); n++, n_checked++) bad += fa_fdiv_q(f, n) != n / dd[a];
    }
    CHECKF(bad == 0, "%ld of %ld fast divisions differ from C's", bad, n_checked);
    CHECK(fa_fdiv_q(fa_fdiv_make(7), 100) == 14); /* by hand */
}

int main(void) {
    test_fdiv();
    test_types();
    test_dequant();
    test_addressing();
    test_columns();
    test_split_and_out();
    test_alibi();
    test_combine_slices();
    return check_report("test_gpu_index");
}
