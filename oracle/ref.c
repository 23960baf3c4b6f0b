/* ref.c — the reference: FLASH_ATTN_EXT in double precision, fast.
 *
 * Owns: fasv_oracle_ref. The work is cut into tasks of (group, chunk of up to
 * ROWS query rows, chunk of keys): a group's query rows all read the same K/V
 * rows (GQA and sequence broadcast), so a task dequantizes each block of keys
 * once, exactly, to double (K transposed) and reuses it for all its rows.
 * Scores for four rows at a time are axpy loops over the keys of the block
 * (vectorizable, and summed over d in order, so vector width never changes a
 * bit); softmax is online per block in double. Decode-shaped nodes (few
 * query rows, many keys) are also split over key chunks whose partial states
 * are merged in key order. Every cut depends on the shape alone, never on the
 * thread count, so the output bits are the same on every host.
 * Must not know: planners, devices, kernels.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define ROWS 32          /* query rows per task */
#define KEY_CHUNK 2048   /* keys per chunk when a node is split over keys */
#define SPLIT_BELOW 32   /* split over keys when fewer row tasks than this */
#define NEG_INF (-INFINITY)

/* The two hot loops are compiled twice, for AVX2 and for the baseline, and
 * picked at load time. Both are element-wise (no reassociation, no FMA: the
 * build has -ffp-contract=off), so the choice never changes a bit. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(FASV_NO_CLONES)
#define ORC_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ORC_CLONES
#endif

/* Per-row online state: running max, sum of p, sum of p|v_j|, max |v_j|,
 * sum of p sigma_j |v_j|, sum of p sigma_j (fasv_row_stat). */
enum { ST_M, ST_S, ST_W, ST_VMX, ST_C1, ST_C2, ST_N };

typedef struct scratch {
    double *q, *kT, *vb, *vmaxj, *knorm, *sc, *acc, *st, *tmp;
    const uint8_t **mrow;
    double *slope, *sink, *qnorm;
    int64_t *orow;
} scratch;

typedef struct ctx {
    const fasv_node *n;
    const fasv_data *d;
    orc_geom g;
    int64_t B, nrc, nkc, kc_len;
    double *out;
    fasv_row_stat *rows;
    double *part; /* nkc > 1: per (group row, key chunk) state [ST_N values, acc[dv]] */
    double *slopes;
    scratch *ws;
} ctx;

#define PART_W(g) (ST_N + (g)->dv)

/* acc[d] += p * v[d] */
ORC_CLONES static void axpy(double *restrict acc, const double *restrict v, double p, int64_t n) {
    for (int64_t d = 0; d < n; d++) acc[d] += p * v[d];
}

/* sc[r][j] = sum_d q[r][d] * kT[d][j], four rows per sweep over kT. */
ORC_CLONES static void scores(const double *restrict q, int64_t nr, const double *restrict kT, int64_t dk, int64_t B, int64_t nb,
                   double *restrict sc) {
    int64_t r = 0;
    for (; r + 4 <= nr; r += 4) {
        double *restrict s0 = sc + r * B, *restrict s1 = s0 + B, *restrict s2 = s1 + B, *restrict s3 = s2 + B;
        const double *q0 = q + r * dk, *q1 = q0 + dk, *q2 = q1 + dk, *q3 = q2 + dk;
        for (int64_t j = 0; j < nb; j++) s0[j] = s1[j] = s2[j] = s3[j] = 0.0;
        for (int64_t d = 0; d < dk; d++) {
            const double *restrict kr = kT + d * B;
            double a0 = q0[d], a1 = q1[d], a2 = q2[d], a3 = q3[d];
            for (int64_t j = 0; j < nb; j++) {
                double k = kr[j];
                s0[j] += a0 * k;
                s1[j] += a1 * k;
                s2[j] += a2 * k;
                s3[j] += a3 * k;
            }
        }
    }
    for (; r < nr; r++) {
        double *restrict s0 = sc + r * B;
        const double *q0 = q + r * dk;
        for (int64_t j = 0; j < nb; j++) s0[j] = 0.0;
        for (int64_t d = 0; d < dk; d++) {
            const double *restrict kr = kT + d * B;
            double a0 = q0[d];
            for (int64_t j = 0; j < nb; j++) s0[j] += a0 * kr[j];
        }
    }
}

