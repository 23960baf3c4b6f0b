/* test_oracle_meta.c — thousands of random tiny legal nodes through the
 * oracle (reference, single-loop reference, naive reference, kernel-like f32
 * implementation, tolerance model), then the metamorphic relations
 * (fasv_oracle_metamorphic: thread count, key block, single-loop
 * implementation, contiguous and re-strided copies, key permutation, mask
 * shift, V scaling, broadcast expansion, dequantized f32 copies) on tiny
 * cases and on budgeted shapes of real head sizes. Meant to run under
 * ASan/UBSan in a few seconds: sanitizer builds run a tenth of the relation
 * sweep. FASV_META_CASES overrides the relation sweep's count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fasv/build.h"
#include "fasv/oracle.h"

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

/* Every implementation on n tiny random cases: the reference and the
 * single-loop one agree to 1e-12 of W_r, every output is finite, the f32
 * kernel-like implementation passes the tolerance model. */
static void oracle_sweep(int cases, uint64_t seed0) {
    int disagree = 0, nonfinite = 0, flash_fail = 0, err_count = 0;
    for (int i = 0; i < cases; i++) {
        fasv_rng r;
        fasv_rng_seed(&r, seed0 + (uint64_t)i);
        fasv_rand_opts o = {0};
        o.tiny = 1;
        fasv_case c;
        fasv_random_case(&r, &o, &c);
        c.dist = (fasv_dist)(i % FASV_DIST_COUNT);
        char err[256];
        fasv_data d;
        fasv_oracle_result res;
        fasv_oracle_opts oo = {1, 0};
        if (fasv_gen(&c, &d, 0, err, sizeof err) != 0) {
            if (err_count++ < 3) fprintf(stderr, "case %d: %s\n", i, err);
            continue;
        }
        if (fasv_oracle_prepare(&c.node, &d, &oo, &res, err, sizeof err) != 0) {
            if (err_count++ < 3) fprintf(stderr, "case %d: %s\n", i, err);
            fasv_data_free(&d);
            continue;
        }
        double *s = malloc(sizeof(double) * (size_t)res.count);
        float *f = malloc(sizeof(float) * (size_t)res.count);
        fasv_row_stat *rs = malloc(sizeof(fasv_row_stat) * (size_t)res.rows);
        fasv_flash_cfg cfg = {8, 0, 0, 0};
        if (!s || !f || !rs || fasv_oracle_ref_simple(&c.node, &d, s, rs, err, sizeof err) != 0 ||
            fasv_oracle_flash(&c.node, &d, &cfg, &oo, f, err, sizeof err) != 0) {
            err_count++;
        } else {
            int64_t dv = fasv_dv(&c.node);
            for (int64_t x = 0; x < res.count; x++) {
                double W = res.row[x / dv].scale;
                if (!isfinite(res.ref[x])) nonfinite++;
                if (!(fabs(res.ref[x] - s[x]) <= 1e-12 * W) && res.ref[x] != s[x] && disagree++ < 3)
                    fprintf(stderr, "case %d: ref %.17g, single-loop %.17g at %lld\n", i, res.ref[x], s[x], (long long)x);
            }
            double *fd = s; /* reuse: the candidate in double */
            for (int64_t x = 0; x < res.count; x++) fd[x] = f[x];
            fasv_tol tol;
            fasv_tol_default(&tol, c.node.prec);
            fasv_judgement v;
            if (!fasv_compare(&c.node, res.ref, res.row, res.naive, fd, &tol, &v) && flash_fail++ < 3) {
                char *t = fasv_case_to_string(&c);
                fprintf(stderr, "case %d: the f32 kernel-like implementation fails:\n%s", i, t);
                fasv_judgement_print(stderr, &v, "  ");
                free(t);
            }
        }
        free(s);
        free(f);
        free(rs);
        fasv_oracle_result_free(&res);
        fasv_data_free(&d);
    }
    CHECKF(err_count == 0, "%d cases could not run", err_count);
    CHECKF(disagree == 0, "%d values where the reference and the single-loop reference disagree", disagree);
    CHECKF(nonfinite == 0, "%d non-finite reference values", nonfinite);
    CHECKF(flash_fail == 0, "%d cases where the f32 kernel-like implementation fails", flash_fail);
    fprintf(stderr, "oracle sweep: %d tiny cases\n", cases);
}

