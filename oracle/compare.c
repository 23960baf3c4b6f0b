/* compare.c — the tolerance model: does a candidate output match the
 * reference as closely as a kernel in the node's precision can?
 *
 * Owns: fasv_compare and its verdict (every figure, printed and as JSON), the
 * calibrated defaults (fasv_tol_default; docs/tolerance.md explains them) and
 * fasv_oracle_prepare (reference + row scales + naive reference in one call).
 * Errors are measured per output row in units of the row's value scale W_r
 * (the attention-weighted max-norm of V, see fasv/oracle.h), because that is
 * what any kernel's rounding error is proportional to; the naive reference's
 * own error in the same unit is the yardstick, credited at most `cap` so an
 * overflowing naive computation cannot excuse anything.
 * Must not know: planners, devices, kernels, where the candidate came from.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void fasv_tol_default(fasv_tol *t, fasv_prec p) {
    /* Calibrated in docs/tolerance.md on 3300 random cases x 3 data
     * distributions (bench/calib_tolerance.c, bench/results/tolerance-*.md).
     * default: floor 4x the f16 storage error of V (2^-12); cond_u = u16/16,
     * the smallest tried with which f16 kernels need no more floor than that.
     * f32: cond_u = 4 u32, with which no f32-kernel row came above 0.28 of
     * its bound; floor 2^-20, 3x the most an f32 kernel needed even at k = 1. */
    t->k = 4.0;
    t->floor = p == FASV_PREC_F32 ? 0x1p-20 : 0x1p-10;
    t->cond_u = p == FASV_PREC_F32 ? 0x1p-22 : 0x1p-15;
    t->cap = 0x1p-5;
    t->nmse_max = 5e-4;
    t->nmse_eps = 0x1p-10;
}

static const char *k_gate_names[FASV_GATE_COUNT] = {"pass", "nan", "inf", "bound", "nmse"};

const char *fasv_gate_name(fasv_gate g) { return (unsigned)g < FASV_GATE_COUNT ? k_gate_names[g] : "?"; }

static fasv_at at_of(const fasv_node *n, int64_t idx) {
    fasv_at a;
    a.index = idx;
    if (idx < 0) {
        a.d = a.h = a.i = a.s = -1;
        return a;
    }
    int64_t dv = fasv_dv(n), nh = fasv_nhead(n), nq = fasv_nq(n);
    int64_t r = idx / dv;
    a.d = idx % dv;
    a.h = r % nh;
    a.i = (r / nh) % nq;
    a.s = r / (nh * nq);
    return a;
}

static void fail(fasv_judgement *v, fasv_gate g) {
    if (!(v->failed & (1u << g)) && (v->first == FASV_GATE_PASS || g < v->first)) v->first = g;
    v->failed |= 1u << g;
}

