/* kernels/gpu/gpu_fake.c — a test double of fasv/gpu.h on the CPU.
 *
 * Owns: a "device" whose buffers are host memory with the same guard bytes,
 * and whose launch computes the output with the oracle's kernel-like f32
 * reference (fasv_oracle_flash), plus misbehaviours chosen by the test
 * through fasv_gpu_fake_set(): a launch that crashes the process, hangs,
 * faults (device lost), writes past the output, leaves an element
 * unwritten, returns wrong numbers, or differs between launches. Each
 * misbehaviour strikes a fixed share of nodes, chosen by a hash of the node,
 * so a case misbehaves the same way every time; nodes whose n_kv is a
 * multiple of 256 never misbehave (the fuzz loop's health probe is one).
 * Linked only into tests (library fasv_gpucheck_fake): the real launcher is
 * kernels/gpu/launch.hip.
 * Must not know: planners, kernels.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fasv/gpu.h"
#include "fasv/oracle.h"
#include "gpu/gpu_fake.h"

#define GUARD_BYTE 0xA5

struct fasv_gpu {
    fasv_gpu_info info;
    int runs;
};
struct fasv_gpu_buf {
    uint8_t *base;
    int64_t bytes;
};

static fasv_gpu_fake_cfg g_cfg;

void fasv_gpu_fake_set(const fasv_gpu_fake_cfg *c) {
    if (c)
        g_cfg = *c;
    else
        memset(&g_cfg, 0, sizeof g_cfg);
}

const char *fasv_gpu_status_name(fasv_gpu_status s) {
    static const char *names[] = {"ok", "no-device", "oom", "route", "launch", "fault", "timeout", "guard", "arg"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}
const char *fasv_gpu_backend(void) { return "fake"; }
int fasv_gpu_count(void) { return 1; }

fasv_gpu_status fasv_gpu_open(int ordinal, fasv_gpu **out, char *err, size_t errlen) {
    *out = NULL;
    if (ordinal != 0) {
        snprintf(err, errlen, "no GPU %d: the fake has one", ordinal);
        return FASV_GPU_ENODEV;
    }
    fasv_gpu *g = calloc(1, sizeof *g);
    if (!g) return FASV_GPU_EOOM;
    snprintf(g->info.name, sizeof g->info.name, "fake GPU (CPU test double)");
    snprintf(g->info.arch, sizeof g->info.arch, "sm_90");
    snprintf(g->info.model, sizeof g->info.model, "sm_90");
    g->info.warp_size = 32;
    g->info.n_sm = 132;
    g->info.mem_bytes = (int64_t)1 << 30;
    g->info.smem_per_block = 227 * 1024;
    *out = g;
    return FASV_GPU_OK;
}
void fasv_gpu_close(fasv_gpu *g) { free(g); }
const fasv_gpu_info *fasv_gpu_get_info(const fasv_gpu *g) { return &g->info; }

fasv_gpu_status fasv_gpu_alloc(fasv_gpu *g, int64_t bytes, fasv_gpu_buf **out, char *err, size_t errlen) {
    (void)g;
    *out = NULL;
    fasv_gpu_buf *b = calloc(1, sizeof *b);
    if (b) b->base = malloc((size_t)(bytes + 2 * FASV_GPU_GUARD));
    if (!b || !b->base) {
        free(b);
        snprintf(err, errlen, "out of memory");
        return FASV_GPU_EOOM;
    }
    b->bytes = bytes;
    memset(b->base, GUARD_BYTE, (size_t)(bytes + 2 * FASV_GPU_GUARD));
    *out = b;
    return FASV_GPU_OK;
}
void fasv_gpu_free(fasv_gpu *g, fasv_gpu_buf *b) {
    (void)g;
    if (b) free(b->base);
    free(b);
}
int64_t fasv_gpu_buf_bytes(const fasv_gpu_buf *b) { return b ? b->bytes : 0; }
static uint8_t *user(const fasv_gpu_buf *b) { return b->base + FASV_GPU_GUARD; }

fasv_gpu_status fasv_gpu_upload(fasv_gpu *g, fasv_gpu_buf *b, const void *src, int64_t bytes, char *err, size_t errlen) {
    (void)g, (void)err, (void)errlen;
    memcpy(user(b), src, (size_t)bytes);
    return FASV_GPU_OK;
}
fasv_gpu_status fasv_gpu_download(fasv_gpu *g, const fasv_gpu_buf *b, void *dst, int64_t bytes, char *err,
                                  size_t errlen) {
    (void)g, (void)err, (void)errlen;
    memcpy(dst, user(b), (size_t)bytes);
    return FASV_GPU_OK;
}
fasv_gpu_status fasv_gpu_fill32(fasv_gpu *g, fasv_gpu_buf *b, uint32_t pattern, char *err, size_t errlen) {
    (void)g, (void)err, (void)errlen;
    for (int64_t i = 0; i + 4 <= b->bytes; i += 4) memcpy(user(b) + i, &pattern, 4);
    return FASV_GPU_OK;
}
fasv_gpu_status fasv_gpu_check_guards(fasv_gpu *g, const fasv_gpu_buf *b, char *err, size_t errlen) {
    (void)g;
    for (int i = 0; i < FASV_GPU_GUARD; i++)
        if (b->base[i] != GUARD_BYTE || b->base[FASV_GPU_GUARD + b->bytes + i] != GUARD_BYTE) {
            snprintf(err, errlen, "guard overwritten near byte %d", i);
            return FASV_GPU_EGUARD;
        }
    return FASV_GPU_OK;
}

int fasv_gpu_has_instance(const fasv_route *r, char *why, size_t len) {
    (void)r, (void)why, (void)len;
    return 0;
}
int fasv_gpu_set_fault(const char *name) {
    (void)name;
    return 0;
}

/* Which misbehaviour strikes this node (FAKE_NONE for most). */
static int pick(const fasv_node *n) {
    if (fasv_nkv(n) % 256 == 0) return FASV_FAKE_NONE;
    uint64_t h = 1469598103934665603ull;
    int64_t v[] = {fasv_nkv(n), fasv_nq(n), fasv_dk(n), fasv_dv(n), fasv_nhead(n), fasv_nseq(n), n->k.type, n->v.type};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) h = (h ^ (uint64_t)v[i]) * 1099511628211ull;
    int roll = (int)(h % 1000), acc = 0;
    for (int m = 1; m < FASV_FAKE_COUNT; m++) {
        acc += g_cfg.permille[m];
        if (roll < acc) return m;
    }
    return FASV_FAKE_NONE;
}

