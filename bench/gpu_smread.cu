/* bench/gpu_smread.cu — a design probe of the card for the decode body:
 *  1. how many thread-block clusters of each size the card holds at once;
 *  2. the issue cost of a decode-body-like ring (4 warps x 2 stages x 16 K
 *     and 16 V rows of 256 bytes) with cp.async 16-byte copies, and with one
 *     cp.async.bulk per row, and when the copies land;
 *  3. how many SMs, which copy path and which cluster placement a bare
 *     streaming read of one decode shape's K/V bytes (64 MiB: D128 GQA8 at
 *     32k) needs to reach the card's bandwidth.
 * CUDA only and standalone: it knows nothing of fasv's kernels, planner or
 * harness (bench/results/gpu-decode-merge-2026-11-26.md uses it).
 *
 * Read paths: "ldg" (16-byte loads, 8 blocks of 256 threads per SM: the
 * harness's floor kernel), "cpasync" (each warp a ring of cp.async 16-byte
 * copies into shared memory, like the decode body), "bulk" (one thread per
 * block streams chunks with cp.async.bulk into a ring of shared-memory
 * stages completed on mbarriers). Each launch reads one of 4 rotating 64 MiB
 * buffers (256 MiB in all, over the L2). Timing as fasv_gpu_time: a spin
 * kernel first, then the launches back to back with an event between each
 * two; median of REPS. Output: one line per configuration: path, blocks,
 * cluster size, bytes in flight per block, median us, GB/s (bytes read); then
 * the 1 GiB device-to-device copy bandwidth (read + write).
 * Build: the CUDA preset's target gpu_smread (or nvcc -O3 -arch=sm_90).
 * Usage: gpu_smread [--probe-only]   (--probe-only: parts 1 and 2) */
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <cuda_runtime.h>

#define CK(x)                                                                                    \
    do {                                                                                         \
        cudaError_t e_ = (x);                                                                    \
        if (e_ != cudaSuccess) {                                                                 \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e_)); \
            exit(1);                                                                             \
        }                                                                                        \
    } while (0)

static const size_t TOTAL = (size_t)64 << 20; /* K + V of D128 GQA8 at n_kv = 32k, f16 */
static const int NROT = 4, REPS = 30, WARM = 5;

__global__ void spin(long long cycles) {
    const long long t0 = clock64();
    while (clock64() - t0 < cycles) {
    }
}

__global__ void __launch_bounds__(256) ldg_read(const uint4 *src, size_t n16, uint4 *sink) {
    uint4 a = make_uint4(0, 0, 0, 0);
    const size_t step = (size_t)gridDim.x * blockDim.x;
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    for (; i + 3 * step < n16; i += 4 * step) {
        uint4 x[4];
#pragma unroll
        for (int u = 0; u < 4; u++) x[u] = src[i + u * step];
#pragma unroll
        for (int u = 0; u < 4; u++) a.x ^= x[u].x, a.y ^= x[u].y, a.z ^= x[u].z, a.w ^= x[u].w;
    }
    for (; i < n16; i += step) a.x ^= src[i].x;
    if (a.x == 0x7fc00001u && a.y == 0x7fc00002u) *sink = a;
}

static __device__ __forceinline__ uint32_t sa(const void *p) { return (uint32_t)__cvta_generic_to_shared(p); }
/* Spin until the mbarrier at shared address bar completes the phase of the given parity. */
static __device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity) {
    uint32_t done = 0;
    while (!done)
        asm volatile("{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2; selp.u32 %0, 1, 0, p; }"
                     : "=r"(done)
                     : "r"(bar), "r"(parity)
                     : "memory");
}
/* An mbarrier of one arrival, visible to the bulk-copy engine. */
static __device__ __forceinline__ void mbar_init(uint32_t bar) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;\n"
                 "fence.mbarrier_init.release.cluster;\n"
                 "fence.proxy.async.shared::cta;" ::"r"(bar)
                 : "memory");
}
/* The barrier's arrival, expecting `bytes` of bulk copies. */
static __device__ __forceinline__ void mbar_expect(uint32_t bar, int bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(bar), "r"(bytes) : "memory");
}
/* `bytes` from global src to shared dst, completing on bar. */
static __device__ __forceinline__ void bulk_copy(uint32_t dst, const char *src, int bytes, uint32_t bar) {
    asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];" ::"r"(dst),
                 "l"(src), "r"(bytes), "r"(bar)
                 : "memory");
}

