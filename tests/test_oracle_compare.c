/* test_oracle_compare.c — the tolerance model, both ways: what a correct
 * computation produces must pass (the reference itself, the naive reference,
 * a kernel-like f32 implementation with clear margin), and what is perturbed
 * beyond the declared bound, NaN where there is none, a mismatched Inf, a
 * wrong scale or a non-zero fully masked row must fail, with the gate named.
 * An overflowing naive computation must not widen the bound past cap. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fasv/build.h"
#include "test_oracle_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

typedef struct prepared {
    fasv_case c;
    fasv_data d;
    fasv_oracle_result res;
    fasv_tol tol;
    double *cand;
} prepared;

static int prepare(prepared *p, const fasv_case *c) {
    char err[256];
    p->c = *c;
    if (fasv_gen(&p->c, &p->d, 0, err, sizeof err) != 0) {
        fprintf(stderr, "gen: %s\n", err);
        return -1;
    }
    fasv_oracle_opts o = {2, 0};
    if (fasv_oracle_prepare(&p->c.node, &p->d, &o, &p->res, err, sizeof err) != 0) {
        fprintf(stderr, "prepare: %s\n", err);
        fasv_data_free(&p->d);
        return -1;
    }
    fasv_tol_default(&p->tol, p->c.node.prec);
    p->cand = malloc(sizeof(double) * (size_t)p->res.count);
    return p->cand ? 0 : -1;
}

static void release(prepared *p) {
    free(p->cand);
    fasv_oracle_result_free(&p->res);
    fasv_data_free(&p->d);
}

static int judge(prepared *p, fasv_judgement *v) {
    return fasv_compare(&p->c.node, p->res.ref, p->res.row, p->res.naive, p->cand, &p->tol, v);
}

/* Row r's bound as fasv/oracle.h declares it, in absolute terms. */
static double row_bound_abs(const prepared *p, int64_t r) {
    int64_t dv = fasv_dv(&p->c.node);
    double W = p->res.row[r].scale, n = 0.0;
    int bad = 0;
    for (int64_t e = 0; e < dv; e++) {
        double nv = p->res.naive[r * dv + e];
        if (!isfinite(nv))
            bad = 1;
        else
            n = fmax(n, fabs(nv - p->res.ref[r * dv + e]) / W);
    }
    double y = bad ? p->tol.cap : fmin(fmax(n, p->tol.cond_u * p->res.row[r].cond), p->tol.cap);
    return (p->tol.k * y + p->tol.floor) * W;
}

static void random_case(uint64_t seed, fasv_dist dist, fasv_prec prec, int tiny, fasv_case *c) {
    fasv_rng r;
    fasv_rng_seed(&r, seed);
    fasv_rand_opts o = {0};
    o.tiny = tiny;
    o.max_bytes = (int64_t)1 << 21;
    o.max_work = (int64_t)1 << 19;
    fasv_random_case(&r, &o, c);
    c->dist = dist;
    c->node.prec = prec;
}

/* What a correct computation produces passes: the reference, the naive
 * reference (uniform and normal data), and the kernel-like f32 online-softmax
 * implementation on every distribution with at least 2x margin. */
static void correct_passes(void) {
    int naive_fail = 0, flash_fail = 0, n = 0;
    double worst = 0.0;
    for (uint64_t seed = 1; seed <= (SANITIZED ? 45 : 150); seed++) {
        fasv_case c;
        random_case(seed, (fasv_dist)(seed % 3), seed % 2 ? FASV_PREC_F32 : FASV_PREC_DEFAULT, seed % 3 == 0, &c);
        prepared p;
        if (prepare(&p, &c) != 0) {
            CHECK(0);
            continue;
        }
        fasv_judgement v;
        memcpy(p.cand, p.res.ref, sizeof(double) * (size_t)p.res.count);
        CHECK(judge(&p, &v) && v.max_abs == 0.0 && v.nmse == 0.0);
        if (c.dist != FASV_DIST_ADVERSARIAL) {
            for (int64_t x = 0; x < p.res.count; x++) p.cand[x] = p.res.naive[x];
            if (!judge(&p, &v) && naive_fail++ < 3) {
                fprintf(stderr, "seed %llu: the naive reference fails its own model:\n", (unsigned long long)seed);
                fasv_judgement_print(stderr, &v, "  ");
            }
        }
        float *fo = malloc(sizeof(float) * (size_t)p.res.count);
        fasv_flash_cfg cfg = {16, 0, 0, 0};
        fasv_oracle_opts o = {1, 0};
        char err[256];
        CHECK(fo && fasv_oracle_flash(&c.node, &p.d, &cfg, &o, fo, err, sizeof err) == 0);
        for (int64_t x = 0; x < p.res.count; x++) p.cand[x] = fo[x];
        int ok = judge(&p, &v);
        if (v.worst_ratio > worst) worst = v.worst_ratio;
        if ((!ok || v.worst_ratio > 0.5) && flash_fail++ < 3) {
            fprintf(stderr, "seed %llu: the f32 kernel-like implementation %s (worst ratio %.3g):\n",
                    (unsigned long long)seed, ok ? "passes with too little margin" : "fails", v.worst_ratio);
            fasv_judgement_print(stderr, &v, "  ");
        }
        free(fo);
        release(&p);
        n++;
    }
    CHECKF(naive_fail == 0, "%d cases where the naive reference fails", naive_fail);
    CHECKF(flash_fail == 0, "%d cases where the f32 kernel-like implementation fails or has < 2x margin", flash_fail);
    fprintf(stderr, "correct_passes: %d cases, worst f32-kernel error / bound %.3g\n", n, worst);
}

