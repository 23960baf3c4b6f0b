/* kernels/gpu/gpu_none.c — fasv/gpu.h where no GPU toolchain was built.
 *
 * Owns: the answers of a build without hipcc or nvcc: no devices, and every
 * call that would touch one fails with FASV_GPU_ENODEV and says why. This is
 * what lets `fasv run` and `fasv fuzz --gpu` exist (and exit 2 with "no GPU")
 * in the default, CPU-only build.
 * Must not know: kernels, planners.
 */
#include <stdio.h>

#include "fasv/gpu.h"

#define NO_GPU "no GPU: this fasv was built without a GPU toolchain (configure with the hip or cuda preset)"

const char *fasv_gpu_status_name(fasv_gpu_status s) {
    static const char *names[] = {"ok", "no-device", "oom", "route", "launch", "fault", "timeout", "guard", "arg"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *fasv_gpu_backend(void) { return "none"; }
int fasv_gpu_count(void) { return 0; }

fasv_gpu_status fasv_gpu_open(int ordinal, fasv_gpu **out, char *err, size_t errlen) {
    (void)ordinal;
    *out = NULL;
    snprintf(err, errlen, NO_GPU);
    return FASV_GPU_ENODEV;
}
void fasv_gpu_close(fasv_gpu *g) { (void)g; }
const fasv_gpu_info *fasv_gpu_get_info(const fasv_gpu *g) {
    (void)g;
    return NULL;
}

fasv_gpu_status fasv_gpu_alloc(fasv_gpu *g, int64_t bytes, fasv_gpu_buf **out, char *err, size_t errlen) {
    (void)g, (void)bytes;
    *out = NULL;
    snprintf(err, errlen, NO_GPU);
    return FASV_GPU_ENODEV;
}
void fasv_gpu_free(fasv_gpu *g, fasv_gpu_buf *b) { (void)g, (void)b; }
int64_t fasv_gpu_buf_bytes(const fasv_gpu_buf *b) {
    (void)b;
    return 0;
}

#define NODEV(...)                        \
    do {                                  \
        (void)g, (void)b;                 \
        snprintf(err, errlen, NO_GPU);    \
        return FASV_GPU_ENODEV;           \
    } while (0)

fasv_gpu_status fasv_gpu_upload(fasv_gpu *g, fasv_gpu_buf *b, const void *src, int64_t bytes, char *err, size_t errlen) {
    (void)src, (void)bytes;
    NODEV();
}
fasv_gpu_status fasv_gpu_download(fasv_gpu *g, const fasv_gpu_buf *b, void *dst, int64_t bytes, char *err,
                                  size_t errlen) {
    (void)dst, (void)bytes;
    NODEV();
}
fasv_gpu_status fasv_gpu_fill32(fasv_gpu *g, fasv_gpu_buf *b, uint32_t pattern, char *err, size_t errlen) {
    (void)pattern;
    NODEV();
}
fasv_gpu_status fasv_gpu_check_guards(fasv_gpu *g, const fasv_gpu_buf *b, char *err, size_t errlen) { NODEV(); }
fasv_gpu_status fasv_gpu_run(fasv_gpu *g, const fasv_gpu_launch *l, double *ms, char *err, size_t errlen) {
    const void *b = l;
    (void)ms;
    NODEV();
}
fasv_gpu_status fasv_gpu_time(fasv_gpu *g, const fasv_gpu_launch *l, int nl, int warmup, int reps, double *ms,
                              char *err, size_t errlen) {
    const void *b = l;
    (void)nl, (void)warmup, (void)reps, (void)ms;
    NODEV();
}
fasv_gpu_status fasv_gpu_time_copy(fasv_gpu *g, fasv_gpu_buf *dst, const fasv_gpu_buf *src, int64_t bytes, int warmup,
                                   int reps, double *ms, char *err, size_t errlen) {
    const void *b = src;
    (void)dst, (void)bytes, (void)warmup, (void)reps, (void)ms;
    NODEV();
}
fasv_gpu_status fasv_gpu_time_read(fasv_gpu *g, const fasv_gpu_buf *src, int64_t bytes, int nrot, fasv_gpu_buf *sink,
                                   int warmup, int reps, double *ms, char *err, size_t errlen) {
    const void *b = src;
    (void)bytes, (void)nrot, (void)sink, (void)warmup, (void)reps, (void)ms;
    NODEV();
}
int fasv_gpu_has_instance(const fasv_route *r, char *why, size_t len) {
    (void)r;
    snprintf(why, len, "no GPU kernels in this build");
    return -1;
}
int fasv_gpu_set_fault(const char *name) {
    (void)name;
    return 0;
}