/* bulk: one thread streams this block's chunks [c0, c1) of ch bytes through
 * st stages */
__global__ void bulk_read(const char *src, int nchunks, int ch, int st) {
    extern __shared__ __align__(128) char sm[];
    __shared__ __align__(8) unsigned long long bar[16];
    const int c0 = (int)((long long)blockIdx.x * nchunks / gridDim.x);
    const int c1 = (int)((long long)(blockIdx.x + 1) * nchunks / gridDim.x);
    if (threadIdx.x != 0) return;
    for (int s = 0; s < st; s++) mbar_init(sa(&bar[s]));
    auto issue = [&](int c, int s) {
        mbar_expect(sa(&bar[s]), ch);
        bulk_copy(sa(sm + (size_t)s * ch), src + (size_t)c * ch, ch, sa(&bar[s]));
    };
    for (int k = 0; k < st && c0 + k < c1; k++) issue(c0 + k, k);
    for (int c = c0; c < c1; c++) {
        const int k = c - c0, s = k % st;
        mbar_wait(sa(&bar[s]), (uint32_t)(k / st) & 1u);
        if (c + st < c1) issue(c + st, s);
    }
}

/* cpasync: NW warps, each a ring of ST sub-chunks of 8 KB (16 copies of 16
 * bytes a lane); the block's 8 KB sub-chunks [c0, c1), warp w every NW-th */
template <int NW, int ST>
__global__ void __launch_bounds__(32 * NW) cpa_read(const char *src, int nchunks) {
    extern __shared__ __align__(128) char sm[];
    const int c0 = (int)((long long)blockIdx.x * nchunks / gridDim.x);
    const int c1 = (int)((long long)(blockIdx.x + 1) * nchunks / gridDim.x);
    const int w = threadIdx.x >> 5, l = threadIdx.x & 31;
    char *ring = sm + (size_t)w * ST * 8192;
    auto issue = [&](int c, int s) {
#pragma unroll
        for (int u = 0; u < 16; u++)
            asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(sa(ring + s * 8192 + (u * 32 + l) * 16)),
                         "l"(src + (size_t)c * 8192 + (u * 32 + l) * 16)
                         : "memory");
    };
    int t = 0;
    for (int k = 0; k < ST; k++) {
        const int c = c0 + w + k * NW;
        if (c < c1) issue(c, k);
        asm volatile("cp.async.commit_group;" ::: "memory");
    }
    for (int c = c0 + w; c < c1; c += NW, t++) {
        asm volatile("cp.async.wait_group %0;" ::"n"(ST - 1) : "memory");
        __syncwarp();
        const int cn = c + ST * NW;
        if (cn < c1) issue(cn, t % ST);
        asm volatile("cp.async.commit_group;" ::: "memory");
    }
    asm volatile("cp.async.wait_group 0;" ::: "memory");
}


/* issue probe: how long a decode-body-like block (4 warps) takes to issue
 * its ring's first two stages (per warp and stage: 16 K rows and 16 V rows
 * of 256 bytes, rows `rs` bytes apart), and when they land: mode 0 with
 * cp.async 16-byte copies (the decode body's way), mode 1 with one
 * cp.async.bulk of a row per lane, completing on an mbarrier per stage.
 * Per block: ns from start to issued, to warp 0's stage 0 landed, to all
 * landed (globaltimer). */
