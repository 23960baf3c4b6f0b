/* kernels/gpu/fuzz_kernel.cpp — libFuzzer harness for the GPU kernels.
 *
 * The fuzzer's bytes drive fasv_random_case (through fasv_rng, so byte edits
 * are edits of head sizes, types, GQA, n_kv, masks, layouts ...) to a legal
 * case within 16 MiB of buffers, which is checked on GPU 0 (or $FASV_GPU) as
 * `fasv run` does: plan for the GPU's modeled device, guarded buffers,
 * poisoned output, two launches compared bit for bit, the oracle's
 * tolerance. A finding prints the case and the verdict and aborts, so
 * libFuzzer keeps the input; a kernel fault is a finding too (the process
 * ends, which is libFuzzer's isolation). Built only with a GPU toolchain and
 * a compiler that has libFuzzer (the hip preset's hipcc, or clang);
 * elsewhere `fasv fuzz --gpu` is the host loop.
 * Must not know: planner or kernel internals.
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fasv/build.h"
#include "fasv/gpucheck.h"

static fasv_gpu *g_gpu;

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *env = getenv("FASV_GPU");
    char err[512];
    if (fasv_gpu_open(env ? atoi(env) : 0, &g_gpu, err, sizeof err) != FASV_GPU_OK) {
        fprintf(stderr, "fuzz_kernel: %s\n", err);
        exit(2);
    }
    const fasv_gpu_info *in = fasv_gpu_get_info(g_gpu);
    fprintf(stderr, "fuzz_kernel: %s (%s, modeled as %s)\n", in->name, in->arch, in->model);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fasv_rng r;
    fasv_rng_bytes(&r, data, size);
    fasv_rand_opts o;
    memset(&o, 0, sizeof o);
    o.max_bytes = (int64_t)16 << 20;
    o.max_work = (int64_t)1 << 26;
    o.device = fasv_gpu_get_info(g_gpu)->model;
    fasv_case c;
    fasv_random_case(&r, &o, &c);
    fasv_gpu_check_opts co;
    fasv_gpu_check_opts_default(&co);
    fasv_gpu_result res;
    if (fasv_gpu_check_case(g_gpu, &c, &co, &res) == FASV_GPU_FINDING) {
        char *text = fasv_case_to_string(&c);
        fprintf(stderr, "fuzz_kernel: finding\n%s", text ? text : "");
        free(text);
        fasv_gpu_result_print(stderr, &c, &res);
        abort();
    }
    return 0;
}
