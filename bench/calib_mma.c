/* calib_mma.c — does the MMA kernel's arithmetic pass the tolerance model?
 *
 * Owns: a CPU emulation of the rounding steps of fa_mma_kernel
 * (kernels/fa_mma.h), run on random nodes the planner would give MMA
 * (Dk = Dv in {64, 128, 256}, f16 or bf16 K/V, default precision, n_q >= 3,
 * masks, ALiBi, softcap, sinks, GQA, two sequences) under all three data
 * distributions, each output judged by fasv_compare against the oracle with
 * the default tolerance. The emulation follows the kernel step by step:
 *   Q scaled per row by 2^e (f16: max |q| into [2^14, 2^15)), split into
 *   --q-terms terms of the operand type (RN), each term's dot with K summed
 *   over 16-element chunks (exact products, one rounding per chunk into the
 *   f32 accumulator, as an MMA adds a k=16 chunk), logit = acc * (scale *
 *   2^-e), softcap, mask * slope; per tile of KT keys: running max, P =
 *   exp2((x - m) * log2 e), for f16 times 2^15, split into --p-terms terms
 *   of the operand type, row sum of the rounded terms, O += P.V per 16-key
 *   chunk; O / l at the end (the 2^15 cancels).
 * --q-terms 1 (Q rounded to f16 once, what a plain tensor-core kernel does)
 * and --no-p-scale (P rounded to f16 as it is, subnormals below 6e-5) show
 * what the split and the scaling buy.
 * The oracle is the judge; this file judges nothing by itself.
 * --decode: single-row nodes with 512..6000 keys instead, emulated as the MMA
 * decode body of the typed SPLIT instances (kernels/fa_mma.h fa_mmad_kernel:
 * 16-key warp steps, one Q.K accumulator per Q term, the warps' merge, split
 * partials) and fa_combine_kernel, with the planner's split count on sm_90.
 * --strict: exit 1 when any case fails (ctest calib_mma_decode runs the
 * kernel's arithmetic, calib_mma_decode_q1 a weakened one that must fail).
 * usage: calib_mma [--cases N] [--seed S] [--q-terms T] [--p-terms T] [--max-work W]
 *                  [--no-p-scale] [--verbose] [--save-failures DIR] [--case FILE] [--decode] [--strict]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/build.h"
#include "fasv/gen.h"
#include "fasv/oracle.h"
#include "fasv/rng.h"
#include "fasv/types.h"
#include "kernels/mma.h"
#include "kernels/gpu/fa_index.h"
#include "kernels/planner.h"
#include "kernels/registry.h"

static int g_verbose = 0;
static float g_pscale = 32768.0f;
static const char *g_save = NULL, *g_case = NULL;
static int g_decode = 0; /* --decode: single-row long-KV nodes, the MMA decode body and the combine */
static int g_strict = 0; /* --strict: exit 1 when any emulated case fails the tolerance model (ctest) */
static long g_not_routed = 0;
static int g_qterms_f16 = 2, g_qterms_bf16 = 3, g_pterms_f16 = 1, g_pterms_bf16 = 2;

static float rnd(int bf16, float x) {
    return bf16 ? fasv_bf16_to_f32(fasv_f32_to_bf16(x)) : fasv_f16_to_f32(fasv_f32_to_f16(x));
}

static void row_f32(fasv_type t, const uint8_t *row, float *out, int64_t n) { fasv_dequant_row_f32(t, row, out, n); }

/* The kernel's output for node n on data d, into out [Dv, n_head, n_q, n_seq]. */
/* What both emulations share. */
typedef struct emu {
    int64_t D, nq, nh, ns, nkv, gqa, sr, m2, m3;
    int bf, NT, PT, nl2;
    float pl2, m0, m1;
} emu;