static void sweep(int cases, int tiny, uint64_t seed0) {
    int broken = 0, skipped = 0, illegal = 0;
    int seen_type[FASV_TYPE_COUNT] = {0}, seen_mask = 0, seen_sinks = 0, seen_gqa = 0, seen_view = 0;
    for (int i = 0; i < cases; i++) {
        fasv_rng r;
        fasv_rng_seed(&r, seed0 + (uint64_t)i);
        fasv_rand_opts o = {0};
        o.tiny = tiny;
        o.max_bytes = (int64_t)1 << 20;
        o.max_work = (int64_t)1 << 20;
        fasv_case c;
        fasv_random_case(&r, &o, &c);
        char why[512];
        if (fasv_node_check(&c.node, why, sizeof why) != FASV_LEGAL) {
            if (illegal++ < 3) fprintf(stderr, "seed %llu: random case illegal: %s\n", (unsigned long long)(seed0 + i), why);
            continue;
        }
        seen_type[c.node.k.type]++;
        seen_mask += c.node.has_mask;
        seen_sinks += c.node.has_sinks;
        seen_gqa += fasv_gqa(&c.node) > 1;
        seen_view += c.node.v.buf == FASV_K;
        int res = fasv_oracle_metamorphic(&c, &r, why, sizeof why);
        if (res < 0) {
            if (skipped++ < 3) fprintf(stderr, "seed %llu: skipped: %s\n", (unsigned long long)(seed0 + i), why);
        } else if (res > 0) {
            if (broken++ < 5) {
                char *t = fasv_case_to_string(&c);
                fprintf(stderr, "seed %llu: %s\n%s\n", (unsigned long long)(seed0 + i), why, t);
                free(t);
            }
        }
    }
    CHECKF(illegal == 0, "%d of %d random cases illegal", illegal, cases);
    CHECKF(broken == 0, "%d of %d cases broke a relation", broken, cases);
    CHECKF(skipped == 0, "%d of %d cases skipped", skipped, cases);
    /* a long enough sweep reaches what it is meant to exercise */
    if (cases >= 300) {
        for (int t = 0; t < FASV_TYPE_COUNT; t++)
            CHECKF(seen_type[t] > 0, "no case with K type %s", fasv_type_name((fasv_type)t));
        CHECK(seen_mask > 0 && seen_sinks > 0 && seen_gqa > 0 && seen_view > 0);
    }
    fprintf(stderr, "%s sweep: %d cases (masks %d, sinks %d, gqa %d, V views of K %d)\n", tiny ? "tiny" : "budgeted",
            cases, seen_mask, seen_sinks, seen_gqa, seen_view);
}

/* A relation that cannot fail is no check: an illegal case is refused. */
static void refuses_illegal(void) {
    fasv_case c;
    fasv_case_init(&c);
    c.node.q.ne[2] = 3;
    c.node.k.ne[2] = c.node.v.ne[2] = 2;
    fasv_rng r;
    fasv_rng_seed(&r, 1);
    char why[256];
    CHECK(fasv_oracle_metamorphic(&c, &r, why, sizeof why) == -1);
    CHECKF(strstr(why, "illegal") != NULL, "%s", why);
}

int main(void) {
    oracle_sweep(SANITIZED ? 2000 : 5000, 77000);
    const char *env = getenv("FASV_META_CASES");
    int n = env ? atoi(env) : SANITIZED ? 300 : 3000;
    sweep(n, 1, 1000);
    sweep(n / 30 > 10 ? n / 30 : 10, 0, 500000);
    refuses_illegal();
    return check_report("test_oracle_meta");
}
