/* bench/gpu_perf.c — kernel throughput of every family on the standard
 * decode and prefill shapes, for bench/gpu-perf (which puts PyTorch's SDPA
 * beside it, same card, same run).
 *
 * Owns: the shape list, the measured device-to-device copy bandwidth of the
 * card, and the timing of each family on each shape: the planner's route
 * for the GPU's modeled device, plus the families it did not choose where
 * they can run the shape (decode: VEC unsplit beside the SPLIT route;
 * prefill: TILE beside MMA), forced by planning for the same device with the
 * chosen family's bit cleared (decode: also the split with the VEC body,
 * MMA's bit cleared). Timing: fasv_gpu_time — launches back to back
 * behind a spin kernel, device events between them, warm-up launches, the
 * median of many; inputs rotate over enough copies (each in its own buffer)
 * that the sets together are several times the L2 cache, so no launch finds
 * its K/V in cache.
 * Figures: TFLOP/s counts 4 * n_q * n_kv * D * n_head (FlashAttention's
 * count, no causal discount); GB/s counts the bytes a launch must move at
 * least (K and V read once, Q read and O written once); "copy" is the median
 * of cudaMemcpyAsync device-to-device copies of 1 GiB, counting bytes read
 * plus bytes written, like the kernels' GB/s.
 * Decode shapes also get a floor: "read", a bare streaming read of their K
 * and V bytes in the same harness (what a memory-bound kernel of those bytes
 * could reach there, launch and ramp included); and with --splits, the
 * planner's split route again with each listed split count ("s=N", the same
 * kernel: how the fill the planner picks compares with the others).
 * Output: a table on stdout, one JSON object per measurement on --json.
 * Usage: gpu_perf [--gpu N] [--json FILE] [--only decode|prefill] [--shape NAME]
 *        [--reps N] [--quick] [--splits N,N,...]
 *        (--quick: n_kv 4k and 32k only, fewer repetitions; --shape: one
 *        shape, e.g. under a profiler)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/build.h"
#include "fasv/gen.h"
#include "fasv/gpu.h"
#include "fasv/props.h"
#include "fasv/target.h"
#include "kernels/split.h"

#define L2_ROTATE ((int64_t)256 << 20) /* rotate sets until they span 256 MiB (L2: 50-60 MB) */
#define MAX_SETS 16

typedef struct shape {
    char name[64];
    int decode;
    int64_t d, nh, gqa, nq, nkv;
    fasv_type t;
} shape;

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static FILE *g_json;
static double g_copy_gbs;

/* The bytes a launch of shape sh must move at least: K and V read once, Q
 * read and O written once. */
static double shape_bytes(const shape *sh) {
    const double kv_heads = (double)(sh->nh / sh->gqa);
    return 2.0 * (double)sh->nkv * kv_heads * (double)sh->d * (double)fasv_type_get(sh->t)->block_bytes /
               (double)fasv_type_get(sh->t)->block +
           2.0 * (double)sh->nq * (double)sh->nh * (double)sh->d * 4.0;
}

/* One row of the table (and one JSON object) from reps device times. */
static void report(const shape *sh, const char *variant, const char *family, const char *key, int n_split, double *ms,
                   int reps, int nsets, double bytes) {
    double lo = ms[0];
    for (int i = 1; i < reps; i++) lo = ms[i] < lo ? ms[i] : lo;
    const double med = median(ms, reps);
    const double flop = 4.0 * (double)sh->nq * (double)sh->nkv * (double)sh->d * (double)sh->nh;
    const double tfs = flop / (med * 1e-3) / 1e12, gbs = bytes / (med * 1e-3) / 1e9;
    printf("%-28s %-7s %-6s %-28s %5d %9.4f %9.4f %8.1f %8.1f %6.1f%%\n", sh->name, variant, family, key, n_split, med,
           lo, tfs, gbs, 100.0 * gbs / g_copy_gbs);
    if (g_json)
        fprintf(g_json,
                "{\"kind\":\"fasv\",\"name\":\"%s\",\"variant\":\"%s\",\"decode\":%d,\"d\":%lld,\"heads\":%lld,"
                "\"kv_heads\":%lld,\"nq\":%lld,\"nkv\":%lld,\"type\":\"%s\",\"family\":\"%s\",\"instance\":\"%s\","
                "\"n_split\":%d,\"ms\":%.6f,\"ms_min\":%.6f,\"reps\":%d,\"sets\":%d,\"flop\":%.6e,\"bytes\":%.6e}\n",
                sh->name, variant, sh->decode, (long long)sh->d, (long long)sh->nh, (long long)(sh->nh / sh->gqa),
                (long long)sh->nq, (long long)sh->nkv, fasv_type_name(sh->t), family, key, n_split, med, lo, reps, nsets,
                flop, bytes);
}

