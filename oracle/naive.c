/* naive.c — the naive low-precision reference: attention computed the way a
 * careless kernel would in the node's precision mode. It is the yardstick of
 * the tolerance model (error <= k * naive error + floor), never a judge.
 *
 * Owns: fasv_oracle_naive. Every rounding step is listed in
 * docs/tolerance.md; in short, for prec default: Q to f16, K·Q in f32 stored
 * as an f16 score, scale/softcap/mask applied with f16 results, p = exp(s-M)
 * stored as f16, sums and P·V in f32, sink exp(sink-M) (f16) added to the
 * denominator without any rescaling. prec f32 keeps every value in f32. A
 * score over the f16 range becomes Inf and the row NaN: that is the point.
 * Work is cut like the reference (tasks of rows sharing K/V, keys in blocks)
 * so that the judge is not slowed down by its yardstick.
 * Must not know: planners, devices, kernels.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define ROWS 8
#define BLK 64

typedef struct scratch {
    float *q, *kT, *vb, *sc, *acc, *tmp; /* laid out by orc_ws_alloc */
    int64_t grp;                         /* the group of the task being run */
} scratch;

typedef struct ctx {
    const fasv_node *n;
    const fasv_data *d;
    orc_geom g;
    int lo;   /* round to f16 (prec default) */
    int keep; /* keep every score of a task's rows (else recompute them) */
    int64_t nrc, sc_stride;
    float *out;
    float *slopes;
    scratch *ws;
} ctx;

static inline float rnd(int lo, float x) { return lo ? orc_round_f16(x) : x; }

/* The rounded scores of keys [j0, j0+nb) for the task's rows: into the kept
 * score rows (c->keep, row stride n_kv) or into the block buffer (row stride
 * BLK). Returns the address of row 0's first score. */
static float *block_scores(const ctx *c, scratch *w, int64_t nr, int64_t j0, int64_t nb, const uint8_t *const *mrow,
                           const float *slope) {
    const orc_geom *g = &c->g;
    const fasv_node *n = c->n;
    int lo = c->lo;
    int64_t dk = g->dk, grp = w->grp, hk = grp % g->nhk, sk = grp / g->nhk;
    float scale = (float)g->scale, cap = (float)g->softcap;
    float *base = c->keep ? w->sc + j0 : w->sc;
    for (int64_t jj = 0; jj < nb; jj++) {
        orc_row_f32(n->k.type, fasv_data_row(c->d, n, FASV_K, j0 + jj, hk, sk), w->tmp, dk);
        for (int64_t e = 0; e < dk; e++) w->kT[e * BLK + jj] = w->tmp[e];
    }
    for (int64_t r = 0; r < nr; r++) {
        float *restrict s = base + r * c->sc_stride;
        const float *q = w->q + r * dk;
        for (int64_t jj = 0; jj < nb; jj++) s[jj] = 0.0f;
        for (int64_t e = 0; e < dk; e++) {
            const float *restrict kr = w->kT + e * BLK;
            float a = q[e];
            for (int64_t jj = 0; jj < nb; jj++) s[jj] += a * kr[jj];
        }
        for (int64_t jj = 0; jj < nb; jj++) {
            float x = rnd(lo, s[jj]);
            x = rnd(lo, x * scale);
            if (cap != 0.0f) x = rnd(lo, cap * tanhf(x / cap));
            if (mrow[r]) {
                uint16_t hb = fasv_rd16(mrow[r] + 2 * (j0 + jj));
                if (hb == ORC_MASK_NEG_INF)
                    x = -INFINITY;
                else
                    x = rnd(lo, x + slope[r] * orc_h2f(hb));
            }
            s[jj] = x;
        }
    }
    return base;
}

