/* metamorphic.c — relations the reference must satisfy whatever its data.
 *
 * Owns: fasv_oracle_metamorphic, shared by tests/test_oracle_meta.c and the
 * fuzz helper's fuzz_oracle harness. Each relation builds a second node and
 * buffers from the case's own (a copy, re-laid-out or transformed) and holds
 * the reference's two outputs against each other:
 *   threads       3 threads give the same bits as 1
 *   block         a key block of 8 agrees to rounding
 *   simple        the single-loop implementation agrees to rounding (scales too)
 *   contiguous    a contiguous copy of every view gives the same bits
 *   restrided     a copy with random dimension order, row gaps and offsets too
 *   permute-keys  permuting the keys of K, V and the mask columns agrees to rounding
 *   mask-shift    adding a constant per mask row to its unmasked entries
 *                 (mask snapped to a grid where that addition is exact in f16,
 *                 sinks dropped) agrees to rounding
 *   scale-v       V times a signed power of two gives the output times it, exactly
 *   broadcast     GQA, sequence and mask broadcast against the node with K/V
 *                 and mask expanded to every head and sequence
 *   dequant       quantized (or f16/bf16) K/V against an f32 copy of the
 *                 dequantized values: the same bits when f32 holds them exactly,
 *                 else within the perturbation bound of the f32 rounding
 * "Agrees to rounding" is |a - b| <= (4 Dk sigma + 2 n_kv + 64) * 4 * 2^-52 * W_r,
 * sigma bounding |score|; W_r is the row scale of fasv/oracle.h.
 * Must not know: planners, devices, kernels.
 */
#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define META_MAX_BYTES ((int64_t)64 << 20)
#define META_MAX_WORK ((int64_t)1 << 27)

typedef struct mnode {
    fasv_node n;
    fasv_data d;
} mnode;

static void mnode_free(mnode *m) { fasv_data_free(&m->d); }

/* ---- building copies ------------------------------------------------------ */

/* A layout for tensor t (ne, type kept): contiguous when r is NULL, else a
 * random order of dimensions 1..3, gaps after rows and planes and an offset,
 * all multiples of the type's alignment. Own buffer. */
static void layout(fasv_tensor *t, fasv_tid id, fasv_rng *r) {
    fasv_tensor_contiguous(t, id);
    if (!r || id == FASV_SINKS) return;
    int64_t al = fasv_type_get(t->type)->align;
    int ord[3] = {1, 2, 3};
    for (int i = 2; i > 0; i--) {
        int j = (int)fasv_rng_below(r, (uint64_t)i + 1);
        int x = ord[i];
        ord[i] = ord[j];
        ord[j] = x;
    }
    int64_t stride = fasv_tensor_row_bytes(t) + al * fasv_rng_range(r, 0, 3);
    for (int k = 0; k < 3; k++) {
        t->nb[ord[k]] = stride;
        stride = stride * t->ne[ord[k]] + al * fasv_rng_range(r, 0, 2);
    }
    t->offset = al * fasv_rng_range(r, 0, 8);
    t->buf_bytes = t->offset + stride;
}

static int64_t row_off(const fasv_tensor *t, int64_t i1, int64_t i2, int64_t i3) {
    return t->offset + i1 * t->nb[1] + i2 * t->nb[2] + i3 * t->nb[3];
}

/* Fill dst tensor id (layout already in dn) from the source rows, dst row
 * (i1, i2, i3) reading source row (map1[i1], map2[i2], map3[i3]) (NULL map =
 * identity). */
static int copy_tensor(const fasv_node *sn, const fasv_data *sd, fasv_tid id, mnode *dm, const int64_t *map1,
                       const int64_t *map2, const int64_t *map3) {
    const fasv_tensor *t = &dm->n.t[id];
    uint8_t *b = malloc((size_t)t->buf_bytes);
    if (!b) return -1;
    memset(b, FASV_PAD_BYTE, (size_t)t->buf_bytes);
    dm->d.buf[id] = b;
    dm->d.bytes[id] = t->buf_bytes;
    int64_t rb = fasv_tensor_row_bytes(t);
    for (int64_t i3 = 0; i3 < t->ne[3]; i3++)
        for (int64_t i2 = 0; i2 < t->ne[2]; i2++)
            for (int64_t i1 = 0; i1 < t->ne[1]; i1++)
                memcpy(b + row_off(t, i1, i2, i3),
                       fasv_data_row(sd, sn, id, map1 ? map1[i1] : i1, map2 ? map2[i2] : i2, map3 ? map3[i3] : i3),
                       (size_t)rb);
    return 0;
}