/* The floor: a bare streaming read of the shape's K and V bytes, rotating
 * like the kernels' inputs, timed the same way (variant "read"). */
static int time_read(fasv_gpu *g, const shape *sh, int warmup, int reps) {
    char err[512];
    const double kvb = shape_bytes(sh) - 2.0 * (double)sh->nq * (double)sh->nh * (double)sh->d * 4.0;
    const int64_t bytes = ((int64_t)kvb + 15) / 16 * 16;
    int nrot = (int)((L2_ROTATE + bytes - 1) / bytes);
    if (nrot < 2) nrot = 2;
    if (nrot > MAX_SETS) nrot = MAX_SETS;
    fasv_gpu_buf *src = NULL, *sink = NULL;
    double *ms = calloc((size_t)reps, sizeof(double));
    int ok = ms && fasv_gpu_alloc(g, bytes * nrot, &src, err, sizeof err) == FASV_GPU_OK &&
             fasv_gpu_alloc(g, 16, &sink, err, sizeof err) == FASV_GPU_OK &&
             fasv_gpu_time_read(g, src, bytes, nrot, sink, warmup, reps, ms, err, sizeof err) == FASV_GPU_OK;
    if (!ok)
        printf("%-28s %-7s error: %s\n", sh->name, "read", ms ? err : "out of memory");
    else
        report(sh, "read", "-", "stream-read-KV", 0, ms, reps, nrot, (double)bytes);
    fflush(stdout);
    free(ms);
    fasv_gpu_free(g, src);
    fasv_gpu_free(g, sink);
    return ok ? 0 : 1;
}