static void run_task(void *vp, int64_t task, int worker) {
    ctx *c = (ctx *)vp;
    const orc_geom *g = &c->g;
    const fasv_node *n = c->n;
    scratch *w = &c->ws[worker];
    int lo = c->lo;
    int64_t grp = task / c->nrc, r0 = (task % c->nrc) * ROWS;
    int64_t nr = g->grows - r0 < ROWS ? g->grows - r0 : ROWS;
    int64_t hk = grp % g->nhk, sk = grp / g->nhk, dk = g->dk, dv = g->dv, nkv = g->nkv;
    const uint8_t *mrow[ROWS];
    w->grp = grp;
    int64_t orow[ROWS];
    float slope[ROWS], sink[ROWS];

    for (int64_t r = 0; r < nr; r++) {
        int64_t s, h, i;
        orc_group_row(g, grp, r0 + r, &s, &h, &i);
        float *q = w->q + r * dk;
        orc_row_f32(n->q.type, fasv_data_row(c->d, n, FASV_Q, i, h, s), q, dk);
        for (int64_t e = 0; e < dk; e++) q[e] = rnd(lo, q[e]);
        mrow[r] = g->has_mask ? fasv_data_row(c->d, n, FASV_MASK, i, h % g->m2, s % g->m3) : NULL;
        slope[r] = c->slopes[h];
        sink[r] = 0.0f;
        if (g->has_sinks) memcpy(&sink[r], fasv_data_base(c->d, n, FASV_SINKS) + 4 * h, 4);
        orow[r] = orc_out_row(g, s, h, i);
    }

    /* pass 1: scores of every key (kept when they fit, else recomputed in
     * pass 2 with the same operations), max per row */
    float M[ROWS], S[ROWS];
    int any[ROWS], nan_seen[ROWS];
    for (int64_t r = 0; r < nr; r++) {
        M[r] = -INFINITY;
        S[r] = 0.0f;
        any[r] = nan_seen[r] = 0;
        for (int64_t e = 0; e < dv; e++) w->acc[r * dv + e] = 0.0f;
    }
    for (int64_t j0 = 0; j0 < nkv; j0 += BLK) {
        int64_t nb = nkv - j0 < BLK ? nkv - j0 : BLK;
        float *blk = block_scores(c, w, nr, j0, nb, mrow, slope);
        for (int64_t r = 0; r < nr; r++) {
            const float *s = blk + r * c->sc_stride;
            for (int64_t jj = 0; jj < nb; jj++) {
                if (s[jj] == -INFINITY) continue;
                any[r] = 1;
                if (isnan(s[jj])) nan_seen[r] = 1; /* a NaN score poisons the max, as in a kernel */
                if (s[jj] > M[r]) M[r] = s[jj];
            }
        }
    }
    for (int64_t r = 0; r < nr; r++)
        if (nan_seen[r]) M[r] = NAN;
    /* pass 2: P·V */
    for (int64_t j0 = 0; j0 < nkv; j0 += BLK) {
        int64_t nb = nkv - j0 < BLK ? nkv - j0 : BLK;
        float *blk = c->keep ? w->sc + j0 : block_scores(c, w, nr, j0, nb, mrow, slope);
        for (int64_t jj = 0; jj < nb; jj++)
            orc_row_f32(n->v.type, fasv_data_row(c->d, n, FASV_V, j0 + jj, hk, sk), w->vb + jj * dv, dv);
        for (int64_t r = 0; r < nr; r++) {
            if (!any[r]) continue;
            const float *s = blk + r * c->sc_stride;
            float *restrict acc = w->acc + r * dv;
            float Sr = S[r];
            for (int64_t jj = 0; jj < nb; jj++) {
                if (s[jj] == -INFINITY) continue;
                float p = rnd(lo, expf(s[jj] - M[r]));
                Sr += p;
                const float *restrict v = w->vb + jj * dv;
                for (int64_t e = 0; e < dv; e++) acc[e] += p * v[e];
            }
            S[r] = Sr;
        }
    }
    for (int64_t r = 0; r < nr; r++) {
        float *o = c->out + orow[r] * dv;
        const float *acc = w->acc + r * dv;
        if (!any[r]) {
            for (int64_t e = 0; e < dv; e++) o[e] = 0.0f;
            continue;
        }
        float den = S[r];
        if (g->has_sinks) den += rnd(lo, expf(sink[r] - M[r]));
        for (int64_t e = 0; e < dv; e++) o[e] = acc[e] / den;
    }
}

int fasv_oracle_naive(const fasv_node *n, const fasv_data *d, const fasv_oracle_opts *o, float *out, char *err,
                      size_t errlen) {
    if (orc_check(n, d, err, errlen) != 0) return -1;
    ctx c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.d = d;
    c.out = out;
    orc_geom_init(&c.g, n);
    c.lo = n->prec != FASV_PREC_F32;
    const orc_geom *g = &c.g;
    c.nrc = (g->grows + ROWS - 1) / ROWS;
    /* keep scores up to 4 MiB a worker; beyond, recompute them (bounded memory
     * for any n_kv, same values either way) */
    c.keep = (double)ROWS * (double)g->nkv * 4.0 <= (double)(4 << 20);
    c.sc_stride = c.keep ? g->nkv : BLK;
    int64_t ntasks = g->groups * c.nrc;
    int nw = orc_threads(o, ntasks, orc_work(g));
    c.slopes = malloc(sizeof(float) * (size_t)g->nh);
    c.ws = calloc((size_t)nw, sizeof(scratch));
    int bad = !c.slopes || !c.ws;
    for (int i = 0; i < nw && !bad; i++) {
        scratch *w = &c.ws[i];
        orc_ws b;
        bad = orc_ws_alloc(&b, ROWS, g->dk, g->dv, BLK, ROWS * c.sc_stride) != 0;
        w->q = b.q, w->kT = b.kT, w->vb = b.vb, w->sc = b.sc, w->acc = b.acc, w->tmp = b.tmp;
    }
    int rc = orc_run_calib(g, c.slopes, !bad, nw, ntasks, run_task, &c, err, errlen);
    free(c.slopes);
    if (c.ws)
        for (int i = 0; i < nw; i++) free(c.ws[i].q);
    free(c.ws);
    return rc;
}
