/* calib_tolerance.c — measure the error distributions the tolerance model is
 * calibrated on (docs/tolerance.md), and how the defaults fare.
 *
 * Owns: the calibration sweep. For random legal cases (fasv_random_case with
 * max_bytes / max_work budgets, non-tiny and tiny shapes), each run under all
 * three data distributions and both precision modes, it computes the
 * reference, the naive low-precision reference, and three kernel-like
 * implementations (fasv_oracle_flash):
 *   f32      everything f32 (ggml's CPU path, an f32-precision kernel)
 *   f16kv    K/V tiles stored as f16, f32 math (f32 kernels on converted K/V)
 *   mma16    Q*scale, K/V and P as f16, f32 accumulation (tensor-core kernels
 *            in default precision)
 * and reports, per precision, kernel and distribution: the row errors e_r and
 * naive errors n_r (units of W_r), the ratio e_r/n_r, the floor each k would
 * need, NMSE, and the pass rate under fasv_tol_default.
 * usage: calib_tolerance [--cases N] [--seed S] [--max-work W] [--max-bytes B]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/build.h"
#include "fasv/oracle.h"

#define NK 3
#define NKS 7
static const char *k_kern[NK] = {"f32", "f16kv", "mma16"};
static const fasv_flash_cfg k_cfg[NK] = {{32, 0, 0, 0}, {32, 0, 1, 0}, {32, 1, 1, 1}};
static const double k_ks[NKS] = {1, 2, 3, 4, 6, 8, 16};
#define NCS 5
static const double k_cs[NCS] = {0.0, 1.0 / 16, 1.0 / 4, 1.0, 4.0}; /* cond_u / u tried */

/* A growable sample of doubles for percentiles. */
typedef struct sample {
    double *v;
    size_t n, cap;
} sample;

static void push(sample *s, double x) {
    if (isnan(x)) x = INFINITY; /* a NaN error sorts as the worst */
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->v = realloc(s->v, s->cap * sizeof(double));
        if (!s->v) abort();
    }
    s->v[s->n++] = x;
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(sample *s, double p) {
    if (!s->n) return NAN;
    qsort(s->v, s->n, sizeof(double), cmpd);
    size_t i = (size_t)(p / 100.0 * (double)(s->n - 1) + 0.5);
    return s->v[i];
}

/* Statistics per (precision, kernel, dist). */
typedef struct stats {
    sample err;        /* per case: max_r e_r */
    sample naive;      /* per row: finite naive errors n_r (before cap) */
    sample ratio;      /* per case: max_r e_r / n_r over rows with n_r > 0 */
    sample cratio;     /* per case: max_r e_r / (u kappa_r), u the precision's unit */
    sample need[NCS][NKS]; /* per case: max_r (e_r - k * y_r): the floor k needs, y_r with cond_u = c u */
    sample nmse;       /* per case */
    sample wratio;     /* per case: worst e_r / bound_r under the defaults */
    long cases, pass, fail_gate[FASV_GATE_COUNT], nonfinite_rows, rows, cond_rows;
} stats;

static stats S[2][NK][FASV_DIST_COUNT];

