/* kernels/gpu/launch.hip — the GPU side of fasv/gpu.h (hipcc or nvcc).
 *
 * Owns: device discovery and naming, guarded allocations, transfers, turning
 * a (node, route) into kernel parameters and a grid, checking the route's
 * launch geometry against the instance and the device, launching, and
 * waiting with a timeout. Every runtime error becomes a fasv_gpu_status and
 * one line of text.
 * Must not know: how routes are chosen, the oracle, case files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fa_kernels.h"
#include "fa_mma.h"
#include "fasv/device.h"
#include "fasv/gpu.h"
#include "gpu/fa_table.h"
#include "kernels/registry.h"

#define GUARD_BYTE 0xA5

struct fasv_gpu {
    int ordinal;
    fasv_gpu_info info;
    int lost; /* a fault or timeout left the context unusable */
    int pdl;  /* programmatic dependent launch of the combine (NVIDIA sm_90+) */
    uint64_t *trace;     /* FASV_GPU_TRACE's per-block records (fa_kernels.h fa_trace) */
    int64_t trace_words; /* allocated words of trace */
};

struct fasv_gpu_buf {
    uint8_t *base; /* start of the allocation (front guard) */
    int64_t bytes; /* user bytes */
};

static int g_fault = -1; /* -1: not yet read from the environment */

static int fault_code(const char *name) {
    if (!name || !*name || strcmp(name, "none") == 0) return FA_FAULT_NONE;
    if (strcmp(name, "kv-tail") == 0) return FA_FAULT_KV_TAIL;
    return -1;
}

extern "C" int fasv_gpu_set_fault(const char *name) {
    int f = fault_code(name);
    if (f < 0) return -1;
    g_fault = f;
    return 0;
}

static int current_fault(void) {
    if (g_fault < 0) {
        int f = fault_code(getenv("FASV_GPU_FAULT"));
        g_fault = f < 0 ? FA_FAULT_NONE : f;
    }
    return g_fault;
}

extern "C" const char *fasv_gpu_backend(void) {
#ifdef FASV_HIP
    return "hip";
#else
    return "cuda";
#endif
}

extern "C" int fasv_gpu_count(void) {
    int n = 0;
    if (hipGetDeviceCount(&n) != hipSuccess) {
        (void)hipGetLastError();
        return 0;
    }
    return n;
}

static fasv_gpu_status classify(hipError_t e) {
    if (e == hipErrorMemoryAllocation) return FASV_GPU_EOOM;
    if (e == hipErrorNoDevice) return FASV_GPU_ENODEV;
    return FASV_GPU_EFAULT;
}

static fasv_gpu_status fail(fasv_gpu *g, hipError_t e, const char *what, char *err, size_t errlen) {
    fasv_gpu_status s = classify(e);
    snprintf(err, errlen, "%s: %s (%s)", what, hipGetErrorString(e), hipGetErrorName(e));
    if (s == FASV_GPU_EFAULT && g) g->lost = 1;
    return s;
}

#define TRY(g, call, what)                                                  \
    do {                                                                    \
        hipError_t e_ = (call);                                             \
        if (e_ != hipSuccess) return fail((g), e_, (what), err, errlen);    \
    } while (0)

static fasv_gpu_status select_dev(fasv_gpu *g, char *err, size_t errlen) {
    if (g->lost) {
        snprintf(err, errlen, "device %d is unusable after an earlier fault or timeout", g->ordinal);
        return FASV_GPU_EFAULT;
    }
    TRY(g, hipSetDevice(g->ordinal), "select device");
    return FASV_GPU_OK;
}

extern "C" fasv_gpu_status fasv_gpu_open(int ordinal, fasv_gpu **out, char *err, size_t errlen) {
    *out = NULL;
    int n = 0;
    hipError_t e = hipGetDeviceCount(&n);
    if (e != hipSuccess || n == 0) {
        snprintf(err, errlen, "no GPU: %s found no device%s%s", fasv_gpu_backend(), e != hipSuccess ? " (" : "",
                 e != hipSuccess ? hipGetErrorString(e) : "");
        if (e != hipSuccess) strncat(err, ")", errlen - strlen(err) - 1);
        return FASV_GPU_ENODEV;
    }
    if (ordinal < 0 || ordinal >= n) {
        snprintf(err, errlen, "no GPU %d: this host has %d", ordinal, n);
        return FASV_GPU_ENODEV;
    }
    fasv_gpu *g = (fasv_gpu *)calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of host memory");
        return FASV_GPU_EOOM;
    }
    g->ordinal = ordinal;
    hipDeviceProp_t pr;
    e = hipSetDevice(ordinal);
    if (e == hipSuccess) e = hipGetDeviceProperties(&pr, ordinal);
    if (e != hipSuccess) {
        fasv_gpu_status s = fail(NULL, e, "open device", err, errlen);
        free(g);
        return s;
    }
    fasv_gpu_info *in = &g->info;
    snprintf(in->name, sizeof in->name, "%s", pr.name);