template <int MODE>
__global__ void __launch_bounds__(128) issue_probe(const char *kv, long long rs, long long vofs, unsigned long long *out) {
    extern __shared__ __align__(128) char sm[];
    __shared__ __align__(8) unsigned long long bar[8];
    constexpr int ROWB = 256, PADB = MODE ? 272 : 256, SUB = 16 * PADB;
    const int w = threadIdx.x >> 5, l = threadIdx.x & 31;
    unsigned long long t0, t1, t2, t3;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
    const char *kb = kv + (long long)blockIdx.x * 64 * rs; /* block b: keys 64 b .. */
    char *ring = sm + w * 2 * 2 * SUB;
    if (MODE == 1 && l == 0)
        for (int st = 0; st < 2; st++) mbar_init(sa(&bar[w * 2 + st]));
    __syncwarp();
    for (int st = 0; st < 2; st++) {
        const long long j = st * 64 + w * 16; /* the warp's keys of step st */
        char *kt = ring + st * 2 * SUB;
        if (MODE == 0) {
            const int r0 = l / 16, c0 = l % 16;
#pragma unroll
            for (int t = 0; t < 8; t++) {
                const int r = r0 + 2 * t;
                asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(sa(kt + r * ROWB + ((c0 ^ (r & 7)) * 16))),
                             "l"(kb + (j + r) * rs + c0 * 16)
                             : "memory");
                asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(sa(kt + SUB + r * ROWB + ((c0 ^ (r & 7)) * 16))),
                             "l"(kb + vofs + (j + r) * rs + c0 * 16)
                             : "memory");
            }
            asm volatile("cp.async.commit_group;" ::: "memory");
        } else {
            const uint32_t b = sa(&bar[w * 2 + st]);
            if (l == 0) mbar_expect(b, 32 * ROWB);
            __syncwarp();
            const int r = l & 15, isv = l >> 4;
            bulk_copy(sa(kt + isv * SUB + r * PADB), kb + isv * vofs + (j + r) * rs, ROWB, b);
        }
    }
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t1));
    if (MODE == 0) asm volatile("cp.async.wait_group 1;" ::: "memory");
    else mbar_wait(sa(&bar[w * 2]), 0);
    __syncwarp();
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t2));
    if (MODE == 0) asm volatile("cp.async.wait_group 0;" ::: "memory");
    else mbar_wait(sa(&bar[w * 2 + 1]), 0);
    __syncthreads();
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t3));
    if (threadIdx.x == 0) {
        out[blockIdx.x * 4 + 0] = t0;
        out[blockIdx.x * 4 + 1] = t1 - t0;
        out[blockIdx.x * 4 + 2] = t2 - t0;
        out[blockIdx.x * 4 + 3] = t3 - t0;
    }
}

static void run_issue_probe(char *buf, int nsm) {
    unsigned long long *d;
    CK(cudaMalloc(&d, (size_t)nsm * 4 * 8));
    std::vector<unsigned long long> h((size_t)nsm * 4);
    const long long rs = 1024, vofs = (long long)(32 << 20); /* K rows 1 KB apart (4 kv heads x 256 B); V 32 MiB on */
    CK(cudaFuncSetAttribute(issue_probe<0>, cudaFuncAttributeMaxDynamicSharedMemorySize, 100 << 10));
    CK(cudaFuncSetAttribute(issue_probe<1>, cudaFuncAttributeMaxDynamicSharedMemorySize, 100 << 10));
    printf("# issue probe: 4 warps x 2 stages x (16 K + 16 V rows of 256 B), one block per SM; median over blocks of 5 runs (ns)\n");
    printf("%-10s %10s %14s %12s\n", "mode", "issued", "stage0 (w0)", "all landed");
    for (int mode = 0; mode < 2; mode++) {
        std::vector<double> a, b, c;
        for (int rep = 0; rep < 6; rep++) {
            const char *src = buf + (size_t)(rep % NROT) * TOTAL;
            if (mode == 0) issue_probe<0><<<nsm, 128, 100 << 10>>>(src, rs, vofs, d);
            else issue_probe<1><<<nsm, 128, 100 << 10>>>(src, rs, vofs, d);
            CK(cudaDeviceSynchronize());
            CK(cudaMemcpy(h.data(), d, h.size() * 8, cudaMemcpyDeviceToHost));
            if (rep == 0) continue; /* warm-up */
            for (int i = 0; i < nsm; i++) a.push_back(h[i * 4 + 1]), b.push_back(h[i * 4 + 2]), c.push_back(h[i * 4 + 3]);
        }
        std::sort(a.begin(), a.end()), std::sort(b.begin(), b.end()), std::sort(c.begin(), c.end());
        printf("%-10s %10.0f %14.0f %12.0f\n", mode ? "bulk/row" : "cp.async", a[a.size() / 2], b[b.size() / 2], c[c.size() / 2]);
    }
    CK(cudaFree(d));
}

struct cfg {
    const char *path;
    int blocks, cluster, ch, st, nw;
};

