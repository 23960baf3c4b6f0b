/* bench/gpu_bench.c — throughput of the built-in kernels on a real GPU.
 *
 * For a few standard shapes (decode, batched decode, prefill, long-context
 * decode; f16 and q8_0 K/V) it plans each case for the GPU's modeled device,
 * generates the data, and times the route's launch (kernel plus split
 * combine) with device events: 3 warm-ups, then the median of N launches.
 * Prints one line per shape: family, instance, ms, TFLOP/s (4 * n_q * n_kv *
 * D * n_head * n_seq counted as in FlashAttention), GB/s (Q, K, V, mask and
 * output bytes touched once), and a JSON line per shape on --json for
 * bench/gpu_sdpa.py, which times PyTorch's scaled_dot_product_attention on
 * the same shapes in the same run.
 * Usage: gpu_bench [--gpu N] [--iters N] [--json FILE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/build.h"
#include "fasv/gen.h"
#include "fasv/gpu.h"
#include "fasv/props.h"
#include "fasv/target.h"

typedef struct shape {
    const char *name;
    int64_t d, nh, gqa, nseq, nq, nkv;
    fasv_type t;
    int mask;
} shape;

static const shape k_shapes[] = {
    {"decode-1x32h-kv32k-f16", 128, 8, 4, 1, 1, 32768, FASV_TYPE_F16, 0},
    {"decode-1x32h-kv32k-q8_0", 128, 8, 4, 1, 1, 32768, FASV_TYPE_Q8_0, 0},
    {"batch-decode-128x32h-kv1k-f16", 128, 8, 4, 128, 1, 1024, FASV_TYPE_F16, 0},
    {"batch-decode-128x32h-kv1k-q8_0", 128, 8, 4, 128, 1, 1024, FASV_TYPE_Q8_0, 0},
    {"prefill-1k-32h-f16", 128, 8, 4, 1, 1024, 1024, FASV_TYPE_F16, 0},
    {"prefill-1k-32h-f16-mask", 128, 8, 4, 1, 1024, 1024, FASV_TYPE_F16, 1},
    {"prefill-2k-16h-d64-f16", 64, 16, 1, 1, 2048, 2048, FASV_TYPE_F16, 0},
    {"prefill-512-16h-d256-f16", 256, 8, 2, 1, 512, 2048, FASV_TYPE_F16, 0},
};

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int gpu = 0, iters = 20;
    const char *json = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--gpu") && i + 1 < argc) gpu = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json") && i + 1 < argc) json = argv[++i];
        else {
            fprintf(stderr, "usage: gpu_bench [--gpu N] [--iters N] [--json FILE]\n");
            return 2;
        }
    }
    char err[512];
    fasv_gpu *g;
    if (fasv_gpu_open(gpu, &g, err, sizeof err) != FASV_GPU_OK) {
        fprintf(stderr, "gpu_bench: %s\n", err);
        return 2;
    }
    const fasv_gpu_info *info = fasv_gpu_get_info(g);
    const fasv_device *dev = fasv_device_find(info->model);
    if (!dev) {
        fprintf(stderr, "gpu_bench: %s maps to no modeled device\n", info->arch);
        return 2;
    }
    FILE *jf = json ? fopen(json, "w") : NULL;
    printf("# %s (%s, modeled as %s), %d timed launches per shape (median)\n", info->name, info->arch, dev->name, iters);
    printf("%-32s %-6s %-26s %9s %9s %9s\n", "shape", "family", "instance", "ms", "TFLOP/s", "GB/s");
    const fasv_target *t = fasv_builtin_target();
    for (size_t si = 0; si < sizeof k_shapes / sizeof k_shapes[0]; si++) {
        const shape *sh = &k_shapes[si];
        fasv_build b;
        fasv_build_defaults(&b);
        b.hsk = b.hsv = sh->d;
        b.nh = sh->nh;
        b.gqa = sh->gqa;
        b.nr3 = sh->nseq;
        b.nb = sh->nq;
        b.kv = sh->nkv;
        b.type_k = b.type_v = sh->t;
        b.mask = sh->mask;
        b.seed = 7;
        fasv_case c;
        if (fasv_build_case(&b, &c, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", sh->name, err);
            continue;
        }
        const fasv_node *n = &c.node;
        fasv_finding f;
        memset(&f, 0, sizeof f);
        if (fasv_check_route(t, dev, n, &f) != FASV_CLEAN) {
            printf("%-32s no clean route: %s\n", sh->name, f.detail);
            continue;
        }
        fasv_data d;
        if (fasv_gen(&c, &d, (int64_t)8 << 30, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", sh->name, err);
            continue;
        }
        fasv_gpu_buf *buf[FASV_NT] = {0}, *out = NULL, *scr = NULL;
        int ok = 1;
        int64_t bytes = 0;
        for (int i = 0; i < FASV_NT && ok; i++) {
            if (!d.buf[i]) continue;
            bytes += d.bytes[i];
            ok = fasv_gpu_alloc(g, d.bytes[i], &buf[i], err, sizeof err) == FASV_GPU_OK &&
                 fasv_gpu_upload(g, buf[i], d.buf[i], d.bytes[i], err, sizeof err) == FASV_GPU_OK;
        }
        int64_t count = fasv_out_count(n);
        bytes += count * 4;
        if (ok) ok = fasv_gpu_alloc(g, count * 4, &out, err, sizeof err) == FASV_GPU_OK;
        if (ok && f.route.scratch_bytes > 0) ok = fasv_gpu_alloc(g, f.route.scratch_bytes, &scr, err, sizeof err) == FASV_GPU_OK;
        double *ms = calloc((size_t)iters, sizeof(double));
        fasv_gpu_launch l;
        memset(&l, 0, sizeof l);
        l.node = n;
        l.route = &f.route;
        for (int i = 0; i < FASV_NT; i++) l.buf[i] = buf[i];
        l.out = out;
        l.scratch = scr;
        l.timeout_s = 60;
        for (int it = -3; it < iters && ok; it++) {
            double x = 0;
            ok = fasv_gpu_run(g, &l, &x, err, sizeof err) == FASV_GPU_OK;
            if (it >= 0) ms[it] = x;
        }
        if (!ok) {
            printf("%-32s error: %s\n", sh->name, err);
        } else {
            qsort(ms, (size_t)iters, sizeof(double), cmp_d);
            double med = ms[iters / 2];
            double flop = 2.0 * (double)sh->nq * (double)sh->nkv * (double)(2 * sh->d) * (double)(sh->nh * sh->gqa) *
                          (double)sh->nseq;
            printf("%-32s %-6s %-26s %9.4f %9.2f %9.1f\n", sh->name, fasv_family_name(f.route.family), f.route.key, med,
                   flop / (med * 1e-3) / 1e12, (double)bytes / (med * 1e-3) / 1e9);
            if (jf)
                fprintf(jf,
                        "{\"name\":\"%s\",\"d\":%lld,\"heads\":%lld,\"kv_heads\":%lld,\"batch\":%lld,\"nq\":%lld,"
                        "\"nkv\":%lld,\"type\":\"%s\",\"mask\":%d,\"family\":\"%s\",\"instance\":\"%s\",\"ms\":%.6f,"
                        "\"flop\":%.6e,\"bytes\":%lld}\n",
                        sh->name, (long long)sh->d, (long long)(sh->nh * sh->gqa), (long long)sh->nh,
                        (long long)sh->nseq, (long long)sh->nq, (long long)sh->nkv, fasv_type_name(sh->t), sh->mask,
                        fasv_family_name(f.route.family), f.route.key, med, flop, (long long)bytes);
        }
        fflush(stdout);
        free(ms);
        for (int i = 0; i < FASV_NT; i++) fasv_gpu_free(g, buf[i]);
        fasv_gpu_free(g, out);
        fasv_gpu_free(g, scr);
        fasv_data_free(&d);
    }
    if (jf) fclose(jf);
    fasv_gpu_close(g);
    return 0;
}