/* One element moved by 1.5x its row's bound fails the bound gate in that row
 * alone; moved by 0.5x it passes. */
static void perturbed_fails(void) {
    int checked = 0;
    for (uint64_t seed = 200; seed < (SANITIZED ? 230 : 260); seed++) {
        fasv_case c;
        random_case(seed, (fasv_dist)(seed % 3), seed % 2 ? FASV_PREC_F32 : FASV_PREC_DEFAULT, seed % 2, &c);
        prepared p;
        if (prepare(&p, &c) != 0) {
            CHECK(0);
            continue;
        }
        int64_t dv = fasv_dv(&c.node);
        int64_t r = (int64_t)(seed * 7919) % p.res.rows;
        for (int64_t t = 0; t < p.res.rows && p.res.row[r].scale <= 0.0; t++) r = (r + 1) % p.res.rows;
        if (p.res.row[r].scale <= 0.0) {
            release(&p);
            continue;
        }
        int64_t x = r * dv + (int64_t)(seed % (uint64_t)dv);
        double b = row_bound_abs(&p, r);
        fasv_judgement v;
        memcpy(p.cand, p.res.ref, sizeof(double) * (size_t)p.res.count);
        p.cand[x] += 1.5 * b;
        CHECKF(!judge(&p, &v) && (v.failed & (1u << FASV_GATE_BOUND)) && v.rows_over == 1 && v.worst_row == r,
               "seed %llu: +1.5 bound not caught (failed %#x, rows over %lld)", (unsigned long long)seed, v.failed,
               (long long)v.rows_over);
        CHECK(v.worst_at.index == x && fabs(v.worst_ratio - 1.5) < 1e-6);
        memcpy(p.cand, p.res.ref, sizeof(double) * (size_t)p.res.count);
        p.cand[x] -= 0.5 * b;
        judge(&p, &v);
        CHECKF(v.rows_over == 0, "seed %llu: -0.5 bound rejected", (unsigned long long)seed);
        checked++;
        release(&p);
    }
    CHECK(checked > (SANITIZED ? 20 : 40));
}

/* NaN, Inf and NMSE gates, a non-zero fully masked row. */
static void gates(void) {
    fasv_case c;
    random_case(7, FASV_DIST_UNIFORM, FASV_PREC_DEFAULT, 1, &c);
    prepared p;
    CHECK(prepare(&p, &c) == 0);
    fasv_judgement v;
    int64_t x = p.res.count / 2;

    memcpy(p.cand, p.res.ref, sizeof(double) * (size_t)p.res.count);
    p.cand[x] = NAN;
    CHECK(!judge(&p, &v) && v.first == FASV_GATE_NAN && v.nan_bad == 1 && v.nan_at.index == x);

    memcpy(p.cand, p.res.ref, sizeof(double) * (size_t)p.res.count);
    p.cand[x] = -INFINITY;
    CHECK(!judge(&p, &v) && v.first == FASV_GATE_INF && v.inf_bad == 1 && v.inf_at.index == x);

    /* every value 3% too large: NMSE 9e-4 > 5e-4 */
    for (int64_t y = 0; y < p.res.count; y++) p.cand[y] = p.res.ref[y] * 1.03;
    judge(&p, &v);
    CHECK(!v.pass && (v.failed & (1u << FASV_GATE_NMSE)) && fabs(v.nmse - 9e-4) < 1e-6);
    release(&p);

    /* Inf in the reference must be met by the same Inf; NaN in the reference
     * constrains nothing (hand-made arrays: the generator never makes them) */
    tnode t;
    tnode_init(&t, 4, 2, 1, 2, 1, 1, 1, 1, FASV_TYPE_F16, FASV_TYPE_F16, 0, 0, 0);
    double ref[4] = {INFINITY, 1.0, NAN, 2.0}, cand[4] = {INFINITY, 1.0, 5.0, 2.0};
    fasv_row_stat rs[2] = {{1.0, 1.0}, {2.0, 1.0}};
    float nv[4] = {INFINITY, 1.0f, 0.0f, 2.0f};
    fasv_tol tol;
    fasv_tol_default(&tol, FASV_PREC_DEFAULT);
    CHECK(fasv_compare(&t.c.node, ref, rs, nv, cand, &tol, &v) && v.inf_bad == 0);
    cand[0] = -INFINITY;
    CHECK(!fasv_compare(&t.c.node, ref, rs, nv, cand, &tol, &v) && v.first == FASV_GATE_INF);
    cand[0] = 1e30;
    CHECK(!fasv_compare(&t.c.node, ref, rs, nv, cand, &tol, &v) && v.first == FASV_GATE_INF);
    tnode_free(&t);

    /* a fully masked row (W = 0) must be exactly 0 */
    tnode_init(&t, 4, 2, 2, 1, 1, 2, 1, 1, FASV_TYPE_F16, FASV_TYPE_F16, 1, 1, 0);
    double row[4] = {1, 2, 3, 4};
    for (int j = 0; j < 2; j++) {
        tnode_row(&t, FASV_K, j, 0, 0, row);
        tnode_row(&t, FASV_V, j, 0, 0, row);
        tnode_mask(&t, j, 1, 0, 0, -INFINITY);
    }
    tnode_row(&t, FASV_Q, 0, 0, 0, row);
    double out[4], c2[4];
    fasv_row_stat st[2];
    CHECK(tnode_ref(&t, out, st) == 0 && st[1].scale == 0.0);
    float nv2[4];
    char err[256];
    fasv_oracle_opts o = {1, 0};
    CHECK(fasv_oracle_naive(&t.c.node, &t.d, &o, nv2, err, sizeof err) == 0);
    CHECK(nv2[2] == 0.0f && nv2[3] == 0.0f);
    memcpy(c2, out, sizeof out);
    CHECK(fasv_compare(&t.c.node, out, st, nv2, c2, &tol, &v));
    c2[3] = 1e-30;
    CHECK(!fasv_compare(&t.c.node, out, st, nv2, c2, &tol, &v) && v.first == FASV_GATE_BOUND && v.zero_scale_rows == 1);
    tnode_free(&t);
}