/* A copy of every tensor in its own buffer, contiguous (r NULL) or re-strided. */
static int clone(const fasv_node *sn, const fasv_data *sd, mnode *dm, fasv_rng *r) {
    memset(&dm->d, 0, sizeof dm->d);
    dm->n = *sn;
    for (int id = 0; id < FASV_NT; id++) {
        if (!fasv_node_has(sn, (fasv_tid)id)) continue;
        layout(&dm->n.t[id], (fasv_tid)id, r);
        if (copy_tensor(sn, sd, (fasv_tid)id, dm, NULL, NULL, NULL) != 0) return -1;
    }
    return 0;
}

/* ---- checking ------------------------------------------------------------- */

typedef struct meta {
    const fasv_case *c;
    orc_geom g;
    const fasv_node *n;
    fasv_data d;
    double *out0, *out1;
    fasv_row_stat *scale0, *scale1;
    double sigma; /* bound on |score| */
    char *why;
    size_t len;
} meta;

static int broken(meta *m, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->why, m->len, fmt, ap);
    va_end(ap);
    return 1;
}

/* Relative tolerance of a relation that only changes double rounding. */
static double rounding_tol(const meta *m) {
    return (4.0 * (double)m->g.dk * (1.0 + m->sigma) + 2.0 * (double)m->g.nkv + 64.0) * 4.0 * DBL_EPSILON;
}

/* b ≈ alpha * a: |b - alpha a| <= rel * |alpha| * W_r + abs_tol (NaN must meet NaN). */
static int expect(meta *m, const char *rel_name, const double *a, const double *b, double alpha, double rel,
                  double abs_tol) {
    int64_t dv = m->g.dv;
    for (int64_t r = 0; r < m->g.rows; r++) {
        double tol = rel * fabs(alpha) * m->scale0[r].scale + abs_tol;
        for (int64_t e = 0; e < dv; e++) {
            int64_t x = r * dv + e;
            double want = alpha * a[x], got = b[x];
            if (isnan(want) && isnan(got)) continue;
            if (!(fabs(got - want) <= tol) && !(got == want)) {
                int64_t h = r % m->g.nh, i = (r / m->g.nh) % m->g.nq, s = r / (m->g.nh * m->g.nq);
                return broken(m,
                              "relation %s broken at [s=%lld i=%lld h=%lld d=%lld]: expected %.17g, got %.17g "
                              "(|diff| %.3e > tolerance %.3e; W_r %.6g)",
                              rel_name, (long long)s, (long long)i, (long long)h, (long long)e, want, got,
                              fabs(got - want), tol, m->scale0[r].scale);
            }
        }
    }
    return 0;
}

static int run_ref(meta *m, const fasv_node *n, const fasv_data *d, int threads, int key_block, double *out,
                   fasv_row_stat *scale) {
    fasv_oracle_opts o = {threads, key_block};
    char err[256];
    if (fasv_oracle_ref(n, d, &o, out, scale, err, sizeof err) != 0) return broken(m, "reference failed: %s", err);
    return 0;
}

static double row_norm2(const fasv_node *n, const fasv_data *d, fasv_tid id, int64_t i1, int64_t i2, int64_t i3,
                        double *tmp) {
    fasv_dequant_row_f64(n->t[id].type, fasv_data_row(d, n, id, i1, i2, i3), tmp, n->t[id].ne[0]);
    double s = 0.0;
    for (int64_t e = 0; e < n->t[id].ne[0]; e++) s += tmp[e] * tmp[e];
    return sqrt(s);
}

/* sigma >= |score| of every key: scale*|q|*|k| (Cauchy-Schwarz) capped by the
 * softcap, plus the largest |slope * mask| and room for mask-shift's 30. */