static void emu_init(emu *e, const fasv_node *n) {
    e->D = fasv_dk(n), e->nq = fasv_nq(n), e->nh = fasv_nhead(n), e->ns = fasv_nseq(n), e->nkv = fasv_nkv(n);
    e->gqa = fasv_gqa(n), e->sr = e->ns / fasv_nseq_kv(n);
    e->bf = n->k.type == FASV_TYPE_BF16;
    e->NT = e->bf ? g_qterms_bf16 : g_qterms_f16, e->PT = e->bf ? g_pterms_bf16 : g_pterms_f16;
    /* f16 P is scaled by 2^15 before rounding (p <= 1, so p * 2^15 fits f16
     * and stays out of the subnormals down to p ~ 2e-9); the factor cancels
     * in O / l. bf16 has f32's range. */
    e->pl2 = e->bf ? 0.0f : log2f(g_pscale);
    e->m2 = n->has_mask ? n->mask.ne[2] : 1, e->m3 = n->has_mask ? n->mask.ne[3] : 1;
    e->nl2 = 1;
    while (e->nl2 * 2 <= e->nh) e->nl2 *= 2;
    e->m0 = powf(2.0f, -n->max_bias / (float)e->nl2), e->m1 = powf(2.0f, -n->max_bias / 2.0f / (float)e->nl2);
}

/* K and V rows of (sequence s, head h) as f32; the head's ALiBi slope and sink. */
static void emu_head(const emu *e, const fasv_node *n, const fasv_data *d, int64_t s, int64_t h, float *K, float *V,
                     float *slope, float *sink) {
    const int64_t hk = h / e->gqa, sk = s / e->sr;
    for (int64_t j = 0; j < e->nkv; j++) {
        row_f32(n->k.type, fasv_data_row(d, n, FASV_K, j, hk, sk), K + j * e->D, e->D);
        row_f32(n->v.type, fasv_data_row(d, n, FASV_V, j, hk, sk), V + j * e->D, e->D);
    }
    *slope = 1.0f;
    if (n->max_bias > 0.0f)
        *slope = h < e->nl2 ? powf(e->m0, (float)(h + 1)) : powf(e->m1, (float)(2 * (h - e->nl2) + 1));
    *sink = 0.0f;
    if (n->has_sinks) memcpy(sink, fasv_data_base(d, n, FASV_SINKS) + 4 * h, 4);
}

/* Q row (s, i, h) scaled by 2^e and split into NT terms of the operand type
 * (qt[u * D + e]); returns the logit factor scale * 2^-e. */
static float emu_q(const emu *e, const fasv_node *n, const fasv_data *d, int64_t s, int64_t i, int64_t h, float *q,
                   float *qt) {
    row_f32(FASV_TYPE_F32, fasv_data_row(d, n, FASV_Q, i, h, s), q, e->D);
    float mx = 0.0f;
    for (int64_t k = 0; k < e->D; k++) mx = fmaxf(mx, fabsf(q[k]));
    int ex = 0, sc = 0;
    if (!e->bf && mx > 0.0f && isfinite(mx)) {
        frexpf(mx, &ex);
        sc = 15 - ex;
        sc = sc < -126 ? -126 : sc > 126 ? 126 : sc;
    }
    const float f = ldexpf(1.0f, sc);
    for (int64_t k = 0; k < e->D; k++) {
        float v = q[k] * f;
        for (int u = 0; u < 3; u++) {
            float b = u < e->NT ? rnd(e->bf, v) : 0.0f;
            qt[u * e->D + k] = b;
            v -= b;
        }
    }
    return n->scale * ldexpf(1.0f, -sc);
}

/* The logit from the Q.K accumulator: factor, softcap, ALiBi-scaled mask. */
static float emu_logit(const fasv_node *n, float acc, float rs, float slope, const uint8_t *mk, int64_t j) {
    float xv = acc * rs;
    if (n->softcap != 0.0f) xv = n->softcap * tanhf(xv / n->softcap);
    if (mk) xv += slope * fasv_f16_to_f32(fasv_rd16(mk + 2 * j));
    return xv;
}

/* One online-softmax step over the nk logits x (tmax their maximum): the
 * running max m and sum l updated, P scaled and split into PT terms of the
 * operand type (pr[u * stride + jj]); returns the factor for O. */
