/* bench_gen.c — how fast is the data generator, on one thread and on all?
 *
 * Owns: the generator's speed measurement. For the long-KV decode shapes the
 * GPU fuzzer's --focus decode meets (where generating K and V dominates a
 * worker's time) and one prefill shape, it times fasv_gen in one run with
 * FASV_GEN_THREADS=1 and with every online CPU (or --threads N), best of 3,
 * checks the two gave the same bytes, and prints a Markdown table with the
 * ratio; bench/results/gen-<date>.md records it.
 * usage: bench_gen [--threads N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fasv/build.h"
#include "fasv/gen.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* best of 3 of fasv_gen with `threads`; the last run's data stays in *d */
static double time_gen(const fasv_case *c, const char *threads, fasv_data *d) {
    setenv("FASV_GEN_THREADS", threads, 1);
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        char err[256];
        double t0 = now();
        if (fasv_gen(c, d, 0, err, sizeof err) != 0) {
            fprintf(stderr, "bench_gen: %s\n", err);
            exit(1);
        }
        double t = now() - t0;
        best = t < best ? t : best;
        if (rep < 2) fasv_data_free(d);
    }
    return best;
}

int main(int argc, char **argv) {
    long nt = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) nt = strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_gen [--threads N]\n");
            return 2;
        }
    }
    char many[16];
    snprintf(many, sizeof many, "%ld", nt);
    static const struct {
        const char *name;
        int64_t d, nh, gqa, kv, nb;
        fasv_type t;
        fasv_dist dist;
    } shapes[] = {
        {"decode D128 8x4 heads, 32k, f16", 128, 8, 4, 32768, 1, FASV_TYPE_F16, FASV_DIST_UNIFORM},
        {"decode D256 4x8 heads, 16k, bf16, normal", 256, 4, 8, 16384, 1, FASV_TYPE_BF16, FASV_DIST_NORMAL},
        {"decode D128 8x4 heads, 16k, q8_0, adversarial", 128, 8, 4, 16384, 1, FASV_TYPE_Q8_0, FASV_DIST_ADVERSARIAL},
        {"prefill D128 32 heads, 2k x 2k, f16", 128, 32, 1, 2048, 2048, FASV_TYPE_F16, FASV_DIST_UNIFORM},
    };
    printf("| shape | MB | 1 thread s | %s threads s | MB/s (%s) | ratio | same bytes |\n", many, many);
    printf("|---|---|---|---|---|---|---|\n");
    int bad = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        fasv_build b;
        fasv_build_defaults(&b);
        b.hsk = b.hsv = shapes[s].d;
        b.nh = shapes[s].nh, b.gqa = shapes[s].gqa, b.kv = shapes[s].kv, b.nb = shapes[s].nb;
        b.type_k = b.type_v = shapes[s].t;
        b.mask = true;
        b.dist = shapes[s].dist;
        b.seed = 3;
        fasv_case c;
        char err[256];
        if (fasv_build_case(&b, &c, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", shapes[s].name, err);
            return 1;
        }
        fasv_data one, all;
        double t1 = time_gen(&c, "1", &one), tn = time_gen(&c, many, &all);
        int64_t bytes = 0;
        int same = 1;
        for (int i = 0; i < FASV_NT; i++) {
            bytes += one.buf[i] ? one.bytes[i] : 0;
            if (one.bytes[i] != all.bytes[i] || (one.buf[i] && memcmp(one.buf[i], all.buf[i], (size_t)one.bytes[i])))
                same = 0;
        }
        bad |= !same;
        printf("| %s | %.1f | %.3f | %.3f | %.0f | %.2f | %s |\n", shapes[s].name, bytes / 1e6, t1, tn,
               bytes / 1e6 / tn, t1 / tn, same ? "yes" : "NO");
        fasv_data_free(&one);
        fasv_data_free(&all);
    }
    return bad;
}