static int score_bound(meta *m) {
    const fasv_node *n = m->n;
    const orc_geom *g = &m->g;
    int64_t w = g->dk > g->nkv ? g->dk : g->nkv;
    double *tmp = malloc(sizeof(double) * (size_t)w);
    if (!tmp) return -1;
    double qmax = 0.0, kmax = 0.0, mmax = 0.0, smax = 0.0;
    for (int64_t s = 0; s < g->ns; s++)
        for (int64_t h = 0; h < g->nh; h++)
            for (int64_t i = 0; i < g->nq; i++) qmax = fmax(qmax, row_norm2(n, &m->d, FASV_Q, i, h, s, tmp));
    for (int64_t s = 0; s < g->nsk; s++)
        for (int64_t h = 0; h < g->nhk; h++)
            for (int64_t j = 0; j < g->nkv; j++) kmax = fmax(kmax, row_norm2(n, &m->d, FASV_K, j, h, s, tmp));
    if (g->has_mask)
        for (int64_t s = 0; s < g->m3; s++)
            for (int64_t h = 0; h < g->m2; h++)
                for (int64_t i = 0; i < g->nq; i++) {
                    const uint8_t *row = fasv_data_row(&m->d, n, FASV_MASK, i, h, s);
                    for (int64_t j = 0; j < g->nkv; j++) {
                        float x = orc_h2f(fasv_rd16(row + 2 * j));
                        if (isfinite(x)) mmax = fmax(mmax, fabs(x));
                    }
                }
    for (int64_t h = 0; h < g->nh; h++) smax = fmax(smax, orc_slope(g, h));
    double qk = fabs(g->scale) * qmax * kmax;
    if (g->softcap != 0.0 && qk > g->softcap) qk = g->softcap;
    m->sigma = qk + smax * (mmax + 32.0);
    free(tmp);
    return 0;
}

/* ---- the relations -------------------------------------------------------- */

static int rel_threads_block(meta *m) {
    if (run_ref(m, m->n, &m->d, 3, 0, m->out1, m->scale1)) return 1;
    if (expect(m, "threads (3 threads vs 1, bitwise)", m->out0, m->out1, 1.0, 0.0, 0.0)) return 1;
    if (run_ref(m, m->n, &m->d, 2, 8, m->out1, m->scale1)) return 1;
    return expect(m, "block (key block 8)", m->out0, m->out1, 1.0, rounding_tol(m), 0.0);
}

static int rel_simple(meta *m) {
    char err[256];
    if (fasv_oracle_ref_simple(m->n, &m->d, m->out1, m->scale1, err, sizeof err) != 0)
        return broken(m, "single-loop reference failed: %s", err);
    if (expect(m, "simple (single-loop implementation)", m->out0, m->out1, 1.0, rounding_tol(m), 0.0)) return 1;
    double tol = 64.0 * DBL_EPSILON * (1.0 + m->sigma) + (double)m->g.nkv * 4.0 * DBL_EPSILON;
    for (int64_t r = 0; r < m->g.rows; r++) {
        const fasv_row_stat *a = &m->scale0[r], *b = &m->scale1[r];
        if (!(fabs(a->scale - b->scale) <= tol * fabs(a->scale)) && a->scale != b->scale)
            return broken(m, "relation simple broken: row %lld scale %.17g vs single-loop %.17g", (long long)r,
                          a->scale, b->scale);
        if (!(fabs(a->cond - b->cond) <= tol * fabs(a->cond)) && a->cond != b->cond)
            return broken(m, "relation simple broken: row %lld cond %.17g vs single-loop %.17g", (long long)r, a->cond,
                          b->cond);
    }
    return 0;
}

static int rel_layout(meta *m, fasv_rng *r) {
    for (int pass = 0; pass < 2; pass++) {
        mnode c;
        if (clone(m->n, &m->d, &c, pass ? r : NULL) != 0) {
            mnode_free(&c);
            return broken(m, "out of memory");
        }
        char why[256];
        if (fasv_node_check(&c.n, why, sizeof why) != FASV_LEGAL) {
            mnode_free(&c);
            return broken(m, "%s copy is illegal: %s", pass ? "re-strided" : "contiguous", why);
        }
        int bad = run_ref(m, &c.n, &c.d, 1, 0, m->out1, m->scale1) ||
                  expect(m, pass ? "restrided (re-strided copy, bitwise)" : "contiguous (contiguous copy, bitwise)",
                         m->out0, m->out1, 1.0, 0.0, 0.0);
        mnode_free(&c);
        if (bad) return 1;
    }
    return 0;
}