static float emu_step(const emu *e, const float *x, int nk, float tmax, float *m, float *l, float *pr, int stride) {
    const float L2E = 1.4426950408889634f;
    const float mnew = fmaxf(*m, tmax), muse = mnew == -INFINITY ? 0.0f : mnew;
    const float alpha = exp2f((*m - muse) * L2E);
    *m = mnew;
    float lsum = 0.0f;
    for (int jj = 0; jj < nk; jj++) {
        float pv = exp2f(fmaf(x[jj] - muse, L2E, e->pl2));
        for (int u = 0; u < 2; u++) {
            float b = u < e->PT ? rnd(e->bf, pv) : 0.0f;
            pr[u * stride + jj] = b;
            lsum += b;
            pv -= b;
        }
    }
    *l = *l * alpha + lsum;
    return alpha;
}

static void emulate(const fasv_node *n, const fasv_data *d, float *out) {
    emu E;
    emu_init(&E, n);
    const int64_t D = E.D, nq = E.nq, nh = E.nh, ns = E.ns, nkv = E.nkv, m2 = E.m2, m3 = E.m3;
    const int NT = E.NT, PT = E.PT;
    const int KT = D <= 128 ? 64 : 32;
    const float pl2 = E.pl2;
    float *q = malloc(sizeof(float) * (size_t)D), *qt = malloc(sizeof(float) * (size_t)(3 * D));
    float *K = malloc(sizeof(float) * (size_t)(nkv * D)), *V = malloc(sizeof(float) * (size_t)(nkv * D));
    float *o = malloc(sizeof(float) * (size_t)D), *x = malloc(sizeof(float) * KT), *pr = malloc(sizeof(float) * KT * 2);
    for (int64_t s = 0; s < ns; s++)
        for (int64_t h = 0; h < nh; h++) {
            float slope, sink;
            emu_head(&E, n, d, s, h, K, V, &slope, &sink);
            for (int64_t i = 0; i < nq; i++) {
                const uint8_t *mk = n->has_mask ? fasv_data_row(d, n, FASV_MASK, i, h % m2, s % m3) : NULL;
                const float rs = emu_q(&E, n, d, s, i, h, q, qt);
                float m = -INFINITY, l = 0.0f;
                for (int64_t e = 0; e < D; e++) o[e] = 0.0f;
                for (int64_t j0 = 0; j0 < nkv; j0 += KT) {
                    float tmax = -INFINITY;
                    for (int jj = 0; jj < KT; jj++) {
                        const int64_t j = j0 + jj;
                        float xv = -INFINITY;
                        if (j < nkv) {
                            float acc = 0.0f;
                            for (int64_t kc = 0; kc < D; kc += 16)
                                for (int u = 0; u < NT; u++) {
                                    double part = 0.0;
                                    for (int64_t e = kc; e < kc + 16; e++) part += (double)qt[u * D + e] * K[j * D + e];
                                    acc = (float)((double)acc + part);
                                }
                            xv = emu_logit(n, acc, rs, slope, mk, j);
                        }
                        x[jj] = xv;
                        tmax = fmaxf(tmax, xv);
                    }
                    const float alpha = emu_step(&E, x, KT, tmax, &m, &l, pr, KT);
                    for (int64_t e = 0; e < D; e++) {
                        float acc = o[e] * alpha;
                        for (int kc = 0; kc < KT; kc += 16)
                            for (int u = 0; u < PT; u++) {
                                double part = 0.0;
                                for (int jj = kc; jj < kc + 16; jj++)
                                    if (j0 + jj < nkv) part += (double)pr[u * KT + jj] * V[(j0 + jj) * D + e];
                                acc = (float)((double)acc + part);
                            }
                        o[e] = acc;
                    }
                }
                float *dst = out + ((s * nq + i) * nh + h) * D;
                float ff = 1.0f, den = l;
                if (m != -INFINITY && n->has_sinks) {
                    const float mm = fmaxf(m, sink);
                    ff = expf(m - mm);
                    den = l * ff + expf(sink - mm) * exp2f(pl2); /* l is in units of the P scale */
                }
                for (int64_t e = 0; e < D; e++) dst[e] = m == -INFINITY ? 0.0f : o[e] * ff / den;
            }
        }
    free(q), free(qt), free(K), free(V), free(o), free(x), free(pr);
}