#ifdef FASV_HIP
    snprintf(in->arch, sizeof in->arch, "%s", pr.gcnArchName);
    char *colon = strchr(in->arch, ':');
    if (colon) *colon = 0;
    in->smem_per_block = (int64_t)pr.sharedMemPerBlock;
#else
    snprintf(in->arch, sizeof in->arch, "sm_%d%d", pr.major, pr.minor);
    in->smem_per_block = (int64_t)pr.sharedMemPerBlockOptin;
    g->pdl = pr.major >= 9;
#endif
    in->warp_size = pr.warpSize;
    in->n_sm = pr.multiProcessorCount;
    in->mem_bytes = (int64_t)pr.totalGlobalMem;
    const fasv_device *d = fasv_device_find(in->arch);
    if (d) snprintf(in->model, sizeof in->model, "%s", d->name);
    if (d && d->warp_size != in->warp_size) {
        snprintf(err, errlen, "device %d (%s) runs warps of %d, the modeled %s says %d", ordinal, in->arch,
                 in->warp_size, d->name, d->warp_size);
        free(g);
        return FASV_GPU_ENODEV;
    }
    *out = g;
    return FASV_GPU_OK;
}

extern "C" void fasv_gpu_close(fasv_gpu *g) {
    if (g && !g->lost && hipSetDevice(g->ordinal) == hipSuccess) {
        if (g->trace) (void)hipFree(g->trace);
    }
    free(g);
}

extern "C" const fasv_gpu_info *fasv_gpu_get_info(const fasv_gpu *g) { return &g->info; }

/* ---- guarded buffers ------------------------------------------------------ */

extern "C" fasv_gpu_status fasv_gpu_alloc(fasv_gpu *g, int64_t bytes, fasv_gpu_buf **out, char *err,
                                          size_t errlen) {
    *out = NULL;
    if (bytes < 0) {
        snprintf(err, errlen, "negative allocation");
        return FASV_GPU_EARG;
    }
    fasv_gpu_status s = select_dev(g, err, errlen);
    if (s) return s;
    fasv_gpu_buf *b = (fasv_gpu_buf *)calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of host memory");
        return FASV_GPU_EOOM;
    }
    b->bytes = bytes;
    hipError_t e = hipMalloc((void **)&b->base, (size_t)(bytes + 2 * FASV_GPU_GUARD));
    if (e != hipSuccess) {
        (void)hipGetLastError();
        snprintf(err, errlen, "out of device memory allocating %lld bytes (+%d guard bytes): %s", (long long)bytes,
                 2 * FASV_GPU_GUARD, hipGetErrorString(e));
        free(b);
        return FASV_GPU_EOOM;
    }
    e = hipMemset(b->base, GUARD_BYTE, (size_t)(bytes + 2 * FASV_GPU_GUARD));
    if (e != hipSuccess) {
        (void)hipFree(b->base);
        free(b);
        return fail(g, e, "fill guards", err, errlen);
    }
    *out = b;
    return FASV_GPU_OK;
}

extern "C" void fasv_gpu_free(fasv_gpu *g, fasv_gpu_buf *b) {
    if (!b) return;
    if (g && !g->lost && hipSetDevice(g->ordinal) == hipSuccess) (void)hipFree(b->base);
    free(b);
}

extern "C" int64_t fasv_gpu_buf_bytes(const fasv_gpu_buf *b) { return b ? b->bytes : 0; }

static uint8_t *user(const fasv_gpu_buf *b) { return b->base + FASV_GPU_GUARD; }

extern "C" fasv_gpu_status fasv_gpu_upload(fasv_gpu *g, fasv_gpu_buf *b, const void *src, int64_t bytes,
                                           char *err, size_t errlen) {
    if (bytes < 0 || bytes > b->bytes) {
        snprintf(err, errlen, "upload of %lld bytes into a buffer of %lld", (long long)bytes, (long long)b->bytes);
        return FASV_GPU_EARG;
    }
    fasv_gpu_status s = select_dev(g, err, errlen);
    if (s) return s;
    TRY(g, hipMemcpy(user(b), src, (size_t)bytes, hipMemcpyHostToDevice), "upload");
    return FASV_GPU_OK;
}

extern "C" fasv_gpu_status fasv_gpu_download(fasv_gpu *g, const fasv_gpu_buf *b, void *dst, int64_t bytes,
                                             char *err, size_t errlen) {
    if (bytes < 0 || bytes > b->bytes) {
        snprintf(err, errlen, "download of %lld bytes from a buffer of %lld", (long long)bytes, (long long)b->bytes);
        return FASV_GPU_EARG;
    }
    fasv_gpu_status s = select_dev(g, err, errlen);
    if (s) return s;
    TRY(g, hipMemcpy(dst, user(b), (size_t)bytes, hipMemcpyDeviceToHost), "download");
    return FASV_GPU_OK;
}

__global__ void fa_fill32_kernel(uint32_t *p, int64_t n, uint32_t v) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) p[i] = v;
}