static int rel_permute(meta *m, fasv_rng *r) {
    const orc_geom *g = &m->g;
    int64_t *perm = malloc(sizeof(int64_t) * (size_t)g->nkv);
    uint16_t *tmp = malloc(sizeof(uint16_t) * (size_t)g->nkv);
    mnode c;
    memset(&c, 0, sizeof c);
    int bad = !perm || !tmp;
    if (!bad) {
        for (int64_t j = 0; j < g->nkv; j++) perm[j] = j;
        for (int64_t j = g->nkv - 1; j > 0; j--) {
            int64_t k = (int64_t)fasv_rng_below(r, (uint64_t)j + 1), x = perm[j];
            perm[j] = perm[k];
            perm[k] = x;
        }
        c.n = *m->n;
        for (int id = 0; id < FASV_NT && !bad; id++) {
            if (!fasv_node_has(m->n, (fasv_tid)id)) continue;
            layout(&c.n.t[id], (fasv_tid)id, NULL);
            bad = copy_tensor(m->n, &m->d, (fasv_tid)id, &c, (id == FASV_K || id == FASV_V) ? perm : NULL, NULL, NULL);
        }
    }
    if (bad) {
        free(perm);
        free(tmp);
        mnode_free(&c);
        return broken(m, "out of memory");
    }
    if (g->has_mask) { /* move each mask column with its key */
        const fasv_tensor *t = &c.n.mask;
        for (int64_t i3 = 0; i3 < t->ne[3]; i3++)
            for (int64_t i2 = 0; i2 < t->ne[2]; i2++)
                for (int64_t i1 = 0; i1 < t->ne[1]; i1++) {
                    uint8_t *row = c.d.buf[FASV_MASK] + row_off(t, i1, i2, i3);
                    for (int64_t j = 0; j < g->nkv; j++) tmp[j] = fasv_rd16(row + 2 * perm[j]);
                    for (int64_t j = 0; j < g->nkv; j++) fasv_wr16(row + 2 * j, tmp[j]);
                }
    }
    int res = run_ref(m, &c.n, &c.d, 1, 0, m->out1, m->scale1) ||
              expect(m, "permute-keys", m->out0, m->out1, 1.0, rounding_tol(m), 0.0);
    free(perm);
    free(tmp);
    mnode_free(&c);
    return res;
}

/* Snap every finite mask entry to a multiple of 2^-6 in [-15, 15]; with
 * shift, also add the row's constant c (a multiple of 2^-6 in [-15, 15]):
 * every value then stays a multiple of 2^-6 below 32 in magnitude, which f16
 * holds exactly. */
static void snap_mask(mnode *c, const orc_geom *g, const double *shift) {
    const fasv_tensor *t = &c->n.mask;
    int64_t row = 0;
    for (int64_t i3 = 0; i3 < t->ne[3]; i3++)
        for (int64_t i2 = 0; i2 < t->ne[2]; i2++)
            for (int64_t i1 = 0; i1 < g->nq; i1++, row++) {
                uint8_t *p = c->d.buf[FASV_MASK] + row_off(t, i1, i2, i3);
                for (int64_t j = 0; j < g->nkv; j++) {
                    uint16_t h = fasv_rd16(p + 2 * j);
                    if (h == ORC_MASK_NEG_INF) continue;
                    double x = orc_h2f(h);
                    if (!isfinite(x)) x = 0.0;
                    x = nearbyint(x * 64.0) / 64.0;
                    x = x > 15.0 ? 15.0 : x < -15.0 ? -15.0 : x;
                    if (shift) x += shift[row];
                    fasv_wr16(p + 2 * j, fasv_f32_to_f16((float)x));
                }
            }
}

static int rel_mask_shift(meta *m, fasv_rng *r) {
    const orc_geom *g = &m->g;
    if (!g->has_mask) return 0;
    int64_t nrows = g->nq * g->m2 * g->m3;
    double *shift = malloc(sizeof(double) * (size_t)nrows);
    mnode a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    int bad = !shift || clone(m->n, &m->d, &a, NULL) != 0 || clone(m->n, &m->d, &b, NULL) != 0;
    if (bad) {
        free(shift);
        mnode_free(&a);
        mnode_free(&b);
        return broken(m, "out of memory");
    }
    for (int64_t i = 0; i < nrows; i++) shift[i] = (double)fasv_rng_range(r, -15 * 64, 15 * 64) / 64.0;
    snap_mask(&a, g, NULL);
    snap_mask(&b, g, shift);
    a.n.has_sinks = b.n.has_sinks = false; /* a sink is not shifted: the relation needs none */
    double *outa = malloc(sizeof(double) * (size_t)(g->rows * g->dv));
    int res = 1;
    if (!outa) {
        res = broken(m, "out of memory");
    } else if (!run_ref(m, &a.n, &a.d, 1, 0, outa, m->scale0) && !run_ref(m, &b.n, &b.d, 1, 0, m->out1, m->scale1)) {
        res = expect(m, "mask-shift (constant added to a mask row)", outa, m->out1, 1.0, rounding_tol(m), 0.0);
    }
    free(outa);
    free(shift);
    mnode_free(&a);
    mnode_free(&b);
    return res;
}

