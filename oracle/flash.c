/* flash.c — a kernel-like attention: f32 online softmax over tiles of keys,
 * the way a FlashAttention kernel computes, with the roundings real kernels
 * make available as flags (Q*scale to f16, K/V tiles to f16, P to f16 before
 * P·V).
 *
 * Owns: fasv_oracle_flash, the stand-in for "a correct kernel" with which the
 * tolerance model is calibrated (bench/calib_tolerance.c) and tested (a
 * correct f32-accumulating kernel must pass with margin). It judges nothing.
 * Like ggml: Q is multiplied by scale (divided by the softcap when there is
 * one) before the dot product, softcap is cap*tanh(s), ALiBi slope in f32,
 * running max and sum in f32 rescaled per tile, the sink folded in at the end
 * with the running max, 0 for a fully masked row.
 * Must not know: planners, devices, kernels of any real back-end.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define ROWS 16

typedef orc_ws scratch;

typedef struct ctx {
    const fasv_node *n;
    const fasv_data *d;
    orc_geom g;
    fasv_flash_cfg cfg;
    int64_t nrc, T;
    float *out, *slopes;
    scratch *ws;
} ctx;

static void run_task(void *vp, int64_t task, int worker) {
    ctx *c = (ctx *)vp;
    const orc_geom *g = &c->g;
    const fasv_node *n = c->n;
    const fasv_flash_cfg *cfg = &c->cfg;
    scratch *w = &c->ws[worker];
    int64_t grp = task / c->nrc, r0 = (task % c->nrc) * ROWS;
    int64_t nr = g->grows - r0 < ROWS ? g->grows - r0 : ROWS;
    int64_t hk = grp % g->nhk, sk = grp / g->nhk, dk = g->dk, dv = g->dv, nkv = g->nkv, T = c->T;
    float cap = (float)g->softcap;
    float qscale = cap != 0.0f ? (float)g->scale / cap : (float)g->scale;
    const uint8_t *mrow[ROWS];
    int64_t orow[ROWS];
    float slope[ROWS], sink[ROWS], M[ROWS], S[ROWS];

    for (int64_t r = 0; r < nr; r++) {
        int64_t s, h, i;
        orc_group_row(g, grp, r0 + r, &s, &h, &i);
        float *q = w->q + r * dk;
        orc_row_f32(n->q.type, fasv_data_row(c->d, n, FASV_Q, i, h, s), q, dk);
        for (int64_t e = 0; e < dk; e++) {
            q[e] *= qscale;
            if (cfg->q_f16) q[e] = orc_round_f16(q[e]);
        }
        mrow[r] = g->has_mask ? fasv_data_row(c->d, n, FASV_MASK, i, h % g->m2, s % g->m3) : NULL;
        slope[r] = c->slopes[h];
        sink[r] = 0.0f;
        if (g->has_sinks) memcpy(&sink[r], fasv_data_base(c->d, n, FASV_SINKS) + 4 * h, 4);
        orow[r] = orc_out_row(g, s, h, i);
        M[r] = -INFINITY;
        S[r] = 0.0f;
        for (int64_t e = 0; e < dv; e++) w->acc[r * dv + e] = 0.0f;
    }

    for (int64_t j0 = 0; j0 < nkv; j0 += T) {
        int64_t nb = nkv - j0 < T ? nkv - j0 : T;
        for (int64_t jj = 0; jj < nb; jj++) {
            orc_row_f32(n->k.type, fasv_data_row(c->d, n, FASV_K, j0 + jj, hk, sk), w->tmp, dk);
            for (int64_t e = 0; e < dk; e++) w->kT[e * T + jj] = cfg->kv_f16 ? orc_round_f16(w->tmp[e]) : w->tmp[e];
            float *v = w->vb + jj * dv;
            orc_row_f32(n->v.type, fasv_data_row(c->d, n, FASV_V, j0 + jj, hk, sk), v, dv);
            if (cfg->kv_f16)
                for (int64_t e = 0; e < dv; e++) v[e] = orc_round_f16(v[e]);
        }
        for (int64_t r = 0; r < nr; r++) {
            float *restrict s = w->sc;
            const float *q = w->q + r * dk;
            for (int64_t jj = 0; jj < nb; jj++) s[jj] = 0.0f;
            for (int64_t e = 0; e < dk; e++) {
                const float *restrict kr = w->kT + e * T;
                float a = q[e];
                for (int64_t jj = 0; jj < nb; jj++) s[jj] += a * kr[jj];
            }
            float tm = -INFINITY;
            for (int64_t jj = 0; jj < nb; jj++) {
                float x = s[jj];
                if (cap != 0.0f) x = cap * tanhf(x);
                if (mrow[r]) {
                    uint16_t hb = fasv_rd16(mrow[r] + 2 * (j0 + jj));
                    x = hb == ORC_MASK_NEG_INF ? -INFINITY : x + slope[r] * orc_h2f(hb);
                }
                s[jj] = x;
                if (x > tm) tm = x;
            }
            float mnew = tm > M[r] ? tm : M[r];
            if (mnew == -INFINITY) continue; /* nothing unmasked yet */
            float corr = expf(M[r] - mnew);
            float *restrict acc = w->acc + r * dv;
            float sum = 0.0f;
            for (int64_t e = 0; e < dv; e++) acc[e] *= corr;
            for (int64_t jj = 0; jj < nb; jj++) {
                float p = expf(s[jj] - mnew);
                sum += p;
                if (cfg->p_f16) p = orc_round_f16(p);
                const float *restrict v = w->vb + jj * dv;
                for (int64_t e = 0; e < dv; e++) acc[e] += p * v[e];
            }
            S[r] = S[r] * corr + sum;
            M[r] = mnew;
        }
    }
    for (int64_t r = 0; r < nr; r++) {
        float *o = c->out + orow[r] * dv;
        const float *acc = w->acc + r * dv;
        if (M[r] == -INFINITY) {
            for (int64_t e = 0; e < dv; e++) o[e] = 0.0f;
            continue;
        }
        float f = 1.0f, den = S[r];
        if (g->has_sinks) {
            float ms = sink[r] > M[r] ? sink[r] : M[r];
            f = expf(M[r] - ms);
            den = S[r] * f + expf(sink[r] - ms);
        }
        for (int64_t e = 0; e < dv; e++) o[e] = acc[e] * f / den;
    }
}