/* Time route r on node n (data d) with nsets rotating copies of every buffer. */
static int time_route(fasv_gpu *g, const shape *sh, const char *variant, const fasv_node *n, const fasv_data *d,
                      const fasv_route *r, int warmup, int reps) {
    char err[512];
    int64_t set_bytes = 0;
    for (int i = 0; i < FASV_NT; i++) set_bytes += d->buf[i] ? d->bytes[i] : 0;
    set_bytes += fasv_out_count(n) * 4;
    int nsets = (int)((L2_ROTATE + set_bytes - 1) / set_bytes);
    if (nsets < 2) nsets = 2;
    if (nsets > MAX_SETS) nsets = MAX_SETS;
    fasv_gpu_buf *buf[MAX_SETS][FASV_NT], *out[MAX_SETS], *scr = NULL;
    fasv_gpu_launch l[MAX_SETS];
    memset(buf, 0, sizeof buf);
    memset(out, 0, sizeof out);
    int ok = 1;
    for (int k = 0; k < nsets && ok; k++) {
        memset(&l[k], 0, sizeof l[k]);
        for (int i = 0; i < FASV_NT && ok; i++) {
            if (!d->buf[i]) continue;
            ok = fasv_gpu_alloc(g, d->bytes[i], &buf[k][i], err, sizeof err) == FASV_GPU_OK &&
                 fasv_gpu_upload(g, buf[k][i], d->buf[i], d->bytes[i], err, sizeof err) == FASV_GPU_OK;
            l[k].buf[i] = buf[k][i];
        }
        if (ok) ok = fasv_gpu_alloc(g, fasv_out_count(n) * 4, &out[k], err, sizeof err) == FASV_GPU_OK;
        l[k].node = n;
        l[k].route = r;
        l[k].out = out[k];
        l[k].timeout_s = 120;
    }
    if (ok && r->scratch_bytes > 0) ok = fasv_gpu_alloc(g, r->scratch_bytes, &scr, err, sizeof err) == FASV_GPU_OK;
    for (int k = 0; k < nsets; k++) l[k].scratch = scr;
    double *ms = calloc((size_t)reps, sizeof(double));
    const char *tf = getenv("FASV_GPU_TRACE"); /* label the trace record the launch appends */
    FILE *tr = ok && tf && *tf ? fopen(tf, "a") : NULL;
    if (tr) fprintf(tr, "# shape %s %s\n", sh->name, variant), fclose(tr);
    if (ok) ok = fasv_gpu_time(g, l, nsets, warmup, reps, ms, err, sizeof err) == FASV_GPU_OK;
    if (!ok)
        printf("%-28s %-7s error: %s\n", sh->name, variant, err);
    else
        report(sh, variant, fasv_family_name(r->family), r->key, r->n_split, ms, reps, nsets, shape_bytes(sh));
    fflush(stdout);
    free(ms);
    for (int k = 0; k < nsets; k++) {
        for (int i = 0; i < FASV_NT; i++) fasv_gpu_free(g, buf[k][i]);
        fasv_gpu_free(g, out[k]);
    }
    fasv_gpu_free(g, scr);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    int gpu = 0, quick = 0, reps_arg = 0;
    const char *json = NULL, *only = NULL, *pick = NULL, *splits = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--gpu") && i + 1 < argc) gpu = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json") && i + 1 < argc) json = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps_arg = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--shape") && i + 1 < argc) pick = argv[++i];
        else if (!strcmp(argv[i], "--splits") && i + 1 < argc) splits = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: gpu_perf [--gpu N] [--json FILE] [--only decode|prefill] [--shape NAME] [--reps N] [--quick] "
                   "[--splits N,N,...]\n"
                   "  every family on the standard decode/prefill shapes, the card's copy bandwidth and, per decode\n"
                   "  shape, the 'read' floor; --splits: the split route again with those split counts\n");
            return 0;
        } else {
            fprintf(stderr, "usage: gpu_perf [--gpu N] [--json FILE] [--only decode|prefill] [--shape NAME] [--reps N] "
                            "[--quick] [--splits N,N,...]\n");
            return 2;
        }
    }
    char err[512];
    fasv_gpu *g;
    if (fasv_gpu_open(gpu, &g, err, sizeof err) != FASV_GPU_OK) {
        fprintf(stderr, "gpu_perf: %s\n", err);
        return 2;
    }
    const fasv_gpu_info *info = fasv_gpu_get_info(g);
    const fasv_device *dev = fasv_device_find(info->model);
    if (!dev) {
        fprintf(stderr, "gpu_perf: %s maps to no modeled device\n", info->arch);
        return 2;
    }
    g_json = json ? fopen(json, "w") : NULL;

    /* the card's copy bandwidth: 1 GiB device to device, read + write */
    {
        const int64_t cb = (int64_t)1 << 30;
        fasv_gpu_buf *a = NULL, *b = NULL;
        double ms[20];
        if (fasv_gpu_alloc(g, cb, &a, err, sizeof err) || fasv_gpu_alloc(g, cb, &b, err, sizeof err) ||
            fasv_gpu_fill32(g, a, 0x3c003c00u, err, sizeof err) ||
            fasv_gpu_time_copy(g, b, a, cb, 3, 20, ms, err, sizeof err)) {
            fprintf(stderr, "gpu_perf: copy: %s\n", err);
            return 1;
        }
        g_copy_gbs = 2.0 * (double)cb / (median(ms, 20) * 1e-3) / 1e9;
        fasv_gpu_free(g, a);
        fasv_gpu_free(g, b);
    }
    /* the harness's own floor: the read kernel's grid over no bytes, timed
     * like every launch (between two events, queued behind the spin) */
    double floor_us = -1.0;
    {
        fasv_gpu_buf *src = NULL, *sink = NULL;
        double ms[60];
        if (fasv_gpu_alloc(g, 16, &src, err, sizeof err) == FASV_GPU_OK &&
            fasv_gpu_alloc(g, 16, &sink, err, sizeof err) == FASV_GPU_OK &&
            fasv_gpu_time_read(g, src, 0, 1, sink, 10, 60, ms, err, sizeof err) == FASV_GPU_OK)
            floor_us = median(ms, 60) * 1e3;
        fasv_gpu_free(g, src);
        fasv_gpu_free(g, sink);
    }
    printf("# %s (%s, modeled as %s, %d SMs); device-to-device copy %.0f GB/s (read + write, 1 GiB, median of 20); "
           "an empty launch %.1f us\n",
           info->name, info->arch, dev->name, info->n_sm, g_copy_gbs, floor_us);
    if (g_json)
        fprintf(g_json, "{\"kind\":\"copy\",\"card\":\"%s\",\"arch\":\"%s\",\"sms\":%d,\"copy_gbs\":%.3f,\"empty_launch_us\":%.3f}\n",
                info->name, info->arch, info->n_sm, g_copy_gbs, floor_us);
    printf("%-28s %-7s %-6s %-28s %5s %9s %9s %8s %8s %7s\n", "shape", "variant", "family", "instance", "split",
           "ms(med)", "ms(min)", "TFLOP/s", "GB/s", "%copy");

    shape shapes[64];
    int ns = 0;
    static const int64_t kvs[] = {4096, 8192, 16384, 32768};
    if (!only || !strcmp(only, "decode"))
        for (int di = 0; di < 2; di++)
            for (int gi = 0; gi < 2; gi++)
                for (int ki = 0; ki < 4; ki++) {
                    if (quick && (ki == 1 || ki == 2)) continue;
                    shape *s = &shapes[ns++];
                    memset(s, 0, sizeof *s);
                    s->decode = 1;
                    s->d = di ? 256 : 128;
                    s->gqa = gi ? 8 : 4;
                    s->nh = 32;
                    s->nq = 1;
                    s->nkv = kvs[ki];
                    s->t = FASV_TYPE_F16;
                    snprintf(s->name, sizeof s->name, "decode-d%lld-gqa%lld-kv%lldk", (long long)s->d,
                             (long long)s->gqa, (long long)(s->nkv / 1024));
                }
    if (!only || !strcmp(only, "prefill"))
        for (int di = 0; di < 3; di++) {
            shape *s = &shapes[ns++];
            memset(s, 0, sizeof *s);
            s->d = 64 << di;
            s->gqa = 1;
            s->nh = 32;
            s->nq = s->nkv = 4096;
            s->t = FASV_TYPE_F16;
            snprintf(s->name, sizeof s->name, "prefill-d%lld-4k", (long long)s->d);
        }

    const fasv_target *t = fasv_builtin_target();
    int bad = 0;
    for (int si = 0; si < ns; si++) {
        const shape *sh = &shapes[si];
        if (pick && strcmp(pick, sh->name) != 0) continue;
        fasv_build b;
        fasv_build_defaults(&b);
        b.hsk = b.hsv = sh->d;
        b.nh = sh->nh / sh->gqa;
        b.gqa = sh->gqa;
        b.nb = sh->nq;
        b.kv = sh->nkv;
        b.type_k = b.type_v = sh->t;
        b.seed = 11;
        fasv_case c;
        if (fasv_build_case(&b, &c, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", sh->name, err);
            return 1;
        }
        const fasv_node *n = &c.node;
        fasv_data d;
        if (fasv_gen(&c, &d, (int64_t)8 << 30, err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", sh->name, err);
            return 1;
        }
        /* the planner's route, then what it passed over, forced by clearing
         * family bits of the same device: decode "vecbody" (no MMA: the
         * split with the VEC body) and "alt" (no MMA, no SPLIT: VEC
         * unsplit); prefill "alt" (no MMA: TILE). A variant whose route
         * repeats the previous one is not timed again. */
        fasv_device devs[3] = {*dev, *dev, *dev};
        const char *names[3] = {"route", sh->decode ? "vecbody" : "alt", "alt"};
        devs[1].families &= ~FASV_FAMBIT_MMA;
        devs[2].families &= ~(FASV_FAMBIT_MMA | FASV_FAMBIT_SPLIT);
        char prev[FASV_KEY_LEN] = "";
        for (int v = 0; v < (sh->decode ? 3 : 2); v++) {
            fasv_finding f;
            memset(&f, 0, sizeof f);
            if (fasv_check_route(t, &devs[v], n, &f) != FASV_CLEAN) {
                printf("%-28s no clean route on %s: %s\n", sh->name, devs[v].name, f.detail);
                bad = 1;
                break;
            }
            if (!strcmp(f.route.key, prev)) continue;
            snprintf(prev, sizeof prev, "%s", f.route.key);
            int slow = f.route.family == FASV_FAM_TILE && !sh->decode;
            int warm = slow ? 1 : sh->decode ? 20 : 5, reps = slow ? 3 : sh->decode ? (quick ? 60 : 200) : (quick ? 10 : 30);
            if (reps_arg > 0 && !slow) reps = reps_arg;
            bad |= time_route(g, sh, names[v], n, &d, &f.route, warm, reps);
            /* the same split route with other split counts */
            for (const char *sp = splits; v == 0 && f.route.family == FASV_FAM_SPLIT && sp && *sp;) {
                char *end;
                const long k = strtol(sp, &end, 10);
                sp = *end == ',' ? end + 1 : end;
                if (end == sp && *end) break;
                if (k < 2 || k > FASV_SPLIT_MAX || k == f.route.n_split || k * f.route.kv_tile > sh->nkv) continue;
                fasv_route rk = f.route;
                rk.n_split = (int)k;
                rk.scratch_bytes = fasv_split_scratch(n, (int)k);
                char name[16];
                snprintf(name, sizeof name, "s=%ld", k);
                bad |= time_route(g, sh, name, n, &d, &rk, warm, reps);
            }
        }
        if (sh->decode) bad |= time_read(g, sh, 20, quick ? 60 : 200);
        fasv_data_free(&d);
    }
    if (g_json) fclose(g_json);
    fasv_gpu_close(g);
    return bad;
}