/* Multiply one row of V (type t, n values) by 2^e (and negate when neg), in
 * place. Returns 0 if every stored value scaled exactly, -1 if not. */
static int scale_row(fasv_type t, uint8_t *row, int64_t n, int e, int neg) {
    const fasv_type_info *ti = fasv_type_get(t);
    double f = ldexp(neg ? -1.0 : 1.0, e);
    if (t == FASV_TYPE_F32) {
        for (int64_t i = 0; i < n; i++) {
            float x;
            memcpy(&x, row + 4 * i, 4);
            double y = (double)x * f;
            float z = (float)y;
            if ((double)z != y || !isfinite(z)) return -1;
            memcpy(row + 4 * i, &z, 4);
        }
        return 0;
    }
    if (t == FASV_TYPE_F16 || t == FASV_TYPE_BF16) {
        for (int64_t i = 0; i < n; i++) {
            uint16_t h = fasv_rd16(row + 2 * i);
            double y = (double)(t == FASV_TYPE_F16 ? fasv_f16_to_f32(h) : fasv_bf16_to_f32(h)) * f;
            uint16_t z = t == FASV_TYPE_F16 ? fasv_f32_to_f16((float)y) : fasv_f32_to_bf16((float)y);
            float back = t == FASV_TYPE_F16 ? fasv_f16_to_f32(z) : fasv_bf16_to_f32(z);
            if ((double)back != y || !isfinite(back)) return -1;
            fasv_wr16(row + 2 * i, z);
        }
        return 0;
    }
    /* quantized: scale d (and m) of each block */
    int has_m = t == FASV_TYPE_Q4_1 || t == FASV_TYPE_Q5_1;
    for (int64_t b = 0; b < n / 32; b++) {
        uint8_t *p = row + b * ti->block_bytes;
        for (int k = 0; k < (has_m ? 2 : 1); k++) {
            double y = (double)fasv_f16_to_f32(fasv_rd16(p + 2 * k)) * f;
            uint16_t z = fasv_f32_to_f16((float)y);
            if ((double)fasv_f16_to_f32(z) != y) return -1;
            fasv_wr16(p + 2 * k, z);
        }
    }
    return 0;
}

static int rel_scale_v(meta *m, fasv_rng *r) {
    static const int exps[] = {1, -1, 2, -2, 3, -3};
    int neg = fasv_rng_chance(r, 50), e0 = FASV_RNG_PICK(r, exps);
    for (int attempt = 0; attempt < 2; attempt++) {
        int e = attempt ? 0 : e0;
        if (attempt && !neg) return 0; /* nothing left to try */
        mnode c;
        if (clone(m->n, &m->d, &c, NULL) != 0) {
            mnode_free(&c);
            return broken(m, "out of memory");
        }
        const fasv_tensor *t = &c.n.v;
        int inexact = 0;
        for (int64_t i3 = 0; i3 < t->ne[3] && !inexact; i3++)
            for (int64_t i2 = 0; i2 < t->ne[2] && !inexact; i2++)
                for (int64_t i1 = 0; i1 < t->ne[1] && !inexact; i1++)
                    inexact = scale_row(t->type, c.d.buf[FASV_V] + row_off(t, i1, i2, i3), t->ne[0], e, neg) != 0;
        if (inexact) { /* 2^e over- or underflows some value: try the sign alone */
            mnode_free(&c);
            continue;
        }
        char name[64];
        snprintf(name, sizeof name, "scale-v (V times %s2^%d, exact)", neg ? "-" : "", e);
        int res = run_ref(m, &c.n, &c.d, 1, 0, m->out1, m->scale1) ||
                  expect(m, name, m->out0, m->out1, ldexp(neg ? -1.0 : 1.0, e), 0.0, DBL_MIN);
        mnode_free(&c);
        return res;
    }
    return 0;
}