static void analyse(stats *st, const fasv_node *n, const fasv_oracle_result *res, const float *cand, const fasv_tol *tol) {
    int64_t dv = fasv_dv(n);
    double emax = 0.0, rmax = 0.0, cmax = 0.0, need[NCS][NKS];
    double u = n->prec == FASV_PREC_F32 ? 0x1p-24 : 0x1p-11;
    for (int c = 0; c < NCS; c++)
        for (int k = 0; k < NKS; k++) need[c][k] = -INFINITY;
    double *cd = malloc(sizeof(double) * (size_t)res->count);
    if (!cd) abort();
    for (int64_t x = 0; x < res->count; x++) cd[x] = cand[x];
    for (int64_t r = 0; r < res->rows; r++) {
        double W = res->row[r].scale, kap = res->row[r].cond, em = 0.0, nm = 0.0;
        int nf = 0;
        for (int64_t e = 0; e < dv; e++) {
            double a = res->ref[r * dv + e];
            double b = cd[r * dv + e];
            double nv = res->naive[r * dv + e];
            double de = fabs(b - a);
            if (!(de <= em)) em = de; /* NaN propagates */
            if (!isfinite(nv))
                nf = 1;
            else if (fabs(nv - a) > nm)
                nm = fabs(nv - a);
        }
        if (W <= 0.0) continue;
        em /= W;
        nm /= W;
        st->rows++;
        if (nf) st->nonfinite_rows++;
        if (!nf) push(&st->naive, nm);
        if (!(em <= emax)) emax = em;
        if (nm > 0.0 && !nf && em / nm > rmax) rmax = em / nm;
        if (kap > 0.0 && !(em / (u * kap) <= cmax)) cmax = em / (u * kap);
        for (int c = 0; c < NCS; c++) {
            double cu = k_cs[c] * u * kap;
            double cred = nm > cu ? nm : cu;
            if (nf || !(cred <= tol->cap)) cred = tol->cap;
            for (int k = 0; k < NKS; k++) {
                double q = em - k_ks[k] * cred;
                if (!(q <= need[c][k])) need[c][k] = q;
            }
        }
    }
    push(&st->err, emax);
    push(&st->ratio, rmax);
    push(&st->cratio, cmax);
    for (int c = 0; c < NCS; c++)
        for (int k = 0; k < NKS; k++) push(&st->need[c][k], need[c][k]);
    fasv_judgement v;
    fasv_compare(n, res->ref, res->row, res->naive, cd, tol, &v);
    st->cond_rows += v.cond_rows;
    push(&st->nmse, v.nmse);
    push(&st->wratio, v.worst_ratio);
    st->cases++;
    if (v.pass) st->pass++;
    for (int g = 1; g < FASV_GATE_COUNT; g++)
        if (v.failed & (1u << g)) st->fail_gate[g]++;
    free(cd);
}