int fasv_compare(const fasv_node *n, const double *ref, const fasv_row_stat *rows_st, const float *naive,
                 const double *cand, const fasv_tol *tol, fasv_judgement *v) {
    memset(v, 0, sizeof *v);
    v->tol = *tol;
    int64_t dv = fasv_dv(n), rows = fasv_oracle_rows(n);
    v->count = rows * dv;
    v->rows = rows;
    int64_t nan_at = -1, inf_at = -1, abs_at = -1, rel_at = -1, worst_el = -1;
    double sum_d2 = 0.0, sum_a2 = 0.0, sum_n2 = 0.0, sum_w2 = 0.0;
    v->worst_row = -1;
    v->worst_ratio = 0.0;
    for (int64_t r = 0; r < rows; r++) {
        double W = rows_st[r].scale, kap = rows_st[r].cond;
        double emax = 0.0, nmax = 0.0;
        int64_t eat = -1;
        int naive_bad = 0;
        sum_w2 += (double)dv * W * W;
        for (int64_t e = 0; e < dv; e++) {
            int64_t idx = r * dv + e;
            double a = ref[idx], b = cand[idx], nv = naive[idx];
            if (isnan(a)) continue; /* no constraint where the reference itself is NaN */
            if (!isfinite(nv)) naive_bad = 1;
            if (isnan(b)) {
                if (v->nan_bad++ == 0) nan_at = idx;
                continue;
            }
            if (isinf(a) || isinf(b)) {
                if (a != b && v->inf_bad++ == 0) {
                    inf_at = idx;
                    v->inf_ref = a;
                    v->inf_cand = b;
                }
                continue;
            }
            double diff = fabs(b - a);
            sum_d2 += diff * diff;
            sum_a2 += a * a;
            if (diff > v->max_abs || abs_at < 0) {
                v->max_abs = diff;
                abs_at = idx;
                v->max_abs_ref = a;
                v->max_abs_cand = b;
            }
            if (a != 0.0) {
                double rel = diff / fabs(a);
                if (rel > v->max_rel || rel_at < 0) {
                    v->max_rel = rel;
                    rel_at = idx;
                }
            }
            if (diff > emax || eat < 0) {
                emax = diff;
                eat = idx;
            }
            if (isfinite(nv)) {
                double nd = fabs((double)nv - a);
                sum_n2 += nd * nd;
                if (nd > nmax) nmax = nd;
            }
        }
        if (naive_bad) v->naive_nonfinite_rows++;
        if (eat < 0) continue; /* nothing comparable in this row */
        double er, nr;
        if (W > 0.0) {
            er = emax / W;
            nr = nmax / W;
        } else {
            v->zero_scale_rows++;
            er = emax == 0.0 ? 0.0 : INFINITY;
            nr = nmax == 0.0 ? 0.0 : INFINITY;
        }
        double credited = nr;
        if (naive_bad) {
            credited = tol->cap;
        } else {
            double cu = tol->cond_u * kap;
            if (cu > credited) {
                credited = cu;
                v->cond_rows++;
            }
            if (!(credited <= tol->cap)) {
                v->naive_capped_rows++;
                credited = tol->cap;
            }
        }
        double bound = tol->k * credited + tol->floor;
        double ratio = bound > 0.0 ? er / bound : (er == 0.0 ? 0.0 : INFINITY);
        if (er > v->err_max) v->err_max = er;
        if (credited > v->naive_max) v->naive_max = credited;
        if (er > bound) v->rows_over++;
        if (v->worst_row < 0 || ratio > v->worst_ratio) {
            v->worst_ratio = ratio;
            v->worst_row = r;
            worst_el = eat;
            v->worst_err = er;
            v->worst_naive_raw = naive_bad ? NAN : nr;
            v->worst_naive = credited;
            v->worst_cond = kap;
            v->worst_bound = bound;
            v->worst_scale = W;
            v->worst_ref = ref[eat];
            v->worst_cand = cand[eat];
        }
    }
    double den = sum_a2;
    double fl = tol->nmse_eps * tol->nmse_eps * sum_w2;
    if (fl > den) den = fl;
    v->nmse = den > 0.0 ? sum_d2 / den : (sum_d2 == 0.0 ? 0.0 : INFINITY);
    v->nmse_naive = den > 0.0 ? sum_n2 / den : (sum_n2 == 0.0 ? 0.0 : INFINITY);
    v->nan_at = at_of(n, nan_at);
    v->inf_at = at_of(n, inf_at);
    v->max_abs_at = at_of(n, abs_at);
    v->max_rel_at = at_of(n, rel_at);
    v->worst_at = at_of(n, worst_el);

    v->first = FASV_GATE_PASS;
    if (v->nan_bad) fail(v, FASV_GATE_NAN);
    if (v->inf_bad) fail(v, FASV_GATE_INF);
    if (v->rows_over) fail(v, FASV_GATE_BOUND);
    if (!(v->nmse <= tol->nmse_max)) fail(v, FASV_GATE_NMSE);
    v->pass = v->failed == 0;
    return v->pass;
}

static void at_str(char *buf, size_t len, const fasv_at *a) {
    if (a->index < 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "[s=%lld i=%lld h=%lld d=%lld]", (long long)a->s, (long long)a->i, (long long)a->h,
                 (long long)a->d);
}