/* The MMA decode body (fa_mmad_kernel) and the combine, for a node the
 * planner routes there with n_split splits: split k's NW = FASV_MMAD_WARPS(D)
 * warps each take the 16 keys at 16 NW k + 16w + 16 NW n_split t; Q.K keeps one f32 accumulator per Q term (a
 * rounding per 16-element chunk into each), added at the end, lowest term
 * first; P.V adds one 16-key chunk per step; each warp has its own (m, l, O);
 * the warps merge in order w = 0..NW-1 (f * x + acc contracted to an FMA, as
 * nvcc does); partials are scaled back from the P scale; the combine takes
 * the splits' maximum, weighs each split by exp(m_k - max) and sums them in
 * its fixed order (fa_combine_kernel), then the sink. */
static void emulate_decode(const fasv_node *n, const fasv_data *d, int n_split, float *out) {
    emu E;
    emu_init(&E, n);
    const int64_t D = E.D, nq = E.nq, nh = E.nh, ns = E.ns, nkv = E.nkv, m2 = E.m2, m3 = E.m3;
    const int NT = E.NT, PT = E.PT;
    const float un = ldexpf(1.0f, -(int)E.pl2);
    float *q = malloc(sizeof(float) * (size_t)D), *qt = malloc(sizeof(float) * (size_t)(3 * D));
    float *K = malloc(sizeof(float) * (size_t)(nkv * D)), *V = malloc(sizeof(float) * (size_t)(nkv * D));
    const int NW = FASV_MMAD_WARPS(D), KVS = FASV_MMAD_KV(D);
    float *ow = malloc(sizeof(float) * (size_t)(NW * D));
    float *part = malloc(sizeof(float) * (size_t)(n_split * (D + 2))), *wk = malloc(sizeof(float) * (size_t)n_split);
    for (int64_t s = 0; s < ns; s++)
        for (int64_t h = 0; h < nh; h++) {
            float slope, sink;
            emu_head(&E, n, d, s, h, K, V, &slope, &sink);
            for (int64_t i = 0; i < nq; i++) {
                const uint8_t *mk = n->has_mask ? fasv_data_row(d, n, FASV_MASK, i, h % m2, s % m3) : NULL;
                const float rs = emu_q(&E, n, d, s, i, h, q, qt);
                for (int k = 0; k < n_split; k++) {
                    /* split k: the block steps k, k + n_split, ... (interleaved) */
                    const int64_t lo = (int64_t)k * KVS, hi = nkv;
                    float mw[8], lw[8];
                    for (int w = 0; w < NW; w++) {
                        float *o = ow + w * D;
                        float m = -INFINITY, l = 0.0f;
                        for (int64_t e = 0; e < D; e++) o[e] = 0.0f;
                        for (int64_t j0 = lo + 16 * w; j0 < hi; j0 += (int64_t)KVS * n_split) {
                            float x[16], pr[2][16], tmax = -INFINITY;
                            for (int jj = 0; jj < 16; jj++) {
                                const int64_t j = j0 + jj;
                                float xv = -INFINITY;
                                if (j < hi) {
                                    float acc[3] = {0.0f, 0.0f, 0.0f};
                                    for (int64_t kc = 0; kc < D; kc += 16)
                                        for (int u = 0; u < NT; u++) {
                                            double pp = 0.0;
                                            for (int64_t e = kc; e < kc + 16; e++) pp += (double)qt[u * D + e] * K[j * D + e];
                                            acc[u] = (float)((double)acc[u] + pp);
                                        }
                                    float low = 0.0f;
                                    for (int u = NT - 1; u >= 1; u--) low += acc[u];
                                    xv = emu_logit(n, acc[0] + low, rs, slope, mk, j);
                                }
                                x[jj] = xv;
                                tmax = fmaxf(tmax, xv);
                            }
                            const float alpha = emu_step(&E, x, 16, tmax, &m, &l, &pr[0][0], 16);
                            for (int64_t e = 0; e < D; e++) {
                                float acc = o[e] * alpha;
                                for (int u = 0; u < PT; u++) {
                                    double pp = 0.0;
                                    for (int jj = 0; jj < 16; jj++)
                                        if (j0 + jj < hi) pp += (double)pr[u][jj] * V[(j0 + jj) * D + e];
                                    acc = (float)((double)acc + pp);
                                }
                                o[e] = acc;
                            }
                        }
                        mw[w] = m, lw[w] = l;
                    }
                    float m = -INFINITY, lv = 0.0f, fw[8];
                    for (int w = 0; w < NW; w++) m = fmaxf(m, mw[w]);
                    for (int w = 0; w < NW; w++) {
                        fw[w] = mw[w] == -INFINITY ? 0.0f : expf(mw[w] - m);
                        if (mw[w] != -INFINITY) lv = fmaf(fw[w], lw[w], lv);
                    }
                    float *pk = part + k * (D + 2);
                    for (int64_t e = 0; e < D; e++) {
                        float ov = 0.0f;
                        for (int w = 0; w < NW; w++)
                            if (mw[w] != -INFINITY) ov = fmaf(fw[w], ow[w * D + e], ov);
                        pk[e] = ov * un;
                    }
                    pk[D] = m, pk[D + 1] = lv * un;
                }
                float *dst = out + ((s * nq + i) * nh + h) * D;
                /* the combine: one maximum, the weights; L by 32 lanes
                 * (lane λ the splits λ, λ + 32, ... in order), then a
                 * butterfly (lane λ adds lane λ ^ o, o = 16, 8, ..., 1);
                 * element e summed by J = FASV_COMBINE_THREADS / PB groups (PB: the
                 * pairs of a combine block's slice, fa_combine_pairs) (group j the
                 * splits j, j + J, ... in order), the groups added in order */
                float m = -INFINITY, l = 0.0f, ll[32], lt[32];
                for (int k = 0; k < n_split; k++) m = fmaxf(m, part[k * (D + 2) + D]);
                for (int k = 0; k < n_split; k++) {
                    const float mk = part[k * (D + 2) + D];
                    wk[k] = mk == -INFINITY ? 0.0f : expf(mk - m);
                }
                for (int ln = 0; ln < 32; ln++) {
                    ll[ln] = 0.0f;
                    for (int k = ln; k < n_split; k += 32)
                        if (wk[k] != 0.0f) ll[ln] = fmaf(part[k * (D + 2) + D + 1], wk[k], ll[ln]);
                }
                for (int o = 16; o > 0; o >>= 1) {
                    for (int ln = 0; ln < 32; ln++) lt[ln] = ll[ln] + ll[ln ^ o];
                    memcpy(ll, lt, sizeof ll);
                }
                l = ll[0];
                const int PB = fa_combine_pairs((int)D, n_split, FASV_COMBINE_THREADS, FASV_COMBINE_MOST);
                const int J = PB >= FASV_COMBINE_THREADS ? 1 : FASV_COMBINE_THREADS / PB;
                for (int64_t e = 0; e < D; e++) {
                    float o = 0.0f;
                    for (int j = 0; j < J; j++) {
                        float og = 0.0f;
                        for (int k = j; k < n_split; k += J)
                            if (wk[k] != 0.0f) og = fmaf(part[k * (D + 2) + e], wk[k], og);
                        o = j ? o + og : og;
                    }
                    float r = 0.0f;
                    if (m != -INFINITY) {
                        float mxs = m, st = 0.0f, ff = 1.0f;
                        if (n->has_sinks) {
                            mxs = fmaxf(m, sink);
                            ff = expf(m - mxs);
                            st = expf(sink - mxs);
                        }
                        r = o * ff / (l * ff + st);
                    }
                    dst[e] = r;
                }
            }
        }
    free(q), free(qt), free(K), free(V), free(ow), free(part), free(wk);
}