static int rel_broadcast(meta *m) {
    const orc_geom *g = &m->g;
    int mask_b = g->has_mask && (g->m2 != g->nh || g->m3 != g->ns);
    if (g->gqa == 1 && g->rs == 1 && !mask_b) return 0;
    int64_t *hmap = malloc(sizeof(int64_t) * (size_t)g->nh), *smap = malloc(sizeof(int64_t) * (size_t)g->ns);
    int64_t *mh = malloc(sizeof(int64_t) * (size_t)g->nh), *ms = malloc(sizeof(int64_t) * (size_t)g->ns);
    mnode c;
    memset(&c, 0, sizeof c);
    c.n = *m->n;
    int bad = !hmap || !smap || !mh || !ms;
    if (!bad) {
        for (int64_t h = 0; h < g->nh; h++) {
            hmap[h] = h / g->gqa;
            mh[h] = h % g->m2;
        }
        for (int64_t s = 0; s < g->ns; s++) {
            smap[s] = s / g->rs;
            ms[s] = s % g->m3;
        }
        for (int id = 0; id < FASV_NT && !bad; id++) {
            if (!fasv_node_has(m->n, (fasv_tid)id)) continue;
            fasv_tensor *t = &c.n.t[id];
            const int64_t *m2 = NULL, *m3 = NULL;
            if (id == FASV_K || id == FASV_V) {
                t->ne[2] = g->nh;
                t->ne[3] = g->ns;
                m2 = hmap;
                m3 = smap;
            } else if (id == FASV_MASK) {
                t->ne[2] = g->nh;
                t->ne[3] = g->ns;
                m2 = mh;
                m3 = ms;
            }
            layout(t, (fasv_tid)id, NULL);
            bad = copy_tensor(m->n, &m->d, (fasv_tid)id, &c, NULL, m2, m3) != 0;
        }
    }
    int res;
    if (bad)
        res = broken(m, "out of memory");
    else
        res = run_ref(m, &c.n, &c.d, 1, 0, m->out1, m->scale1) ||
              expect(m, "broadcast (GQA/sequence/mask broadcast vs expanded K, V and mask)", m->out0, m->out1, 1.0,
                     rounding_tol(m), 0.0);
    free(hmap);
    free(smap);
    free(mh);
    free(ms);
    mnode_free(&c);
    return res;
}

static int rel_dequant(meta *m) {
    const fasv_node *n = m->n;
    const orc_geom *g = &m->g;
    if (n->k.type == FASV_TYPE_F32 && n->v.type == FASV_TYPE_F32) return 0;
    mnode c;
    memset(&c, 0, sizeof c);
    c.n = *n;
    double dk_abs = 0.0, dv_abs = 0.0; /* largest |x - (float)x| of K and of V */
    int bad = 0;
    int64_t w = g->dk > g->dv ? g->dk : g->dv;
    double *tmp = malloc(sizeof(double) * (size_t)w);
    bad = !tmp;
    for (int id = 0; id < FASV_NT && !bad; id++) {
        if (!fasv_node_has(n, (fasv_tid)id)) continue;
        fasv_tensor *t = &c.n.t[id];
        if (id != FASV_K && id != FASV_V) {
            layout(t, (fasv_tid)id, NULL);
            bad = copy_tensor(n, &m->d, (fasv_tid)id, &c, NULL, NULL, NULL) != 0;
            continue;
        }
        t->type = FASV_TYPE_F32;
        layout(t, (fasv_tid)id, NULL);
        uint8_t *b = malloc((size_t)t->buf_bytes);
        if (!b) {
            bad = 1;
            break;
        }
        c.d.buf[id] = b;
        c.d.bytes[id] = t->buf_bytes;
        double *dabs = id == FASV_K ? &dk_abs : &dv_abs;
        for (int64_t i3 = 0; i3 < t->ne[3]; i3++)
            for (int64_t i2 = 0; i2 < t->ne[2]; i2++)
                for (int64_t i1 = 0; i1 < t->ne[1]; i1++) {
                    fasv_dequant_row_f64(n->t[id].type, fasv_data_row(&m->d, n, (fasv_tid)id, i1, i2, i3), tmp,
                                         t->ne[0]);
                    uint8_t *row = b + row_off(t, i1, i2, i3);
                    for (int64_t e = 0; e < t->ne[0]; e++) {
                        float f = (float)tmp[e];
                        double dd = fabs((double)f - tmp[e]);
                        if (dd > *dabs) *dabs = dd;
                        memcpy(row + 4 * e, &f, 4);
                    }
                }
    }
    free(tmp);
    int res;
    if (bad) {
        res = broken(m, "out of memory");
    } else if (run_ref(m, &c.n, &c.d, 1, 0, m->out1, m->scale1)) {
        res = 1;
    } else if (dk_abs == 0.0 && dv_abs == 0.0) {
        res = expect(m, "dequant (f32 copy of the exact K/V values, bitwise)", m->out0, m->out1, 1.0, 0.0, 0.0);
    } else {
        /* f32 moved K by dk_abs and V by dv_abs: every score moves by at most
         * ds = scale * max|q|_1 * dk_abs, every weight by a factor within
         * exp(+-2 ds), so |delta out| <= (exp(2 ds) - 1) W_r + dv_abs. */
        double q1 = 0.0;
        double *qt = malloc(sizeof(double) * (size_t)g->dk);
        if (!qt) {
            mnode_free(&c);
            return broken(m, "out of memory");
        }
        for (int64_t s = 0; s < g->ns; s++)
            for (int64_t h = 0; h < g->nh; h++)
                for (int64_t i = 0; i < g->nq; i++) {
                    fasv_dequant_row_f64(n->q.type, fasv_data_row(&m->d, n, FASV_Q, i, h, s), qt, g->dk);
                    double a = 0.0;
                    for (int64_t e = 0; e < g->dk; e++) a += fabs(qt[e]);
                    if (a > q1) q1 = a;
                }
        free(qt);
        double ds = fabs(g->scale) * q1 * dk_abs;
        if (ds > 0.1) {
            res = 0; /* the f32 copy is too far from the values for a useful bound */
        } else {
            double rel = 1.1 * expm1(2.0 * ds) + rounding_tol(m);
            res = expect(m, "dequant (f32 copy of the K/V values, within its rounding)", m->out0, m->out1, 1.0, rel,
                         1.1 * dv_abs);
        }
    }
    mnode_free(&c);
    return res;
}