void fasv_judgement_print(FILE *f, const fasv_judgement *v, const char *ind) {
    char a1[96], a2[96];
    fprintf(f, "%sverdict: %s", ind, v->pass ? "PASS" : "FAIL (");
    if (!v->pass) {
        int first = 1;
        for (int g = 1; g < FASV_GATE_COUNT; g++)
            if (v->failed & (1u << g)) {
                fprintf(f, "%s%s", first ? "" : ", ", fasv_gate_name((fasv_gate)g));
                first = 0;
            }
        fputc(')', f);
    }
    fputc('\n', f);
    fprintf(f, "%s%lld elements in %lld rows; NaN where the reference has none: %lld", ind, (long long)v->count,
            (long long)v->rows, (long long)v->nan_bad);
    if (v->nan_bad) {
        at_str(a1, sizeof a1, &v->nan_at);
        fprintf(f, " (first at %s)", a1);
    }
    fprintf(f, "; Inf mismatches: %lld", (long long)v->inf_bad);
    if (v->inf_bad) {
        at_str(a1, sizeof a1, &v->inf_at);
        fprintf(f, " (first at %s: ref %g, cand %g)", a1, v->inf_ref, v->inf_cand);
    }
    fputc('\n', f);
    at_str(a1, sizeof a1, &v->max_abs_at);
    at_str(a2, sizeof a2, &v->max_rel_at);
    fprintf(f, "%smax abs error %.3e at %s (ref %.9g, cand %.9g); max rel error %.3e at %s\n", ind, v->max_abs, a1,
            v->max_abs_ref, v->max_abs_cand, v->max_rel, a2);
    fprintf(f, "%sNMSE %.3e (limit %.1e; the naive reference's own NMSE %.3e)\n", ind, v->nmse, v->tol.nmse_max,
            v->nmse_naive);
    if (v->worst_row >= 0) {
        at_str(a1, sizeof a1, &v->worst_at);
        fprintf(f,
                "%sworst row %lld at %s: error %.3e x W (W = %.4g; ref %.9g, cand %.9g) vs bound %.3e = %g x "
                "yardstick %.3e + floor %.3e (ratio %.3g); naive error %.3e, kappa %.4g\n",
                ind, (long long)v->worst_row, a1, v->worst_err, v->worst_scale, v->worst_ref, v->worst_cand,
                v->worst_bound, v->tol.k, v->worst_naive, v->tol.floor, v->worst_ratio, v->worst_naive_raw,
                v->worst_cond);
    }
    fprintf(f,
            "%srows over their bound: %lld; max row error %.3e; max yardstick %.3e; rows whose naive output is not "
            "finite: %lld; yardstick raised by kappa: %lld, capped: %lld; rows with W = 0: %lld\n",
            ind, (long long)v->rows_over, v->err_max, v->naive_max, (long long)v->naive_nonfinite_rows,
            (long long)v->cond_rows, (long long)v->naive_capped_rows, (long long)v->zero_scale_rows);
    fprintf(f, "%stolerance: k %g, floor %.3e, cond_u %.3e, cap %.3e, nmse_max %.1e, nmse_eps %.3e\n", ind, v->tol.k,
            v->tol.floor, v->tol.cond_u, v->tol.cap, v->tol.nmse_max, v->tol.nmse_eps);
}

static void json_at(fasv_json *j, const char *key, const fasv_at *a) {
    fasv_json_key(j, key);
    if (a->index < 0) {
        fasv_json_null(j);
        return;
    }
    fasv_json_obj(j);
    fasv_json_kint(j, "index", a->index);
    fasv_json_kint(j, "s", a->s);
    fasv_json_kint(j, "i", a->i);
    fasv_json_kint(j, "h", a->h);
    fasv_json_kint(j, "d", a->d);
    fasv_json_end(j);
}