int fasv_oracle_flash(const fasv_node *n, const fasv_data *d, const fasv_flash_cfg *cfg, const fasv_oracle_opts *o,
                      float *out, char *err, size_t errlen) {
    if (orc_check(n, d, err, errlen) != 0) return -1;
    ctx c;
    memset(&c, 0, sizeof c);
    c.n = n;
    c.d = d;
    c.out = out;
    if (cfg) c.cfg = *cfg;
    c.T = c.cfg.tile_kv > 0 ? c.cfg.tile_kv : 32;
    orc_geom_init(&c.g, n);
    const orc_geom *g = &c.g;
    c.nrc = (g->grows + ROWS - 1) / ROWS;
    int64_t ntasks = g->groups * c.nrc;
    int nw = orc_threads(o, ntasks, orc_work(g));
    c.slopes = malloc(sizeof(float) * (size_t)g->nh);
    c.ws = calloc((size_t)nw, sizeof(scratch));
    int bad = !c.slopes || !c.ws;
    for (int i = 0; i < nw && !bad; i++) bad = orc_ws_alloc(&c.ws[i], ROWS, g->dk, g->dv, c.T, c.T) != 0;
    int rc = orc_run_calib(g, c.slopes, !bad, nw, ntasks, run_task, &c, err, errlen);
    free(c.slopes);
    if (c.ws)
        for (int i = 0; i < nw; i++) free(c.ws[i].q);
    free(c.ws);
    return rc;
}