fasv_gpu_status fasv_gpu_run(fasv_gpu *g, const fasv_gpu_launch *l, double *ms, char *err, size_t errlen) {
    const fasv_node *n = l->node;
    int64_t count = fasv_out_count(n);
    g->runs++;
    int m = pick(n);
    if (m == FASV_FAKE_CRASH) abort();
    if (m == FASV_FAKE_HANG)
        for (;;) pause();
    if (m == FASV_FAKE_FAULT) {
        snprintf(err, errlen, "kernel: an illegal memory access was encountered (fake)");
        return FASV_GPU_EFAULT;
    }
    fasv_data d;
    memset(&d, 0, sizeof d);
    for (int i = 0; i < FASV_NT; i++)
        if (l->buf[i]) d.buf[i] = user(l->buf[i]), d.bytes[i] = l->buf[i]->bytes;
    float *o = malloc(sizeof(float) * (size_t)(count ? count : 1));
    fasv_flash_cfg cfg = {l->route->kv_tile > 0 ? l->route->kv_tile : 32, 0, 0, 0};
    fasv_oracle_opts oo = {1, 0};
    if (!o || fasv_oracle_flash(n, &d, &cfg, &oo, o, err, errlen) != 0) {
        free(o);
        return FASV_GPU_ELAUNCH;
    }
    if (m == FASV_FAKE_WRONG && count) o[count / 2] = o[count / 2] * 1.5f + 1.0f;
    if (m == FASV_FAKE_FLAKY && count && g->runs % 2 == 0) o[0] = o[0] + 1e-3f * (o[0] == 0 ? 1.0f : o[0]);
    memcpy(user(l->out), o, sizeof(float) * (size_t)(m == FASV_FAKE_UNWRITTEN && count ? count - 1 : count));
    if (m == FASV_FAKE_OOB) user(l->out)[count * 4 + 1] = 0;
    free(o);
    if (ms) *ms = 0.001;
    return FASV_GPU_OK;
}

/* The benchmark entry points time nothing on the double: every launch runs
 * (so a misbehaving node misbehaves) and reports 0.001 ms. */
fasv_gpu_status fasv_gpu_time(fasv_gpu *g, const fasv_gpu_launch *l, int nl, int warmup, int reps, double *ms,
                              char *err, size_t errlen) {
    for (int k = 0; k < warmup + reps; k++) {
        double x = 0;
        fasv_gpu_status st = fasv_gpu_run(g, &l[k % nl], &x, err, errlen);
        if (st) return st;
        if (k >= warmup) ms[k - warmup] = x;
    }
    return FASV_GPU_OK;
}
fasv_gpu_status fasv_gpu_time_copy(fasv_gpu *g, fasv_gpu_buf *dst, const fasv_gpu_buf *src, int64_t bytes, int warmup,
                                   int reps, double *ms, char *err, size_t errlen) {
    (void)g, (void)warmup, (void)err, (void)errlen;
    memcpy(user(dst), user(src), (size_t)bytes);
    for (int k = 0; k < reps; k++) ms[k] = 0.001;
    return FASV_GPU_OK;
}
fasv_gpu_status fasv_gpu_time_read(fasv_gpu *g, const fasv_gpu_buf *src, int64_t bytes, int nrot, fasv_gpu_buf *sink,
                                   int warmup, int reps, double *ms, char *err, size_t errlen) {
    (void)g, (void)sink, (void)warmup;
    if (bytes < 0 || bytes % 16 || nrot < 1 || bytes * nrot > src->bytes) {
        snprintf(err, errlen, "read of %d x %lld bytes from a buffer of %lld", nrot, (long long)bytes,
                 (long long)src->bytes);
        return FASV_GPU_EARG;
    }
    for (int k = 0; k < reps; k++) ms[k] = 0.001;
    return FASV_GPU_OK;
}
