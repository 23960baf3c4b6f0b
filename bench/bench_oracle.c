/* bench_oracle.c — how fast is the reference, next to the single-loop version?
 *
 * Owns: the oracle's speed measurement. For a few shapes that fuzzing meets
 * (prefill with GQA, decode with a long cache, quantized K/V, MLA head sizes,
 * f32 K/V), it times in one run: the single-loop reference
 * (fasv_oracle_ref_simple, 1 thread), the fast reference on 1 thread and on
 * every online CPU, and the naive low-precision reference the judge also runs.
 * FLOP convention: 2 * n_q * n_kv * (Dk + Dv) per (head, sequence).
 * Prints a Markdown table; bench/results/oracle-<date>.md records it.
 * usage: bench_oracle [--quick] [--threads N]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fasv/build.h"
#include "fasv/oracle.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct shape {
    const char *name;
    int64_t hsk, hsv, nh, gqa, kv, nb;
    fasv_type tk, tv;
    int mask, v_view;
} shape;

static const shape k_shapes[] = {
    {"prefill f16 D128 gqa4", 128, 128, 4, 4, 1024, 64, FASV_TYPE_F16, FASV_TYPE_F16, 1, 0},
    {"decode f16 D128 gqa4", 128, 128, 8, 4, 8192, 1, FASV_TYPE_F16, FASV_TYPE_F16, 1, 0},
    {"decode f16 D128 1 head", 128, 128, 1, 1, 32768, 1, FASV_TYPE_F16, FASV_TYPE_F16, 0, 0},
    {"prefill q8_0 D128 gqa4", 128, 128, 4, 4, 1024, 64, FASV_TYPE_Q8_0, FASV_TYPE_Q8_0, 1, 0},
    {"prefill q4_0 D128 gqa4", 128, 128, 4, 4, 1024, 64, FASV_TYPE_Q4_0, FASV_TYPE_Q4_0, 1, 0},
    {"MLA f16 576/512 gqa16", 576, 512, 1, 16, 1024, 8, FASV_TYPE_F16, FASV_TYPE_F16, 1, 1},
    {"prefill f32 D64", 64, 64, 4, 1, 1024, 64, FASV_TYPE_F32, FASV_TYPE_F32, 1, 0},
    {"tiny D16 n_kv 40", 16, 16, 2, 2, 40, 4, FASV_TYPE_F16, FASV_TYPE_F16, 1, 0},
};

/* Best time of calls of fn until min_s has passed (at least one call). */
typedef int (*bench_fn)(const fasv_case *c, const fasv_data *d, void *out, int threads);

static int f_simple(const fasv_case *c, const fasv_data *d, void *out, int threads) {
    (void)threads;
    char err[256];
    return fasv_oracle_ref_simple(&c->node, d, (double *)out, NULL, err, sizeof err);
}
static int f_ref(const fasv_case *c, const fasv_data *d, void *out, int threads) {
    fasv_oracle_opts o = {threads, 0};
    char err[256];
    return fasv_oracle_ref(&c->node, d, &o, (double *)out, NULL, err, sizeof err);
}
static int f_naive(const fasv_case *c, const fasv_data *d, void *out, int threads) {
    fasv_oracle_opts o = {threads, 0};
    char err[256];
    return fasv_oracle_naive(&c->node, d, &o, (float *)out, err, sizeof err);
}

static double best_time(bench_fn fn, const fasv_case *c, const fasv_data *d, void *out, int threads, double min_s) {
    double best = 1e30, start = now();
    int calls = 0;
    do {
        double t0 = now();
        if (fn(c, d, out, threads) != 0) return -1.0;
        double t = now() - t0;
        if (t < best) best = t;
        calls++;
    } while (now() - start < min_s || calls < 2);
    return best;
}

int main(int argc, char **argv) {
    int quick = 0;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_oracle [--quick] [--threads N]\n");
            return 2;
        }
    }
    if (threads < 1) threads = 1;
    double min_s = quick ? 0.05 : 0.5;
    printf("| shape | GFLOP | single-loop GFLOP/s | ref 1 thread GFLOP/s | ratio | ref %ld threads GFLOP/s | ratio | "
           "naive %ld threads GFLOP/s | max |ref-simple|/W |\n",
           threads, threads);
    printf("|---|---|---|---|---|---|---|---|---|\n");
    for (size_t s = 0; s < sizeof k_shapes / sizeof k_shapes[0]; s++) {
        const shape *sh = &k_shapes[s];
        fasv_build b;
        fasv_build_defaults(&b);
        b.hsk = sh->hsk;
        b.hsv = sh->hsv;
        b.nh = sh->nh;
        b.gqa = sh->gqa;
        b.kv = quick ? (sh->kv + 7) / 8 : sh->kv;
        b.nb = sh->nb;
        b.type_k = sh->tk;
        b.type_v = sh->tv;
        b.mask = sh->mask;
        b.v_view_of_k = sh->v_view;
        b.seed = 7;
        fasv_case c;
        char err[256];
        if (fasv_build_case(&b, &c, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", sh->name, err);
            return 1;
        }
        fasv_data d;
        if (fasv_gen(&c, &d, 0, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", sh->name, err);
            return 1;
        }
        const fasv_node *n = &c.node;
        int64_t cnt = fasv_out_count(n), rows = fasv_oracle_rows(n);
        double flop = 2.0 * (double)fasv_nq(n) * (double)fasv_nkv(n) * (double)(fasv_dk(n) + fasv_dv(n)) *
                      (double)fasv_nhead(n) * (double)fasv_nseq(n);
        double *o1 = malloc(sizeof(double) * (size_t)cnt), *o2 = malloc(sizeof(double) * (size_t)cnt);
        fasv_row_stat *sc = malloc(sizeof(fasv_row_stat) * (size_t)rows);
        float *o3 = malloc(sizeof(float) * (size_t)cnt);
        if (!o1 || !o2 || !sc || !o3) return 1;
        double t_simple = best_time(f_simple, &c, &d, o1, 1, min_s);
        double t_ref1 = best_time(f_ref, &c, &d, o2, 1, min_s);
        double t_refn = best_time(f_ref, &c, &d, o2, (int)threads, min_s);
        double t_naive = best_time(f_naive, &c, &d, o3, (int)threads, min_s);
        fasv_oracle_opts o = {(int)threads, 0};
        fasv_oracle_ref(n, &d, &o, o2, sc, err, sizeof err);
        double dmax = 0.0;
        for (int64_t r = 0; r < rows; r++)
            for (int64_t e = 0; e < fasv_dv(n); e++) {
                double x = fabs(o1[r * fasv_dv(n) + e] - o2[r * fasv_dv(n) + e]) / (sc[r].scale > 0 ? sc[r].scale : 1.0);
                if (x > dmax) dmax = x;
            }
        double g = flop * 1e-9;
        printf("| %s | %.3f | %.2f | %.2f | %.1fx | %.2f | %.1fx | %.2f | %.1e |\n", sh->name, g, g / t_simple,
               g / t_ref1, t_simple / t_ref1, g / t_refn, t_simple / t_refn, g / t_naive, dmax);
        fflush(stdout);
        free(o1);
        free(o2);
        free(o3);
        free(sc);
        fasv_data_free(&d);
    }
    return 0;
}