int main(int argc, char **argv) {
    long cases = 1000;
    uint64_t seed = 1;
    int64_t max_work = (int64_t)1 << 21, max_bytes = (int64_t)4 << 20;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--cases") == 0)
            cases = strtol(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--max-work") == 0)
            max_work = strtoll(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--max-bytes") == 0)
            max_bytes = strtoll(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: calib_tolerance [--cases N] [--seed S] [--max-work W] [--max-bytes B]\n");
            return 2;
        }
    }
    fasv_oracle_opts oo = {0, 0};
    fasv_rng r;
    fasv_rng_seed(&r, seed);
    for (long ci = 0; ci < cases; ci++) {
        fasv_rand_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.max_bytes = max_bytes;
        ro.max_work = max_work;
        ro.tiny = ci % 4 == 3;
        fasv_case base;
        fasv_random_case(&r, &ro, &base);
        for (int dist = 0; dist < FASV_DIST_COUNT; dist++)
            for (int p = 0; p < 2; p++) {
                fasv_case c = base;
                c.dist = (fasv_dist)dist;
                c.node.prec = p ? FASV_PREC_F32 : FASV_PREC_DEFAULT;
                fasv_data d;
                char err[256];
                if (fasv_gen(&c, &d, 0, err, sizeof err) != 0) {
                    fprintf(stderr, "case %ld: %s\n", ci, err);
                    return 1;
                }
                fasv_oracle_result res;
                if (fasv_oracle_prepare(&c.node, &d, &oo, &res, err, sizeof err) != 0) {
                    fprintf(stderr, "case %ld: %s\n", ci, err);
                    return 1;
                }
                fasv_tol tol;
                fasv_tol_default(&tol, c.node.prec);
                float *out = malloc(sizeof(float) * (size_t)res.count);
                if (!out) return 1;
                for (int k = 0; k < NK; k++) {
                    if (fasv_oracle_flash(&c.node, &d, &k_cfg[k], &oo, out, err, sizeof err) != 0) {
                        fprintf(stderr, "case %ld: %s\n", ci, err);
                        return 1;
                    }
                    analyse(&S[p][k][dist], &c.node, &res, out, &tol);
                }
                free(out);
                fasv_oracle_result_free(&res);
                fasv_data_free(&d);
            }
    }

    printf("# calibration: %ld random cases x 3 dists x 2 precisions (seed %llu, max_work %lld, max_bytes %lld)\n\n",
           cases, (unsigned long long)seed, (long long)max_work, (long long)max_bytes);
    for (int p = 0; p < 2; p++) {
        fasv_tol tol;
        fasv_tol_default(&tol, p ? FASV_PREC_F32 : FASV_PREC_DEFAULT);
        printf("## prec %s (defaults: k %g, floor %.3g, cond_u %.3g, cap %.3g, nmse_eps %.3g)\n\n",
               p ? "f32" : "default", tol.k, tol.floor, tol.cond_u, tol.cap, tol.nmse_eps);
        printf("| kernel | dist | cases | pass | fail nan/inf/bound/nmse | naive n_r p50 / p99 / max | rows naive "
               "non-finite | rows raised by kappa | kernel max e_r p50 / p99 / max | max e_r/n_r p50 / p99 / max | "
               "max e_r/(u kappa) p50 / p99 / max | NMSE p99 / max | worst e_r/bound_r p50 / p99 / max |\n");
        printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (int k = 0; k < NK; k++)
            for (int dist = 0; dist < FASV_DIST_COUNT; dist++) {
                stats *st = &S[p][k][dist];
                printf("| %s | %s | %ld | %ld | %ld/%ld/%ld/%ld | %.2e / %.2e / %.2e | %ld of %ld | %ld | %.2e / %.2e / "
                       "%.2e | %.2g / %.2g / %.2g | %.2g / %.2g / %.2g | %.2e / %.2e | %.2g / %.2g / %.2g |\n",
                       k_kern[k], fasv_dist_name((fasv_dist)dist), st->cases, st->pass, st->fail_gate[1],
                       st->fail_gate[2], st->fail_gate[3], st->fail_gate[4], pct(&st->naive, 50), pct(&st->naive, 99),
                       pct(&st->naive, 100), st->nonfinite_rows, st->rows, st->cond_rows, pct(&st->err, 50),
                       pct(&st->err, 99), pct(&st->err, 100), pct(&st->ratio, 50), pct(&st->ratio, 99),
                       pct(&st->ratio, 100), pct(&st->cratio, 50), pct(&st->cratio, 99), pct(&st->cratio, 100),
                       pct(&st->nmse, 99), pct(&st->nmse, 100), pct(&st->wratio, 50), pct(&st->wratio, 99),
                       pct(&st->wratio, 100));
            }
        printf("\nfloor needed for every case to pass the row bound, at cond_u = c u and k, cap as default "
               "(units of W_r; max over cases, and the 99th percentile; negative: slack):\n\n| kernel | dist | c |");
        for (int k = 0; k < NKS; k++) printf(" k=%g |", k_ks[k]);
        printf("\n|---|---|---|");
        for (int k = 0; k < NKS; k++) printf("---|");
        printf("\n");
        for (int kk = 0; kk < NK; kk++)
            for (int dist = 0; dist < FASV_DIST_COUNT; dist++)
                for (int c = 0; c < NCS; c++) {
                    printf("| %s | %s | %g |", k_kern[kk], fasv_dist_name((fasv_dist)dist), k_cs[c]);
                    for (int k = 0; k < NKS; k++)
                        printf(" %.2e (%.1e) |", pct(&S[p][kk][dist].need[c][k], 100),
                               pct(&S[p][kk][dist].need[c][k], 99));
                    printf("\n");
                }
        printf("\n");
    }
    return 0;
}