int fasv_oracle_metamorphic(const fasv_case *c, fasv_rng *r, char *why, size_t len) {
    meta m;
    memset(&m, 0, sizeof m);
    m.c = c;
    m.n = &c->node;
    m.why = why;
    m.len = len;
    if (len) why[0] = 0;
    char err[256];
    if (fasv_node_check(m.n, err, sizeof err) != FASV_LEGAL) {
        snprintf(why, len, "cannot run: illegal node: %s", err);
        return -1;
    }
    orc_geom_init(&m.g, m.n);
    double work = (double)m.g.rows * (double)m.g.nkv * (double)(m.g.dk + m.g.dv);
    if (work > (double)META_MAX_WORK) {
        snprintf(why, len, "cannot run: work %.3g over %lld", work, (long long)META_MAX_WORK);
        return -1;
    }
    if (fasv_gen(c, &m.d, META_MAX_BYTES, err, sizeof err) != 0) {
        snprintf(why, len, "cannot run: %s", err);
        return -1;
    }
    int64_t cnt = m.g.rows * m.g.dv;
    m.out0 = malloc(sizeof(double) * (size_t)cnt);
    m.out1 = malloc(sizeof(double) * (size_t)cnt);
    m.scale0 = malloc(sizeof(fasv_row_stat) * (size_t)m.g.rows);
    m.scale1 = malloc(sizeof(fasv_row_stat) * (size_t)m.g.rows);
    int res;
    if (!m.out0 || !m.out1 || !m.scale0 || !m.scale1 || score_bound(&m) != 0) {
        snprintf(why, len, "cannot run: out of memory");
        res = -1;
    } else if (run_ref(&m, m.n, &m.d, 1, 0, m.out0, m.scale0)) {
        res = 1;
    } else {
        res = rel_threads_block(&m) || rel_simple(&m) || rel_layout(&m, r) || rel_permute(&m, r) ||
              rel_scale_v(&m, r) || rel_broadcast(&m) || rel_dequant(&m) || rel_mask_shift(&m, r);
    }
    free(m.out0);
    free(m.out1);
    free(m.scale0);
    free(m.scale1);
    fasv_data_free(&m.d);
    return res;
}

void fasv_oracle_relation_name(const char *why, char *out, size_t len) {
    const char *p = strncmp(why, "relation ", 9) == 0 ? why + 9 : why;
    size_t l = strcspn(p, " ");
    snprintf(out, len, "%.*s", (int)(l < len ? l : len - 1), p);
}