void fasv_judgement_json(fasv_json *j, const fasv_judgement *v) {
    fasv_json_obj(j);
    fasv_json_kbool(j, "pass", v->pass);
    fasv_json_key(j, "failed");
    fasv_json_arr(j);
    for (int g = 1; g < FASV_GATE_COUNT; g++)
        if (v->failed & (1u << g)) fasv_json_str(j, fasv_gate_name((fasv_gate)g));
    fasv_json_end(j);
    fasv_json_kint(j, "elements", v->count);
    fasv_json_kint(j, "rows", v->rows);
    fasv_json_kint(j, "nan_bad", v->nan_bad);
    json_at(j, "nan_at", &v->nan_at);
    fasv_json_kint(j, "inf_bad", v->inf_bad);
    json_at(j, "inf_at", &v->inf_at);
    fasv_json_knum(j, "max_abs", v->max_abs);
    json_at(j, "max_abs_at", &v->max_abs_at);
    fasv_json_knum(j, "max_abs_ref", v->max_abs_ref);
    fasv_json_knum(j, "max_abs_cand", v->max_abs_cand);
    fasv_json_knum(j, "max_rel", v->max_rel);
    json_at(j, "max_rel_at", &v->max_rel_at);
    fasv_json_knum(j, "nmse", v->nmse);
    fasv_json_knum(j, "nmse_naive", v->nmse_naive);
    fasv_json_knum(j, "err_max", v->err_max);
    fasv_json_knum(j, "naive_max", v->naive_max);
    fasv_json_knum(j, "worst_ratio", v->worst_ratio);
    fasv_json_kint(j, "worst_row", v->worst_row);
    json_at(j, "worst_at", &v->worst_at);
    fasv_json_knum(j, "worst_err", v->worst_err);
    fasv_json_knum(j, "worst_naive", v->worst_naive_raw);
    fasv_json_knum(j, "worst_yardstick", v->worst_naive);
    fasv_json_knum(j, "worst_cond", v->worst_cond);
    fasv_json_knum(j, "worst_bound", v->worst_bound);
    fasv_json_knum(j, "worst_scale", v->worst_scale);
    fasv_json_knum(j, "worst_ref", v->worst_ref);
    fasv_json_knum(j, "worst_cand", v->worst_cand);
    fasv_json_kint(j, "rows_over", v->rows_over);
    fasv_json_kint(j, "naive_nonfinite_rows", v->naive_nonfinite_rows);
    fasv_json_kint(j, "naive_capped_rows", v->naive_capped_rows);
    fasv_json_kint(j, "cond_rows", v->cond_rows);
    fasv_json_kint(j, "zero_scale_rows", v->zero_scale_rows);
    fasv_json_key(j, "tol");
    fasv_json_obj(j);
    fasv_json_knum(j, "k", v->tol.k);
    fasv_json_knum(j, "floor", v->tol.floor);
    fasv_json_knum(j, "cond_u", v->tol.cond_u);
    fasv_json_knum(j, "cap", v->tol.cap);
    fasv_json_knum(j, "nmse_max", v->tol.nmse_max);
    fasv_json_knum(j, "nmse_eps", v->tol.nmse_eps);
    fasv_json_end(j);
    fasv_json_end(j);
}

int fasv_oracle_prepare(const fasv_node *n, const fasv_data *d, const fasv_oracle_opts *o, fasv_oracle_result *res,
                        char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    res->count = fasv_out_count(n);
    res->rows = fasv_oracle_rows(n);
    res->ref = malloc(sizeof(double) * (size_t)res->count);
    res->row = malloc(sizeof(fasv_row_stat) * (size_t)res->rows);
    res->naive = malloc(sizeof(float) * (size_t)res->count);
    if (!res->ref || !res->row || !res->naive) {
        fasv_oracle_result_free(res);
        snprintf(err, errlen, "out of memory for %lld output values", (long long)res->count);
        return -1;
    }
    if (fasv_oracle_ref(n, d, o, res->ref, res->row, err, errlen) != 0 ||
        fasv_oracle_naive(n, d, o, res->naive, err, errlen) != 0) {
        fasv_oracle_result_free(res);
        return -1;
    }
    return 0;
}

void fasv_oracle_result_free(fasv_oracle_result *res) {
    free(res->ref);
    free(res->row);
    free(res->naive);
    memset(res, 0, sizeof *res);
}