int main(int argc, char **argv) {
    int cases = 300;
    uint64_t seed = 1;
    int64_t max_work = (int64_t)1 << 25;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cases") && i + 1 < argc) cases = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--q-terms") && i + 1 < argc) g_qterms_f16 = g_qterms_bf16 = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--p-terms") && i + 1 < argc) g_pterms_f16 = g_pterms_bf16 = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-work") && i + 1 < argc) max_work = strtoll(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--verbose")) g_verbose = 1;
        else if (!strcmp(argv[i], "--no-p-scale")) g_pscale = 1.0f;
        else if (!strcmp(argv[i], "--save-failures") && i + 1 < argc) g_save = argv[++i];
        else if (!strcmp(argv[i], "--case") && i + 1 < argc) g_case = argv[++i];
        else if (!strcmp(argv[i], "--decode")) g_decode = 1;
        else if (!strcmp(argv[i], "--strict")) g_strict = 1;
        else {
            fprintf(stderr, "usage: calib_mma [--cases N] [--seed S] [--q-terms T] [--p-terms T] [--max-work W] [--no-p-scale] [--verbose] [--save-failures DIR] [--case FILE] [--decode] [--strict]\n");
            return 2;
        }
    }
    if (g_case) { /* one case file: emulate and judge it */
        fasv_case c;
        char err[256];
        fasv_data d;
        fasv_oracle_result res;
        if (fasv_case_load(g_case, &c, err, sizeof err) || fasv_gen(&c, &d, 0, err, sizeof err) ||
            fasv_oracle_prepare(&c.node, &d, NULL, &res, err, sizeof err)) {
            fprintf(stderr, "calib_mma: %s\n", err);
            return 2;
        }
        float *cand = malloc(sizeof(float) * (size_t)res.count);
        double *cd = malloc(sizeof(double) * (size_t)res.count);
        emulate(&c.node, &d, cand);
        for (int64_t k = 0; k < res.count; k++) cd[k] = cand[k];
        fasv_tol tol;
        fasv_tol_default(&tol, c.node.prec);
        fasv_judgement v;
        int ok = fasv_compare(&c.node, res.ref, res.row, res.naive, cd, &tol, &v);
        fasv_judgement_print(stdout, &v, "  ");
        return ok ? 0 : 1;
    }
    fasv_rng r;
    fasv_rng_seed(&r, seed);
    static const char *dn[3] = {"uniform", "normal", "adversarial"};
    long run[2][3] = {{0}}, pass[2][3] = {{0}};
    double worst[2][3] = {{0}};
    static const int64_t gq[] = {1, 2, 3, 4, 6, 8};
    for (int it = 0; it < cases; it++) {
        fasv_build b;
        fasv_build_defaults(&b);
        b.hsk = b.hsv = 64 << fasv_rng_below(&r, 3);
        b.type_k = b.type_v = fasv_rng_chance(&r, 50) ? FASV_TYPE_F16 : FASV_TYPE_BF16;
        b.nh = fasv_rng_range(&r, 1, 3);
        b.gqa = gq[fasv_rng_below(&r, 6)];
        b.nb = fasv_rng_chance(&r, 30) ? fasv_rng_range(&r, 3, 8) : fasv_rng_range(&r, 9, 200);
        b.kv = fasv_rng_chance(&r, 20) ? fasv_rng_range(&r, 1, 70) : fasv_rng_range(&r, 70, 3000);
        if (g_decode) b.nb = 1, b.kv = fasv_rng_range(&r, 512, 6000);
        b.nr3 = fasv_rng_chance(&r, 20) ? 2 : 1;
        b.mask = fasv_rng_chance(&r, 60);
        if (b.mask && fasv_rng_chance(&r, 30)) b.mask_heads = b.nh * b.gqa;
        if (b.mask && fasv_rng_chance(&r, 25)) b.max_bias = 8.0f;
        if (fasv_rng_chance(&r, 20)) b.softcap = 30.0f;
        b.sinks = fasv_rng_chance(&r, 20);
        b.seed = fasv_rng_u64(&r);
        int64_t work = b.nh * b.gqa * b.nr3 * b.nb * b.kv * 2 * b.hsk;
        if (work > max_work) b.kv = b.kv * max_work / work + 1;
        for (int dist = 0; dist < 3; dist++) {
            b.dist = (fasv_dist)dist;
            fasv_case c;
            char err[256];
            if (fasv_build_case(&b, &c, err, sizeof err) != 0) {
                fprintf(stderr, "build: %s\n", err);
                return 1;
            }
            fasv_data d;
            if (fasv_gen(&c, &d, 0, err, sizeof err) != 0) {
                fprintf(stderr, "gen: %s\n", err);
                return 1;
            }
            fasv_oracle_result res;
            if (fasv_oracle_prepare(&c.node, &d, NULL, &res, err, sizeof err) != 0) {
                fprintf(stderr, "oracle: %s\n", err);
                return 1;
            }
            float *cand = malloc(sizeof(float) * (size_t)res.count);
            double *cd = malloc(sizeof(double) * (size_t)res.count);
            if (g_decode) {
                /* the planner's split count on sm_90; nodes it routes elsewhere are skipped */
                fasv_route rt;
                fasv_plan(fasv_device_find("sm_90"), &c.node, &rt);
                const fasv_kinst *ki = fasv_registry_get(rt.instance);
                if (rt.family != FASV_FAM_SPLIT || !ki || !fasv_mma_decode_body(ki)) {
                    g_not_routed++;
                    free(cand), free(cd);
                    fasv_oracle_result_free(&res);
                    fasv_data_free(&d);
                    continue;
                }
                emulate_decode(&c.node, &d, rt.n_split, cand);
            } else {
                emulate(&c.node, &d, cand);
            }
            for (int64_t k = 0; k < res.count; k++) cd[k] = cand[k];
            fasv_tol tol;
            fasv_tol_default(&tol, c.node.prec);
            fasv_judgement v;
            int ok = fasv_compare(&c.node, res.ref, res.row, res.naive, cd, &tol, &v);
            int ti = b.type_k == FASV_TYPE_BF16;
            run[ti][dist]++;
            pass[ti][dist] += ok;
            if (v.worst_ratio > worst[ti][dist] || !ok) worst[ti][dist] = ok ? v.worst_ratio : fmax(worst[ti][dist], v.worst_ratio);
            if (!ok)
                printf("FAIL case %d %s %s D=%lld nq=%lld nkv=%lld gqa=%lld mask=%d alibi=%d softcap=%d sinks=%d: gate %s, worst ratio %.3g\n",
                       it, fasv_type_name(b.type_k), dn[dist], (long long)b.hsk, (long long)b.nb, (long long)b.kv,
                       (long long)b.gqa, b.mask, b.max_bias > 0, b.softcap != 0, b.sinks, fasv_gate_name(v.first),
                       v.worst_ratio);
            if (!ok && g_verbose) fasv_judgement_print(stdout, &v, "    ");
            if (!ok && g_save) {
                char path[512], line[256];
                snprintf(path, sizeof path, "%s/calib-mma-%d-%s.case", g_save, it, dn[dist]);
                snprintf(line, sizeof line, "calib_mma (q terms %d, p terms %d, p scale %g): gate %s, worst ratio %.3g",
                         ti ? g_qterms_bf16 : g_qterms_f16, ti ? g_pterms_bf16 : g_pterms_f16, (double)g_pscale,
                         fasv_gate_name(v.first), v.worst_ratio);
                fasv_case_add_comment(&c, line);
                if (fasv_case_save(&c, path, err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
            }
            free(cand);
            free(cd);
            fasv_oracle_result_free(&res);
            fasv_data_free(&d);
        }
    }
    printf("calib_mma%s: q terms f16 %d / bf16 %d, p terms f16 %d / bf16 %d, %d shapes x 3 distributions\n",
           g_decode ? " --decode" : "", g_qterms_f16, g_qterms_bf16, g_pterms_f16, g_pterms_bf16, cases);
    if (g_decode) printf("(%ld nodes the planner routes elsewhere on sm_90 were skipped)\n", g_not_routed);
    printf("%-5s %-12s %8s %8s %14s\n", "type", "dist", "cases", "pass", "worst e/bound");
    for (int ti = 0; ti < 2; ti++)
        for (int dist = 0; dist < 3; dist++)
            printf("%-5s %-12s %8ld %8ld %14.3g\n", ti ? "bf16" : "f16", dn[dist], run[ti][dist], pass[ti][dist],
                   worst[ti][dist]);
    if (g_strict) /* a test: every emulated case must pass the tolerance model */
        for (int ti = 0; ti < 2; ti++)
            for (int dist = 0; dist < 3; dist++)
                if (pass[ti][dist] != run[ti][dist]) return 1;
    return 0;
}