static double med(std::vector<float> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

/* A launch of `blocks` blocks in clusters of `cluster` (at: its attribute's storage). */
static cudaLaunchConfig_t cluster_cfg(cudaLaunchAttribute *at, int blocks, int cluster) {
    cudaLaunchConfig_t lc = {};
    at->id = cudaLaunchAttributeClusterDimension;
    at->val.clusterDim.x = cluster, at->val.clusterDim.y = 1, at->val.clusterDim.z = 1;
    lc.gridDim = dim3(blocks), lc.attrs = at, lc.numAttrs = 1;
    return lc;
}

/* The median ms of launch(k) for k in [warm, warm + reps): a spin kernel
 * first, then the launches back to back with an event between each two. */
template <typename F> static double time_median_ms(int warm, int reps, F launch) {
    std::vector<cudaEvent_t> ev(warm + reps + 1);
    for (auto &e : ev) CK(cudaEventCreate(&e));
    spin<<<1, 1>>>(20000000);
    for (int k = 0; k < warm + reps; k++) {
        CK(cudaEventRecord(ev[k]));
        launch(k);
    }
    CK(cudaEventRecord(ev[warm + reps]));
    CK(cudaDeviceSynchronize());
    std::vector<float> ms;
    for (int k = warm; k < warm + reps; k++) {
        float f;
        CK(cudaEventElapsedTime(&f, ev[k], ev[k + 1]));
        ms.push_back(f);
    }
    for (auto &e : ev) CK(cudaEventDestroy(e));
    return med(ms);
}

int main(int argc, char **argv) {
    const bool probe_only = argc == 2 && !strcmp(argv[1], "--probe-only");
    if (argc > 1 && !probe_only) {
        const bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
        if (!help) fprintf(stderr, "gpu_smread: unknown option %s\n", argv[1]);
        fprintf(help ? stdout : stderr, "usage: gpu_smread [--probe-only]\n"
               "  clusters held at once, the issue cost of a decode-body-like ring, and (unless\n"
               "  --probe-only) read bandwidth by SM count, copy path and cluster placement;\n"
               "  see the comment at the top of bench/gpu_smread.cu\n");
        return help ? 0 : 2;
    }
    cudaDeviceProp pr;
    CK(cudaGetDeviceProperties(&pr, 0));
    const int nsm = pr.multiProcessorCount;
    printf("# %s, %d SMs, L2 %d MB; read of %zu MiB, %d rotating buffers, median of %d\n", pr.name, nsm,
           pr.l2CacheSize >> 20, TOTAL >> 20, NROT, REPS);
    char *buf;
    CK(cudaMalloc(&buf, TOTAL * NROT));
    CK(cudaMemset(buf, 1, TOTAL * NROT));
    uint4 *sink;
    CK(cudaMalloc(&sink, 64));
    const int big = 200 << 10;
    CK(cudaFuncSetAttribute(bulk_read, cudaFuncAttributeMaxDynamicSharedMemorySize, big));
    CK(cudaFuncSetAttribute(bulk_read, cudaFuncAttributeNonPortableClusterSizeAllowed, 1));
    CK(cudaFuncSetAttribute(cpa_read<4, 2>, cudaFuncAttributeMaxDynamicSharedMemorySize, big));
    CK(cudaFuncSetAttribute(cpa_read<8, 2>, cudaFuncAttributeMaxDynamicSharedMemorySize, big));
    CK(cudaFuncSetAttribute(cpa_read<8, 3>, cudaFuncAttributeMaxDynamicSharedMemorySize, big));
    CK(cudaFuncSetAttribute(cpa_read<8, 2>, cudaFuncAttributeNonPortableClusterSizeAllowed, 1));
    CK(cudaFuncSetAttribute(cpa_read<4, 2>, cudaFuncAttributeNonPortableClusterSizeAllowed, 1));

    /* clusters held at once: a 1-block-per-SM kernel (120 KB of shared memory) */
    printf("# clusters held at once (1 block per SM, 120 KB shared):");
    for (int cs : {1, 2, 4, 8, 12, 13, 14, 15, 16}) {
        cudaLaunchAttribute at;
        cudaLaunchConfig_t lc = cluster_cfg(&at, cs * 16, cs);
        lc.blockDim = dim3(32), lc.dynamicSmemBytes = 120 << 10;
        int n = -1;
        cudaError_t e = cudaOccupancyMaxActiveClusters(&n, (void *)bulk_read, &lc);
        printf(" size %d: %d%s", cs, n, e == cudaSuccess ? "" : cudaGetErrorString(e));
    }
    printf("\n");

    run_issue_probe(buf, nsm);
    if (probe_only) return 0;
    std::vector<cfg> cs;
    cs.push_back({"ldg", nsm * 8, 1, 0, 0, 8});
    for (int nb : {nsm, 128, 96, 66, 64})
        for (auto p : {std::make_pair(16, 4), std::make_pair(32, 4), std::make_pair(32, 6), std::make_pair(16, 12)})
            cs.push_back({"bulk", nb, 1, p.first << 10, p.second, 1});
    cs.push_back({"bulk", 64, 16, 32 << 10, 6, 1});
    cs.push_back({"bulk", 112, 14, 16 << 10, 4, 1});
    cs.push_back({"bulk", 112, 14, 32 << 10, 4, 1});
    cs.push_back({"cpasync", 112, 14, 8192, 2, 4});
    cs.push_back({"cpasync", 112, 1, 8192, 2, 4});
    cs.push_back({"bulk", 64, 8, 32 << 10, 6, 1});
    cs.push_back({"bulk", 128, 16, 16 << 10, 4, 1});
    cs.push_back({"bulk", 128, 8, 16 << 10, 4, 1});
    for (int nb : {nsm, 128, 64}) {
        cs.push_back({"cpasync", nb, 1, 8192, 2, 4});
        cs.push_back({"cpasync", nb, 1, 8192, 2, 8});
        cs.push_back({"cpasync", nb, 1, 8192, 3, 8});
    }
    cs.push_back({"cpasync", 64, 16, 8192, 2, 8});

    printf("%-8s %6s %7s %9s %9s %8s\n", "path", "blocks", "cluster", "inflight", "us(med)", "GB/s");
    for (const cfg &c : cs) {
        auto launch = [&](int k) {
            const char *src = buf + (size_t)(k % NROT) * TOTAL;
            if (!strcmp(c.path, "ldg")) {
                ldg_read<<<c.blocks, 256>>>((const uint4 *)src, TOTAL / 16, sink);
                return;
            }
            cudaLaunchAttribute at;
            cudaLaunchConfig_t lc = cluster_cfg(&at, c.blocks, c.cluster);
            if (!strcmp(c.path, "bulk")) {
                lc.blockDim = dim3(32), lc.dynamicSmemBytes = std::max(120 << 10, c.ch * c.st);
                CK(cudaLaunchKernelEx(&lc, bulk_read, src, (int)(TOTAL / c.ch), c.ch, c.st));
            } else {
                lc.blockDim = dim3(32 * c.nw), lc.dynamicSmemBytes = std::max(120 << 10, c.nw * c.st * 8192);
                const int n = (int)(TOTAL / 8192);
                if (c.nw == 4) CK(cudaLaunchKernelEx(&lc, cpa_read<4, 2>, src, n));
                else if (c.st == 2) CK(cudaLaunchKernelEx(&lc, cpa_read<8, 2>, src, n));
                else CK(cudaLaunchKernelEx(&lc, cpa_read<8, 3>, src, n));
            }
        };
        const double us = time_median_ms(WARM, REPS, launch) * 1e3;
        const int inflight = !strcmp(c.path, "ldg") ? 0 : !strcmp(c.path, "bulk") ? c.ch * c.st : c.nw * c.st * 8192;
        printf("%-8s %6d %7d %8dK %9.2f %8.0f\n", c.path, c.blocks, c.cluster, inflight >> 10, us, TOTAL / us / 1e3);
    }
    /* the copy: 1 GiB, read + write */
    {
        char *a, *b;
        const size_t n = (size_t)1 << 30;
        CK(cudaMalloc(&a, n));
        CK(cudaMalloc(&b, n));
        const double ms = time_median_ms(1, 10, [&](int) { CK(cudaMemcpyAsync(b, a, n, cudaMemcpyDeviceToDevice)); });
        printf("# copy 1 GiB: %.0f GB/s (read + write); 70%% of it over 64 MiB = %.2f us\n", 2.0 * n / ms / 1e6,
               TOTAL / (0.7 * 2.0 * n / ms / 1e6) / 1e3);
    }
    return 0;
}
