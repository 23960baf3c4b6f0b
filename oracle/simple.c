/* simple.c — the reference written the obvious way: one loop per output row,
 * one thread, every K and V row dequantized (with the core library's
 * fasv_dequant_row_f64) each time it is read, two-pass softmax.
 *
 * Owns: fasv_oracle_ref_simple, the second implementation that the tests and
 * the metamorphic checks hold the fast reference against, and the baseline of
 * bench/bench_oracle.c. Kept deliberately free of blocking, threads and fast
 * paths; change ref.c, not this, to go faster.
 * Must not know: planners, devices, kernels.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

int fasv_oracle_ref_simple(const fasv_node *n, const fasv_data *d, double *out, fasv_row_stat *rows, char *err,
                           size_t errlen) {
    if (orc_check(n, d, err, errlen) != 0) return -1;
    orc_geom g;
    orc_geom_init(&g, n);
    double *sc = malloc(sizeof(double) * 2 * (size_t)g.nkv), *sig = sc + g.nkv;
    double *q = malloc(sizeof(double) * (size_t)g.dk);
    double *k = malloc(sizeof(double) * (size_t)g.dk);
    double *v = malloc(sizeof(double) * (size_t)g.dv);
    if (!sc || !q || !k || !v) {
        free(sc);
        free(q);
        free(k);
        free(v);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int64_t s = 0; s < g.ns; s++)
        for (int64_t i = 0; i < g.nq; i++)
            for (int64_t h = 0; h < g.nh; h++) {
                int64_t hk = h / g.gqa, sk = s / g.rs;
                int64_t r = orc_out_row(&g, s, h, i);
                double *o = out + r * g.dv;
                double slope = orc_slope(&g, h);
                fasv_dequant_row_f64(n->q.type, fasv_data_row(d, n, FASV_Q, i, h, s), q, g.dk);
                double qn = 0.0;
                for (int64_t e = 0; e < g.dk; e++) qn += q[e] * q[e];
                qn = fabs(g.scale) * sqrt(qn);
                const uint8_t *mrow = g.has_mask ? fasv_data_row(d, n, FASV_MASK, i, h % g.m2, s % g.m3) : NULL;
                double M = -INFINITY;
                for (int64_t j = 0; j < g.nkv; j++) {
                    if (mrow && fasv_rd16(mrow + 2 * j) == ORC_MASK_NEG_INF) {
                        sc[j] = -INFINITY;
                        continue;
                    }
                    fasv_dequant_row_f64(n->k.type, fasv_data_row(d, n, FASV_K, j, hk, sk), k, g.dk);
                    double dot = 0.0, kn = 0.0;
                    for (int64_t e = 0; e < g.dk; e++) {
                        dot += q[e] * k[e];
                        kn += k[e] * k[e];
                    }
                    double x = dot * g.scale, mt = 0.0;
                    if (g.softcap != 0.0) x = g.softcap * tanh(x / g.softcap);
                    if (mrow) mt = slope * (double)fasv_f16_to_f32(fasv_rd16(mrow + 2 * j));
                    x += mt;
                    sc[j] = x;
                    sig[j] = qn * sqrt(kn) + fabs(mt);
                    if (x > M) M = x;
                }
                for (int64_t e = 0; e < g.dv; e++) o[e] = 0.0;
                if (M == -INFINITY) {
                    if (rows) rows[r].scale = rows[r].cond = 0.0;
                    continue;
                }
                double S = 0.0, W = 0.0, vmx = 0.0, C1 = 0.0, C2 = 0.0;
                for (int64_t j = 0; j < g.nkv; j++) {
                    if (sc[j] == -INFINITY) continue;
                    fasv_dequant_row_f64(n->v.type, fasv_data_row(d, n, FASV_V, j, hk, sk), v, g.dv);
                    double vm = 0.0;
                    for (int64_t e = 0; e < g.dv; e++) vm = fabs(v[e]) > vm ? fabs(v[e]) : vm;
                    if (vm > vmx) vmx = vm;
                    double p = exp(sc[j] - M);
                    S += p;
                    W += p * vm;
                    C1 += p * sig[j] * vm;
                    C2 += p * sig[j];
                    for (int64_t e = 0; e < g.dv; e++) o[e] += p * v[e];
                }
                double den = S, f = 1.0;
                if (g.has_sinks) {
                    float sk32;
                    memcpy(&sk32, fasv_data_base(d, n, FASV_SINKS) + 4 * h, 4);
                    double sink = sk32;
                    if (sink > M) {
                        f = exp(M - sink);
                        den = S * f + 1.0;
                    } else {
                        den = S + exp(sink - M);
                    }
                }
                for (int64_t e = 0; e < g.dv; e++) o[e] = o[e] * f / den;
                if (rows) {
                    double w = W / S, lo = 0x1p-30 * vmx;
                    rows[r].scale = w > lo ? w : lo;
                    rows[r].cond = W > 0.0 ? C1 / W + C2 / S : 0.0;
                }
            }
    free(sc);
    free(q);
    free(k);
    free(v);
    return 0;
}