/* Adversarial data makes the f16 naive computation overflow. Those rows are
 * credited cap, not Inf: an error of 1.5x (k cap + floor) still fails. */
static void overflow_is_capped(void) {
    int found = 0;
    for (uint64_t seed = 1; seed < 400 && found < 5; seed++) {
        fasv_case c;
        random_case(seed, FASV_DIST_ADVERSARIAL, FASV_PREC_DEFAULT, 0, &c);
        prepared p;
        if (prepare(&p, &c) != 0) {
            CHECK(0);
            continue;
        }
        int64_t dv = fasv_dv(&c.node), r = -1;
        for (int64_t q = 0; q < p.res.rows && r < 0; q++) {
            if (p.res.row[q].scale <= 0.0) continue;
            for (int64_t e = 0; e < dv; e++)
                if (!isfinite(p.res.naive[q * dv + e])) {
                    r = q;
                    break;
                }
        }
        if (r >= 0) {
            found++;
            double b = (p.tol.k * p.tol.cap + p.tol.floor) * p.res.row[r].scale;
            CHECK(fabs(row_bound_abs(&p, r) - b) <= 1e-12 * b);
            fasv_judgement v;
            memcpy(p.cand, p.res.ref, sizeof(double) * (size_t)p.res.count);
            p.cand[r * dv] += 1.5 * b;
            judge(&p, &v);
            CHECKF(v.rows_over == 1 && v.naive_nonfinite_rows > 0 && isfinite(v.worst_bound),
                   "seed %llu: error beyond k*cap+floor accepted on a row whose naive overflowed",
                   (unsigned long long)seed);
        }
        release(&p);
    }
    CHECKF(found >= 5, "only %d adversarial cases with an overflowing naive row", found);
}

/* The report names every figure. */
static void report_has_figures(void) {
    fasv_case c;
    random_case(3, FASV_DIST_NORMAL, FASV_PREC_F32, 1, &c);
    prepared p;
    CHECK(prepare(&p, &c) == 0);
    for (int64_t x = 0; x < p.res.count; x++) p.cand[x] = p.res.ref[x] * 1.1;
    fasv_judgement v;
    CHECK(!judge(&p, &v));
    char buf[8192];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    fasv_judgement_print(f, &v, "");
    fclose(f);
    const char *want[] = {"FAIL (bound, nmse)", "max abs error", "max rel error", "NMSE", "worst row", "bound",
                          "yardstick", "floor", "kappa", "tolerance: k 4"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) CHECKF(strstr(buf, want[i]) != NULL, "no '%s' in:\n%s", want[i], buf);
    f = fmemopen(buf, sizeof buf, "w");
    fasv_json j;
    fasv_json_init(&j, f, 0);
    fasv_judgement_json(&j, &v);
    fasv_json_done(&j);
    fclose(f);
    CHECKF(strstr(buf, "\"pass\":false") != NULL && strstr(buf, "\"failed\":[\"bound\",\"nmse\"]") != NULL &&
               strstr(buf, "\"nmse\":") != NULL && strstr(buf, "\"max_rel\":") != NULL,
           "%s", buf);
    release(&p);
}

int main(void) {
    correct_passes();
    perturbed_fails();
    gates();
    overflow_is_capped();
    report_has_figures();
    return check_report("test_oracle_compare");
}