/* Turn the row's state into its output row and statistics. */
static void finalize(const orc_geom *g, const double *st, const double *acc, int has_sink, double sink, double *out,
                     fasv_row_stat *rs) {
    int64_t dv = g->dv;
    double m = st[ST_M], S = st[ST_S], W = st[ST_W];
    if (m == NEG_INF) { /* every key masked */
        for (int64_t d = 0; d < dv; d++) out[d] = 0.0;
        if (rs) rs->scale = rs->cond = 0.0;
        return;
    }
    double den = S, c = 1.0;
    if (has_sink) {
        if (sink > m) { /* rescale to the sink's level, never exp of a large positive number */
            c = exp(m - sink);
            den = S * c + 1.0;
        } else {
            den = S + exp(sink - m);
        }
    }
    for (int64_t d = 0; d < dv; d++) out[d] = acc[d] * c / den;
    if (rs) {
        double w = W / S, lo = 0x1p-30 * st[ST_VMX];
        rs->scale = w > lo ? w : lo;
        rs->cond = W > 0.0 ? st[ST_C1] / W + st[ST_C2] / S : 0.0;
    }
}

static void run_task(void *vp, int64_t task, int worker) {
    ctx *c = (ctx *)vp;
    const orc_geom *g = &c->g;
    const fasv_node *n = c->n;
    scratch *w = &c->ws[worker];
    int64_t grp = task / (c->nrc * c->nkc);
    int64_t rc = (task / c->nkc) % c->nrc;
    int64_t kc = task % c->nkc;
    int64_t r0 = rc * ROWS, nr = g->grows - r0 < ROWS ? g->grows - r0 : ROWS;
    int64_t jb = kc * c->kc_len, je = jb + c->kc_len < g->nkv ? jb + c->kc_len : g->nkv;
    int64_t hk = grp % g->nhk, sk = grp / g->nhk;
    int64_t dk = g->dk, dv = g->dv, B = c->B;

    for (int64_t r = 0; r < nr; r++) {
        int64_t s, h, i;
        orc_group_row(g, grp, r0 + r, &s, &h, &i);
        double *q = w->q + r * dk, qn = 0.0;
        orc_row_f64(n->q.type, fasv_data_row(c->d, n, FASV_Q, i, h, s), q, dk);
        for (int64_t d = 0; d < dk; d++) qn += q[d] * q[d];
        w->qnorm[r] = fabs(g->scale) * sqrt(qn);
        w->mrow[r] = g->has_mask ? fasv_data_row(c->d, n, FASV_MASK, i, h % g->m2, s % g->m3) : NULL;
        w->slope[r] = c->slopes[h];
        if (g->has_sinks) {
            float f;
            memcpy(&f, fasv_data_base(c->d, n, FASV_SINKS) + 4 * h, 4);
            w->sink[r] = f;
        }
        w->orow[r] = orc_out_row(g, s, h, i);
        double *st = w->st + ST_N * r;
        st[ST_M] = NEG_INF;
        for (int k = 1; k < ST_N; k++) st[k] = 0.0;
        for (int64_t d = 0; d < dv; d++) w->acc[r * dv + d] = 0.0;
    }

    for (int64_t j0 = jb; j0 < je; j0 += B) {
        int64_t nb = je - j0 < B ? je - j0 : B;
        for (int64_t jj = 0; jj < nb; jj++) {
            orc_row_f64(n->k.type, fasv_data_row(c->d, n, FASV_K, j0 + jj, hk, sk), w->tmp, dk);
            double kn = 0.0;
            for (int64_t d = 0; d < dk; d++) {
                w->kT[d * B + jj] = w->tmp[d];
                kn += w->tmp[d] * w->tmp[d];
            }
            w->knorm[jj] = sqrt(kn);
            double *v = w->vb + jj * dv;
            orc_row_f64(n->v.type, fasv_data_row(c->d, n, FASV_V, j0 + jj, hk, sk), v, dv);
            double mx = 0.0;
            for (int64_t d = 0; d < dv; d++) {
                double a = fabs(v[d]);
                mx = a > mx ? a : mx;
            }
            w->vmaxj[jj] = mx;
        }
        scores(w->q, nr, w->kT, dk, B, nb, w->sc);
        for (int64_t r = 0; r < nr; r++) {
            double *s = w->sc + r * B, *st = w->st + ST_N * r, *acc = w->acc + r * dv;
            double *mterm = w->tmp; /* |slope * mask_j| of the block */
            const uint8_t *mrow = w->mrow[r] ? w->mrow[r] + 2 * j0 : NULL;
            double slope = w->slope[r], bm = NEG_INF;
            for (int64_t j = 0; j < nb; j++) {
                double x = s[j] * g->scale;
                if (g->softcap != 0.0) x = g->softcap * tanh(x / g->softcap);
                if (mrow) {
                    uint16_t hb = fasv_rd16(mrow + 2 * j);
                    if (hb == ORC_MASK_NEG_INF) {
                        s[j] = NEG_INF;
                        continue;
                    }
                    double mt = slope * (double)orc_h2f(hb);
                    x += mt;
                    mterm[j] = fabs(mt);
                } else {
                    mterm[j] = 0.0;
                }
                s[j] = x;
                if (x > bm) bm = x;
            }
            if (bm == NEG_INF) continue;
            if (bm > st[ST_M]) {
                double f = exp(st[ST_M] - bm);
                st[ST_S] *= f;
                st[ST_W] *= f;
                st[ST_C1] *= f;
                st[ST_C2] *= f;
                for (int64_t d = 0; d < dv; d++) acc[d] *= f;
                st[ST_M] = bm;
            }
            double m = st[ST_M], S = st[ST_S], W = st[ST_W], vmx = st[ST_VMX], C1 = st[ST_C1], C2 = st[ST_C2];
            double qn = w->qnorm[r];
            for (int64_t j = 0; j < nb; j++) {
                if (s[j] == NEG_INF) continue;
                double p = exp(s[j] - m);
                double vm = w->vmaxj[j];
                vmx = vm > vmx ? vm : vmx;
                if (p == 0.0) continue;
                double sig = qn * w->knorm[j] + mterm[j];
                S += p;
                W += p * vm;
                C1 += p * sig * vm;
                C2 += p * sig;
                axpy(acc, w->vb + j * dv, p, dv);
            }
            st[ST_S] = S;
            st[ST_W] = W;
            st[ST_VMX] = vmx;
            st[ST_C1] = C1;
            st[ST_C2] = C2;
        }
    }

    for (int64_t r = 0; r < nr; r++) {
        double *st = w->st + ST_N * r, *acc = w->acc + r * dv;
        if (c->nkc == 1) {
            int64_t o = w->orow[r];
            finalize(g, st, acc, g->has_sinks, w->sink[r], c->out + o * dv, c->rows ? c->rows + o : NULL);
        } else {
            double *p = c->part + ((grp * g->grows + r0 + r) * c->nkc + kc) * PART_W(g);
            memcpy(p, st, ST_N * sizeof(double));
            memcpy(p + ST_N, acc, (size_t)dv * sizeof(double));
        }
    }
}