extern "C" fasv_gpu_status fasv_gpu_fill32(fasv_gpu *g, fasv_gpu_buf *b, uint32_t pattern, char *err,
                                           size_t errlen) {
    fasv_gpu_status s = select_dev(g, err, errlen);
    if (s) return s;
    int64_t n = b->bytes / 4;
    if (n > 0) {
        int64_t blocks = (n + 255) / 256;
        if (blocks > 65535) blocks = 65535;
        hipLaunchKernelGGL(fa_fill32_kernel, dim3((unsigned)blocks), dim3(256), 0, 0, (uint32_t *)user(b), n, pattern);
        TRY(g, hipGetLastError(), "fill launch");
        TRY(g, hipDeviceSynchronize(), "fill");
    }
    return FASV_GPU_OK;
}

extern "C" fasv_gpu_status fasv_gpu_check_guards(fasv_gpu *g, const fasv_gpu_buf *b, char *err, size_t errlen) {
    fasv_gpu_status s = select_dev(g, err, errlen);
    if (s) return s;
    uint8_t host[2][FASV_GPU_GUARD];
    TRY(g, hipMemcpy(host[0], b->base, FASV_GPU_GUARD, hipMemcpyDeviceToHost), "read front guard");
    TRY(g, hipMemcpy(host[1], b->base + FASV_GPU_GUARD + b->bytes, FASV_GPU_GUARD, hipMemcpyDeviceToHost),
        "read back guard");
    for (int side = 0; side < 2; side++)
        for (int i = 0; i < FASV_GPU_GUARD; i++)
            if (host[side][i] != GUARD_BYTE) {
                if (side == 0)
                    snprintf(err, errlen, "guard overwritten %d bytes before the buffer (byte 0x%02x)",
                             FASV_GPU_GUARD - i, host[side][i]);
                else
                    snprintf(err, errlen, "guard overwritten %d bytes past the end of the buffer (byte 0x%02x)", i,
                             host[side][i]);
                return FASV_GPU_EGUARD;
            }
    return FASV_GPU_OK;
}

/* ---- launching ------------------------------------------------------------ */

/* The launch-table entry of the route's instance, checked against the
 * registry entry of the same index (both come from kernels/instances.def). */
static const fa_inst *find_inst(const fasv_route *r, char *why, size_t len) {
    if (r->family == FASV_FAM_NONE) {
        snprintf(why, len, "route is NONE");
        return NULL;
    }
    int count = 0;
    fasv_registry(&count);
    const fasv_kinst *k = fasv_registry_get(r->instance);
    if (!k) {
        snprintf(why, len, "instance %d is not compiled (the registry has %d)", r->instance, count);
        return NULL;
    }
    const fa_inst *in = fa_part_vec[r->instance].family     ? &fa_part_vec[r->instance]
                        : fa_part_tile[r->instance].family  ? &fa_part_tile[r->instance]
                        : fa_part_split[r->instance].family ? &fa_part_split[r->instance]
                                                            : &fa_part_mma[r->instance];
    if (strcmp(k->key, r->key) != 0 || (int)k->family != (int)r->family) {
        snprintf(why, len, "instance %d is %s, the route names %s", r->instance, k->key, r->key);
        return NULL;
    }
    if (in->family != (int)k->family || in->dk != k->dk || in->dv != k->dv || in->nc != k->ncols ||
        in->type_k != k->type_k || in->type_v != k->type_v) {
        snprintf(why, len, "launch table entry %d does not match registry entry %s (build out of date?)", r->instance,
                 k->key);
        return NULL;
    }
    if (!in->fn) {
        snprintf(why, len, "%s is not compiled in this %s build (MMA device code is NVIDIA-only)", k->key,
                 fasv_gpu_backend());
        return NULL;
    }
    return in;
}