/* Merge a group row's key-chunk states in key order, then finalize. */
static void merge_task(void *vp, int64_t task, int worker) {
    ctx *c = (ctx *)vp;
    const orc_geom *g = &c->g;
    scratch *w = &c->ws[worker];
    int64_t grp = task / g->grows, gr = task % g->grows, dv = g->dv;
    const double *p = c->part + (grp * g->grows + gr) * c->nkc * PART_W(g);
    double st[ST_N] = {NEG_INF, 0.0, 0.0, 0.0, 0.0, 0.0}, *acc = w->acc;
    for (int64_t k = 0; k < c->nkc; k++) {
        const double *q = p + k * PART_W(g);
        if (q[ST_M] > st[ST_M]) st[ST_M] = q[ST_M];
        if (q[ST_VMX] > st[ST_VMX]) st[ST_VMX] = q[ST_VMX];
    }
    for (int64_t d = 0; d < dv; d++) acc[d] = 0.0;
    if (st[ST_M] != NEG_INF) {
        for (int64_t k = 0; k < c->nkc; k++) {
            const double *q = p + k * PART_W(g);
            if (q[ST_M] == NEG_INF) continue;
            double f = exp(q[ST_M] - st[ST_M]);
            st[ST_S] += q[ST_S] * f;
            st[ST_W] += q[ST_W] * f;
            st[ST_C1] += q[ST_C1] * f;
            st[ST_C2] += q[ST_C2] * f;
            for (int64_t d = 0; d < dv; d++) acc[d] += q[ST_N + d] * f;
        }
    }
    int64_t s, h, i;
    orc_group_row(g, grp, gr, &s, &h, &i);
    double sink = 0.0;
    if (g->has_sinks) {
        float f;
        memcpy(&f, fasv_data_base(c->d, c->n, FASV_SINKS) + 4 * h, 4);
        sink = f;
    }
    int64_t o = orc_out_row(g, s, h, i);
    finalize(g, st, acc, g->has_sinks, sink, c->out + o * dv, c->rows ? c->rows + o : NULL);
}

static void free_ws(scratch *ws, int nw) {
    if (!ws) return;
    for (int i = 0; i < nw; i++) {
        free(ws[i].q);
        free(ws[i].mrow);
        free(ws[i].orow);
    }
    free(ws);
}

int fasv_oracle_ref(const fasv_node *n, const fasv_data *d, const fasv_oracle_opts *o, double *out,
                    fasv_row_stat *rows, char *err, size_t errlen) {
    if (orc_check(n, d, err, errlen) != 0) return -1;
    ctx c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.d = d;
    c.out = out;
    c.rows = rows;
    orc_geom_init(&c.g, n);
    const orc_geom *g = &c.g;

    int64_t B = o && o->key_block > 0 ? o->key_block : 16384 / (g->dk + g->dv);
    if (B < 8) B = 8;
    if (B > 256) B = 256;
    B = (B + 3) / 4 * 4;
    c.B = B;
    c.nrc = (g->grows + ROWS - 1) / ROWS;
    c.nkc = 1;
    c.kc_len = g->nkv;
    int64_t row_tasks = g->groups * c.nrc;
    if (row_tasks < SPLIT_BELOW && g->nkv >= 2 * KEY_CHUNK) {
        int64_t nkc = (g->nkv + KEY_CHUNK - 1) / KEY_CHUNK;
        /* the partial states stay below 256 MiB */
        int64_t cap = ((int64_t)256 << 20) / (8 * PART_W(g) * g->rows);
        if (nkc > cap) nkc = cap;
        if (nkc > 1) {
            c.kc_len = (g->nkv + nkc - 1) / nkc;
            c.nkc = (g->nkv + c.kc_len - 1) / c.kc_len;
        }
    }
    int64_t ntasks = row_tasks * c.nkc;
    int nw = orc_threads(o, ntasks, orc_work(g));

    c.slopes = malloc(sizeof(double) * (size_t)g->nh);
    c.ws = calloc((size_t)nw, sizeof(scratch));
    if (c.nkc > 1) c.part = malloc(sizeof(double) * (size_t)(g->groups * g->grows * c.nkc * PART_W(g)));
    int bad = !c.slopes || !c.ws || (c.nkc > 1 && !c.part);
    for (int i = 0; i < nw && !bad; i++) {
        scratch *w = &c.ws[i];
        int64_t dk = g->dk, dv = g->dv;
        int64_t tl = dk > B ? dk : B;
        int64_t nd = ROWS * dk + dk * B + B * dv + 2 * B + ROWS * B + ROWS * dv + ST_N * ROWS + tl + 3 * ROWS;
        w->q = malloc(sizeof(double) * (size_t)nd);
        w->mrow = malloc(sizeof(*w->mrow) * ROWS);
        w->orow = malloc(sizeof(*w->orow) * ROWS);
        if (!w->q || !w->mrow || !w->orow) {
            bad = 1;
            break;
        }
        w->kT = w->q + ROWS * dk;
        w->vb = w->kT + dk * B;
        w->vmaxj = w->vb + B * dv;
        w->knorm = w->vmaxj + B;
        w->sc = w->knorm + B;
        w->acc = w->sc + ROWS * B;
        w->st = w->acc + ROWS * dv;
        w->tmp = w->st + ST_N * ROWS;
        w->slope = w->tmp + tl;
        w->sink = w->slope + ROWS;
        w->qnorm = w->sink + ROWS;
    }
    if (bad) {
        snprintf(err, errlen, "out of memory");
        free(c.slopes);
        free(c.part);
        free_ws(c.ws, nw);
        return -1;
    }
    for (int64_t h = 0; h < g->nh; h++) c.slopes[h] = orc_slope(g, h);

    orc_run(nw, ntasks, run_task, &c);
    if (c.nkc > 1) orc_run(nw, g->groups * g->grows, merge_task, &c);

    free(c.slopes);
    free(c.part);
    free_ws(c.ws, nw);
    return 0;
}