extern "C" int fasv_gpu_has_instance(const fasv_route *r, char *why, size_t len) {
    return find_inst(r, why, len) ? 0 : -1;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wait for ev without blocking past the deadline. */
static fasv_gpu_status wait_event(fasv_gpu *g, hipEvent_t ev, double timeout_s, char *err, size_t errlen) {
    double t0 = now_s();
    for (;;) {
        hipError_t e = hipEventQuery(ev);
        if (e == hipSuccess) return FASV_GPU_OK;
        if (e != hipErrorNotReady) return fail(g, e, "kernel", err, errlen);
        if (now_s() - t0 > timeout_s) {
            g->lost = 1;
            snprintf(err, errlen, "kernel did not finish within %.1f s", timeout_s);
            return FASV_GPU_ETIMEOUT;
        }
        usleep(50);
    }
}

static int ilog2_floor_pow2(int n) {
    int p = 1;
    while (p * 2 <= n) p *= 2;
    return p;
}

#define ROUTE_ERR(...)                          \
    do {                                        \
        snprintf(err, errlen, __VA_ARGS__);     \
        return FASV_GPU_EROUTE;                 \
    } while (0)

/* A checked launch: kernel, grid, parameters, shared memory, combine grid. */
typedef struct prepared {
    fa_kernel_fn fn;
    dim3 grid;
    int threads;
    size_t dyn;
    int64_t cblocks; /* combine blocks when split: rows x slices; else 0 */
    int split;
    int pdl; /* launch the combine as a programmatic dependent of the split kernel */
    const char *key;
    fa_params p;
} prepared;

/* Check the route's geometry against the instance and the device and build
 * the launch; FASV_GPU_EROUTE (and err) when it cannot be launched. */
static fasv_gpu_status prepare(fasv_gpu *g, const fasv_gpu_launch *l, prepared *pr, char *err, size_t errlen) {
    const fasv_node *n = l->node;
    const fasv_route *r = l->route;
    char why[256];
    const fa_inst *in = find_inst(r, why, sizeof why);
    if (!in) ROUTE_ERR("cannot launch: %s", why);
    fasv_gpu_status st = select_dev(g, err, errlen);
    if (st) return st;
    memset(pr, 0, sizeof *pr);

    const int W = g->info.warp_size;
    const int64_t dk = fasv_dk(n), dv = fasv_dv(n);
    fa_params p;
    memset(&p, 0, sizeof p);
    const uint8_t *bufp[FASV_NT] = {0};
    for (int id = 0; id < FASV_NT; id++) {
        if (!fasv_node_has(n, (fasv_tid)id)) continue;
        int owner = n->t[id].buf;
        if (owner < 0 || owner >= FASV_NT || !l->buf[owner]) ROUTE_ERR("no device buffer for %s", fasv_tid_name((fasv_tid)id));
        if (fasv_tensor_end(&n->t[id]) > l->buf[owner]->bytes)
            ROUTE_ERR("%s's view ends past its device buffer", fasv_tid_name((fasv_tid)id));
        bufp[id] = user(l->buf[owner]) + n->t[id].offset;
    }
    p.q = bufp[FASV_Q];
    p.k = bufp[FASV_K];
    p.v = bufp[FASV_V];
    p.mask = bufp[FASV_MASK];
    p.sinks = bufp[FASV_SINKS];
    p.nbq1 = n->q.nb[1], p.nbq2 = n->q.nb[2], p.nbq3 = n->q.nb[3];
    p.nbk1 = n->k.nb[1], p.nbk2 = n->k.nb[2], p.nbk3 = n->k.nb[3];
    p.nbv1 = n->v.nb[1], p.nbv2 = n->v.nb[2], p.nbv3 = n->v.nb[3];
    if (n->has_mask) p.nbm1 = n->mask.nb[1], p.nbm2 = n->mask.nb[2], p.nbm3 = n->mask.nb[3];
    const int64_t big = INT32_MAX;
    if (dk > big || dv > big || fasv_nq(n) > big || fasv_nkv(n) > big || fasv_nhead(n) > big || fasv_nseq(n) > big)
        ROUTE_ERR("a dimension exceeds 2^31-1");
    p.dk = (int)dk, p.dv = (int)dv, p.n_q = (int)fasv_nq(n), p.n_head = (int)fasv_nhead(n), p.n_seq = (int)fasv_nseq(n);
    p.n_kv = (int)fasv_nkv(n), p.n_head_kv = (int)fasv_nhead_kv(n), p.n_seq_k = (int)fasv_nseq_kv(n);
    p.m2 = n->has_mask ? (int)n->mask.ne[2] : 1;
    p.m3 = n->has_mask ? (int)n->mask.ne[3] : 1;
    p.gqa = p.n_head / p.n_head_kv;
    p.seq_ratio = p.n_seq / p.n_seq_k;
    p.type_k = n->k.type, p.type_v = n->v.type;
    p.has_mask = n->has_mask, p.has_sinks = n->has_sinks;
    p.scale = n->scale, p.softcap = n->softcap;
    p.use_alibi = n->max_bias > 0.0f;
    p.n_head_log2 = ilog2_floor_pow2(p.n_head);
    p.m0 = powf(2.0f, -n->max_bias / (float)p.n_head_log2);
    p.m1 = powf(2.0f, -n->max_bias / 2.0f / (float)p.n_head_log2);
    p.ncols1 = r->ncols1, p.ncols2 = r->ncols2, p.kv_tile = r->kv_tile, p.n_split = r->n_split;
    p.fault = current_fault();

    /* geometry against the instance and the device */
    if (r->ncols1 < 1 || r->ncols2 < 1 || r->kv_tile < 1 || r->n_split < 1 || r->threads < 1)
        ROUTE_ERR("route geometry has a zero or negative field");
    const int nc = r->ncols1 * r->ncols2;
    if (nc > in->nc) ROUTE_ERR("ncols1*ncols2=%d over the instance's %d column slots", nc, in->nc);
    if ((r->n_split > 1) != (r->family == FASV_FAM_SPLIT))
        ROUTE_ERR("family %s with n_split=%d", fasv_family_name(r->family), r->n_split);
    const bool mma_core = in->core == FA_CORE_MMA || in->core == FA_CORE_MMAD;
    if (r->n_split > FA_SPLIT_MAX) ROUTE_ERR("n_split=%d over the combine's %d partials", r->n_split, FA_SPLIT_MAX);
    if (in->core == FA_CORE_VEC || mma_core) {
        if (in->core == FA_CORE_VEC && (r->threads % W || r->threads > FA_MAX_THREADS / 2))
            ROUTE_ERR("threads=%d is not a multiple of the warp size %d up to %d", r->threads, W, FA_MAX_THREADS / 2);
        const int mma_threads = in->core == FA_CORE_MMAD ? FA_MMAD_THREADS(in->dk) : FA_MMA_THREADS;
        if (mma_core && (r->threads != mma_threads || W != 32))
            ROUTE_ERR("%s runs %d threads of warps of 32, the route says %d on warps of %d", r->key, mma_threads,
                      r->threads, W);
        if (dk != in->dk || dv != in->dv)
            ROUTE_ERR("instance %s needs Dk=%d Dv=%d, node has %lld,%lld", r->key, in->dk, in->dv, (long long)dk, (long long)dv);
        if ((int)n->k.type != in->type_k || (int)n->v.type != in->type_v)
            ROUTE_ERR("instance %s is compiled for K/V %s,%s, node has %s,%s", r->key,
                      fasv_type_name((fasv_type)in->type_k), fasv_type_name((fasv_type)in->type_v),
                      fasv_type_name(n->k.type), fasv_type_name(n->v.type));
        const int want_kv = in->core == FA_CORE_VEC   ? fa_vec_kv(in->dk, r->threads)
                            : in->core == FA_CORE_MMA ? fa_mma_kv(in->dk)
                                                      : FA_MMAD_KV(in->dk);
        if (r->kv_tile != want_kv)
            ROUTE_ERR("%s steps %d keys, the route says kv_tile=%d", r->key, want_kv, r->kv_tile);
    } else {
        if (r->threads != FA_TILE_THREADS) ROUTE_ERR("%s runs %d threads, the route says %d", r->key, FA_TILE_THREADS, r->threads);
        if (dk % 8) ROUTE_ERR("%s sums q.k in groups of 8: Dk=%lld is not a multiple of 8", r->key, (long long)dk);
        if (dk > in->dk || dv > in->dv)
            ROUTE_ERR("instance %s serves Dk<=%d Dv<=%d, node has %lld,%lld", r->key, in->dk, in->dv, (long long)dk, (long long)dv);
    }
    fa_kernel_fn fn = in->fn;
    int es = 4;
    if (in->core == FA_CORE_TILE) {
        /* the route's compute type: f32, or f16 tiles */
        if (r->eff_type_k != r->eff_type_v || (r->eff_type_k != FASV_TYPE_F32 && r->eff_type_k != FASV_TYPE_F16))
            ROUTE_ERR("%s computes in f32 or f16 tiles, the route says K=%d V=%d", r->key, r->eff_type_k, r->eff_type_v);
        if (r->eff_type_k == FASV_TYPE_F16) fn = in->fn16, es = 2;
        if (!fn) ROUTE_ERR("%s has no f16-tile kernel compiled (TILE/SPLIT compute in f32)", r->key);
    }
    const int64_t smem = in->core == FA_CORE_VEC   ? fa_vec_smem(in->dk, in->nc, r->threads / W, W)
                         : in->core == FA_CORE_MMA ? fa_mma_smem(in->dk, in->type_k)
                         : in->core == FA_CORE_MMAD ? fa_mmad_smem(in->dk, in->type_k)
                                                   : fa_tile_smem((int)dk, (int)dv, nc, r->kv_tile, es);
    if (smem > r->smem_bytes)
        ROUTE_ERR("kernel needs %lld bytes of shared memory, the route grants %lld", (long long)smem, (long long)r->smem_bytes);
    if (r->smem_bytes > g->info.smem_per_block)
        ROUTE_ERR("route grants %lld bytes of shared memory, the device allows %lld", (long long)r->smem_bytes,
                  (long long)g->info.smem_per_block);
    p.groups = (p.gqa + r->ncols2 - 1) / r->ncols2;
    p.fd_split = fa_fdiv_make(p.n_split), p.fd_groups = fa_fdiv_make(p.groups);
    p.fd_ncols2 = fa_fdiv_make(p.ncols2), p.fd_seq_ratio = fa_fdiv_make(p.seq_ratio);
    const int64_t gx = (p.n_q + r->ncols1 - 1) / r->ncols1, gy = (int64_t)p.n_head_kv * p.groups,
                  gz = (int64_t)p.n_seq * r->n_split;
    if (gx > INT32_MAX || gy > 65535 || gz > 65535) ROUTE_ERR("grid %lldx%lldx%lld over the device's limits", (long long)gx, (long long)gy, (long long)gz);
    int64_t rows = (int64_t)p.n_seq * p.n_q * p.n_head;
    if (r->n_split > 1) {
        int64_t need = rows * r->n_split * (dv + 2) * 4;
        if (need > r->scratch_bytes)
            ROUTE_ERR("split needs %lld bytes of scratch, the route sized %lld", (long long)need, (long long)r->scratch_bytes);
        if (!l->scratch || l->scratch->bytes < need) ROUTE_ERR("scratch buffer smaller than %lld bytes", (long long)need);
        const int slices = fa_combine_slices(p);
        if (rows * slices > INT32_MAX)
            ROUTE_ERR("%lld output rows x %d slices over the combine grid", (long long)rows, slices);
        pr->cblocks = rows * slices; /* the combine's blocks: slices of the rows */
        p.part = (float *)user(l->scratch);
    }
    if (!l->out || l->out->bytes < fasv_out_count(n) * 4) ROUTE_ERR("output buffer too small");
    p.out = (float *)user(l->out);

    const size_t dyn = (size_t)r->smem_bytes; /* the launch gets exactly what the route grants */
    if (dyn > 48 * 1024)
        TRY(g, hipFuncSetAttribute((const void *)fn, hipFuncAttributeMaxDynamicSharedMemorySize, (int)dyn),
            "raise shared memory limit");
    pr->fn = fn;
    pr->grid = dim3((unsigned)gx, (unsigned)gy, (unsigned)gz);
    pr->threads = r->threads;
    pr->dyn = dyn;
    pr->split = r->n_split > 1;
    pr->pdl = g->pdl;
    /* FASV_GPU_TRACE (diagnostics, NVIDIA): per-block timestamps of the MMA
     * decode body and its combine, written out by fasv_gpu_time */
    const char *tf = getenv("FASV_GPU_TRACE");
    p.trace = NULL;
    if (tf && *tf && in->core == FA_CORE_MMAD) {
        const int64_t cb = pr->cblocks;
        const int64_t words = (gx * gy * gz + cb) * FA_TRACE_WORDS;
        if (words > g->trace_words) {
            if (g->trace) (void)hipFree(g->trace);
            g->trace = NULL;
            g->trace_words = 0;
            TRY(g, hipMalloc((void **)&g->trace, (size_t)words * 8), "trace buffer");
            g->trace_words = words;
        }
        TRY(g, hipMemset(g->trace, 0, (size_t)words * 8), "trace buffer");
        p.trace = g->trace;
    }
    pr->key = r->key;
    pr->p = p;
    return FASV_GPU_OK;
}

/* Append the trace of the last launch of pr (FASV_GPU_TRACE's file): a
 * header line, then one line per block: index, SM, then the timestamps in
 * ns from the earliest block start (-1 where the word is 0). */
static void dump_trace(const prepared *pr) {
    const char *tf = getenv("FASV_GPU_TRACE");
    const int64_t nb = (int64_t)pr->grid.x * pr->grid.y * pr->grid.z;
    const int64_t cb = pr->cblocks, words = (nb + cb) * FA_TRACE_WORDS;
    uint64_t *h = (uint64_t *)malloc((size_t)words * 8);
    FILE *f = h ? fopen(tf, "a") : NULL;
    if (f && hipMemcpy(h, pr->p.trace, (size_t)words * 8, hipMemcpyDeviceToHost) == hipSuccess) {
        uint64_t base = UINT64_MAX;
        for (int64_t b = 0; b < nb + cb; b++)
            if (h[b * FA_TRACE_WORDS + 1] && h[b * FA_TRACE_WORDS + 1] < base) base = h[b * FA_TRACE_WORDS + 1];
        fprintf(f, "# trace key=%s n_split=%d grid=%u,%u,%u combine=%lld\n", pr->key, pr->p.n_split, pr->grid.x,
                pr->grid.y, pr->grid.z, (long long)cb);
        for (int64_t b = 0; b < nb + cb; b++) {
            const uint64_t *w = h + b * FA_TRACE_WORDS;
            fprintf(f, "%s %lld %llu", b < nb ? "k" : "c", (long long)(b < nb ? b : b - nb), (unsigned long long)w[0]);
            for (int k = 1; k < FA_TRACE_WORDS; k++)
                fprintf(f, " %lld", w[k] ? (long long)(w[k] - base) : -1LL);
            fputc('\n', f);
        }
    }
    if (f) fclose(f);
    free(h);
}

/* Enqueue a prepared launch (and its combine); hipSuccess or the refusal. */
static hipError_t enqueue(const prepared *pr) {
    hipLaunchKernelGGL(pr->fn, pr->grid, dim3(pr->threads), pr->dyn, 0, pr->p);
    hipError_t le = hipGetLastError();
    if (le == hipSuccess && pr->split) {
        fa_params pc = pr->p; /* the combine's trace records follow the split kernel's */
        if (pc.trace) pc.trace += (int64_t)pr->grid.x * pr->grid.y * pr->grid.z * FA_TRACE_WORDS;
#if defined(FASV_CUDA)
        if (pr->pdl) {
            /* sm_90+: the combine's blocks may launch while the split kernel
             * runs (it signals griddepcontrol.launch_dependents once its
             * loads are issued); fa_combine_kernel's griddepcontrol.wait
             * holds them until that grid has finished and its partials are
             * visible. Hides the combine's launch latency; same bits. */
            cudaLaunchConfig_t cfg = {};
            cudaLaunchAttribute at[1];
            at[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
            at[0].val.programmaticStreamSerializationAllowed = 1;
            cfg.gridDim = dim3((unsigned)pr->cblocks);
            cfg.blockDim = dim3(FA_COMBINE_THREADS);
            cfg.dynamicSmemBytes = 0;
            cfg.stream = 0;
            cfg.attrs = at;
            cfg.numAttrs = 1;
            return cudaLaunchKernelEx(&cfg, fa_combine_fn, pc);
        }
#endif
        hipLaunchKernelGGL(fa_combine_fn, dim3((unsigned)pr->cblocks), dim3(FA_COMBINE_THREADS), 0, 0, pc);
        le = hipGetLastError();
    }
    return le;
}

extern "C" fasv_gpu_status fasv_gpu_run(fasv_gpu *g, const fasv_gpu_launch *l, double *ms, char *err,
                                        size_t errlen) {
    prepared pr;
    fasv_gpu_status st = prepare(g, l, &pr, err, errlen);
    if (st) return st;
    hipEvent_t e0, e1;
    TRY(g, hipEventCreate(&e0), "event");
    TRY(g, hipEventCreate(&e1), "event");
    TRY(g, hipEventRecord(e0, 0), "event record");
    hipError_t le = enqueue(&pr);
    if (le != hipSuccess) {
        (void)hipEventDestroy(e0);
        (void)hipEventDestroy(e1);
        snprintf(err, errlen, "launch of %s refused: %s", pr.key, hipGetErrorString(le));
        return FASV_GPU_ELAUNCH;
    }
    TRY(g, hipEventRecord(e1, 0), "event record");
    st = wait_event(g, e1, l->timeout_s > 0 ? l->timeout_s : 10.0, err, errlen);
    if (st == FASV_GPU_OK && ms) {
        float f = 0;
        if (hipEventElapsedTime(&f, e0, e1) == hipSuccess) *ms = f;
    }
    if (st != FASV_GPU_ETIMEOUT) {
        (void)hipEventDestroy(e0);
        (void)hipEventDestroy(e1);
    }
    return st;
}

/* ---- benchmarks ------------------------------------------------------------ */

/* Holds the queue for about `cycles` SM clocks so the launches behind it are
 * all enqueued before the first one starts. */
__global__ void fa_spin_kernel(long long cycles) {
    const long long t0 = clock64();
    while (clock64() - t0 < cycles) {
    }
}

#define FA_TIME_MAX 4096

/* Enqueue spin, then n items (item k via fn(k)) each between two events;
 * wait; ms[k - warmup] for k >= warmup. */
template <typename F>
static fasv_gpu_status time_queue(fasv_gpu *g, int warmup, int reps, double timeout_s, double *ms, F fn, char *err,
                                  size_t errlen) {
    const int n = warmup + reps;
    if (reps < 1 || warmup < 0 || n > FA_TIME_MAX) {
        snprintf(err, errlen, "time: warmup + reps must be in [1, %d]", FA_TIME_MAX);
        return FASV_GPU_EARG;
    }
    hipEvent_t *ev = (hipEvent_t *)calloc((size_t)n + 1, sizeof(hipEvent_t));
    if (!ev) {
        snprintf(err, errlen, "out of host memory");
        return FASV_GPU_EOOM;
    }
    fasv_gpu_status st = FASV_GPU_OK;
    int made = 0;
    for (; made <= n; made++)
        if (hipEventCreate(&ev[made]) != hipSuccess) {
            st = fail(g, hipGetLastError(), "event", err, errlen);
            break;
        }
    if (st == FASV_GPU_OK) {
        hipLaunchKernelGGL(fa_spin_kernel, dim3(1), dim3(1), 0, 0, (long long)20000000); /* ~10 ms */
        hipError_t le = hipGetLastError();
        for (int k = 0; k < n && le == hipSuccess; k++) {
            le = hipEventRecord(ev[k], 0);
            if (le == hipSuccess) le = fn(k);
        }
        if (le == hipSuccess) le = hipEventRecord(ev[n], 0);
        if (le != hipSuccess) {
            snprintf(err, errlen, "timed launch refused: %s", hipGetErrorString(le));
            st = FASV_GPU_ELAUNCH;
        } else {
            st = wait_event(g, ev[n], timeout_s, err, errlen);
        }
        for (int k = warmup; st == FASV_GPU_OK && k < n; k++) {
            float f = 0;
            if (hipEventElapsedTime(&f, ev[k], ev[k + 1]) != hipSuccess) {
                st = fail(g, hipGetLastError(), "event time", err, errlen);
                break;
            }
            ms[k - warmup] = f;
        }
    }
    if (st != FASV_GPU_ETIMEOUT)
        for (int k = 0; k < made; k++) (void)hipEventDestroy(ev[k]);
    free(ev);
    return st;
}

extern "C" fasv_gpu_status fasv_gpu_time(fasv_gpu *g, const fasv_gpu_launch *l, int nl, int warmup, int reps,
                                         double *ms, char *err, size_t errlen) {
    if (nl < 1 || nl > 64) {
        snprintf(err, errlen, "time: 1..64 launch sets");
        return FASV_GPU_EARG;
    }
    prepared pr[64];
    for (int i = 0; i < nl; i++) {
        fasv_gpu_status st = prepare(g, &l[i], &pr[i], err, errlen);
        if (st) return st;
    }
    const double timeout = l[0].timeout_s > 0 ? l[0].timeout_s : 60.0;
    fasv_gpu_status st = time_queue(g, warmup, reps, timeout, ms, [&](int k) { return enqueue(&pr[k % nl]); }, err, errlen);
    if (st == FASV_GPU_OK && pr[0].p.trace) dump_trace(&pr[(warmup + reps - 1) % nl]);
    return st;
}

extern "C" fasv_gpu_status fasv_gpu_time_copy(fasv_gpu *g, fasv_gpu_buf *dst, const fasv_gpu_buf *src, int64_t bytes,
                                              int warmup, int reps, double *ms, char *err, size_t errlen) {
    if (bytes < 0 || bytes > dst->bytes || bytes > src->bytes) {
        snprintf(err, errlen, "copy of %lld bytes between buffers of %lld and %lld", (long long)bytes,
                 (long long)src->bytes, (long long)dst->bytes);
        return FASV_GPU_EARG;
    }
    fasv_gpu_status st = select_dev(g, err, errlen);
    if (st) return st;
    uint8_t *d = user(dst);
    const uint8_t *s = user(src);
    return time_queue(
        g, warmup, reps, 60.0, ms,
        [&](int) { return hipMemcpyAsync(d, s, (size_t)bytes, hipMemcpyDeviceToDevice, 0); }, err, errlen);
}

/* A bare streaming read: every thread keeps 4 16-byte loads in flight, xors
 * what it reads, and writes only if the xor is a value the data never gives
 * (so the loads are not optimised away and nothing is written). */
__global__ void __launch_bounds__(256) fa_read_kernel(const uint4 *src, int64_t n16, uint4 *sink) {
    uint4 a = make_uint4(0, 0, 0, 0);
    const int64_t step = (int64_t)gridDim.x * blockDim.x;
    int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (; i + 3 * step < n16; i += 4 * step) {
        uint4 x[4];
#pragma unroll
        for (int u = 0; u < 4; u++) x[u] = src[i + u * step];
#pragma unroll
        for (int u = 0; u < 4; u++) a.x ^= x[u].x, a.y ^= x[u].y, a.z ^= x[u].z, a.w ^= x[u].w;
    }
    for (; i < n16; i += step) {
        const uint4 x = src[i];
        a.x ^= x.x, a.y ^= x.y, a.z ^= x.z, a.w ^= x.w;
    }
    if (a.x == 0x7fc00001u && a.y == 0x7fc00002u && a.z == 0x7fc00003u && a.w == 0x7fc00004u) *sink = a;
}

extern "C" fasv_gpu_status fasv_gpu_time_read(fasv_gpu *g, const fasv_gpu_buf *src, int64_t bytes, int nrot,
                                              fasv_gpu_buf *sink, int warmup, int reps, double *ms, char *err,
                                              size_t errlen) {
    if (bytes < 0 || bytes % 16 || nrot < 1 || bytes * nrot > src->bytes || sink->bytes < 16) {
        snprintf(err, errlen, "read of %d x %lld bytes from a buffer of %lld (sink %lld)", nrot, (long long)bytes,
                 (long long)src->bytes, (long long)sink->bytes);
        return FASV_GPU_EARG;
    }
    fasv_gpu_status st = select_dev(g, err, errlen);
    if (st) return st;
    const uint8_t *s = user(src);
    uint4 *out = (uint4 *)user(sink);
    const int blocks = g->info.n_sm * 8;
    return time_queue(
        g, warmup, reps, 60.0, ms,
        [&](int k) {
            hipLaunchKernelGGL(fa_read_kernel, dim3(blocks), dim3(256), 0, 0,
                               (const uint4 *)(s + (int64_t)(k % nrot) * bytes), bytes / 16, out);
            return hipGetLastError();
        },
        err, errlen);
}

extern "C" const char *fasv_gpu_status_name(fasv_gpu_status s) {
    static const char *names[] = {"ok", "no-device", "oom", "route", "launch", "fault", "timeout", "guard", "arg"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}
