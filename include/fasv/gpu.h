/* fasv/gpu.h — the small C interface to a real GPU.
 *
 * Owns: opening a device and naming it (product, architecture, the modeled
 * device it maps to), buffers with guard bytes before and after every
 * allocation, upload/download, launching a route of the built-in target, and
 * turning every GPU error (no device, out of memory, launch failure, device
 * fault, a kernel that does not finish in time) into a status and one clear
 * line. Implemented by kernels/gpu/launch.hip under hipcc or nvcc, and by
 * kernels/gpu/gpu_none.c where no GPU toolchain was built (every call then
 * answers FASV_GPU_ENODEV), so CPU-only builds link the same programs.
 * Must not know: planners' logic, the oracle, case files.
 */
#ifndef FASV_GPU_H
#define FASV_GPU_H

#include <stddef.h>
#include <stdint.h>

#include "fasv/node.h"
#include "fasv/route.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fasv_gpu_status {
    FASV_GPU_OK = 0,
    FASV_GPU_ENODEV,   /* no GPU toolkit in this build, no device, or a bad ordinal */
    FASV_GPU_EOOM,     /* device allocation failed */
    FASV_GPU_EROUTE,   /* the route cannot be launched: unknown instance, geometry over the device's limits */
    FASV_GPU_ELAUNCH,  /* the launch itself was refused */
    FASV_GPU_EFAULT,   /* the kernel faulted (illegal address, ...); the device context is lost */
    FASV_GPU_ETIMEOUT, /* the kernel did not finish within the timeout; the device is unusable */
    FASV_GPU_EGUARD,   /* guard bytes around a buffer were overwritten */
    FASV_GPU_EARG,     /* bad argument */
} fasv_gpu_status;

const char *fasv_gpu_status_name(fasv_gpu_status s); /* "ok", "no-device", "oom", ... */

/* "hip", "cuda" or "none": the toolchain this build links. */
const char *fasv_gpu_backend(void);
/* Number of devices (0 with no toolkit or no device). */
int fasv_gpu_count(void);

typedef struct fasv_gpu_info {
    char name[128];     /* product name the runtime reports */
    char arch[64];      /* "sm_90", "gfx90a" (feature suffixes stripped) */
    char model[32];     /* the fasv_device it maps to ("sm_90"), "" if none */
    int warp_size;
    int n_sm;
    int64_t mem_bytes;
    int64_t smem_per_block; /* opt-in maximum */
} fasv_gpu_info;

typedef struct fasv_gpu fasv_gpu;

/* Open device ordinal; err gets one line on failure. */
fasv_gpu_status fasv_gpu_open(int ordinal, fasv_gpu **out, char *err, size_t errlen);
void fasv_gpu_close(fasv_gpu *g);
const fasv_gpu_info *fasv_gpu_get_info(const fasv_gpu *g);

/* Guarded device buffers. FASV_GPU_GUARD bytes of a known pattern lie
 * before and after the user region of every buffer; check_guards reports
 * the first changed byte. */
#define FASV_GPU_GUARD 4096
typedef struct fasv_gpu_buf fasv_gpu_buf;
fasv_gpu_status fasv_gpu_alloc(fasv_gpu *g, int64_t bytes, fasv_gpu_buf **out, char *err, size_t errlen);
void fasv_gpu_free(fasv_gpu *g, fasv_gpu_buf *b);
int64_t fasv_gpu_buf_bytes(const fasv_gpu_buf *b);
fasv_gpu_status fasv_gpu_upload(fasv_gpu *g, fasv_gpu_buf *b, const void *src, int64_t bytes, char *err, size_t errlen);
fasv_gpu_status fasv_gpu_download(fasv_gpu *g, const fasv_gpu_buf *b, void *dst, int64_t bytes, char *err,
                                  size_t errlen);
/* Fill the user region with a repeated 32-bit pattern (output poison). */
fasv_gpu_status fasv_gpu_fill32(fasv_gpu *g, fasv_gpu_buf *b, uint32_t pattern, char *err, size_t errlen);
/* FASV_GPU_OK when both guards are intact; else FASV_GPU_EGUARD and err says
 * which side and the first changed byte. */
fasv_gpu_status fasv_gpu_check_guards(fasv_gpu *g, const fasv_gpu_buf *b, char *err, size_t errlen);

/* One launch of a route. buf[id] holds tensor id's buffer (the buffer it
 * owns; NULL when absent or when it lives in another tensor's buffer), out
 * the f32 output (fasv_out_count floats), scratch the route's scratch (may be
 * NULL when the route needs none). */
typedef struct fasv_gpu_launch {
    const fasv_node *node;
    const fasv_route *route;
    fasv_gpu_buf *buf[FASV_NT];
    fasv_gpu_buf *out;
    fasv_gpu_buf *scratch;
    double timeout_s; /* 0 = 10 s */
} fasv_gpu_launch;

/* Launch and wait (polling, never blocking past the timeout). *ms, when not
 * NULL, gets the device time of the launch. */
fasv_gpu_status fasv_gpu_run(fasv_gpu *g, const fasv_gpu_launch *l, double *ms, char *err, size_t errlen);

/* Benchmarks (bench/gpu_perf). warmup + reps launches enqueued back to back
 * behind a spin kernel (so the queue is full before the first one starts and
 * no host gap falls inside a measurement), launch k using l[k % nl] (rotating
 * buffer sets, so that the cache does not serve repeated inputs), each
 * bracketed by device events; ms[k] (k < reps) gets the device time of timed
 * launch k (kernel plus split combine). Every l[i] is checked like
 * fasv_gpu_run's. */
fasv_gpu_status fasv_gpu_time(fasv_gpu *g, const fasv_gpu_launch *l, int nl, int warmup, int reps, double *ms,
                              char *err, size_t errlen);
/* The same for device-to-device copies of `bytes` from src to dst. */
fasv_gpu_status fasv_gpu_time_copy(fasv_gpu *g, fasv_gpu_buf *dst, const fasv_gpu_buf *src, int64_t bytes, int warmup,
                                   int reps, double *ms, char *err, size_t errlen);

/* The same for a bare streaming read (the floor of a memory-bound kernel in
 * this harness): launch k reads bytes [o, o + bytes) of src with o = (k %
 * nrot) * bytes, 16 bytes a load, and writes nothing that matters (sink: 16
 * bytes, written only on a value the data never has). bytes a multiple of 16;
 * nrot * bytes <= src's size. */
fasv_gpu_status fasv_gpu_time_read(fasv_gpu *g, const fasv_gpu_buf *src, int64_t bytes, int nrot, fasv_gpu_buf *sink,
                                   int warmup, int reps, double *ms, char *err, size_t errlen);

/* Is there a kernel for this route's instance in this build? 0 = yes; else a
 * reason in why. */
int fasv_gpu_has_instance(const fasv_route *r, char *why, size_t len);

/* Test-only fault injection: "kv-tail" makes every ragged KV range read one
 * key past its end (a tail loop's <= for <). Read from the environment
 * variable FASV_GPU_FAULT on first use; fasv_gpu_set_fault overrides it.
 * Never set outside tests. */
int fasv_gpu_set_fault(const char *name); /* 0, or -1 for an unknown name */

#ifdef __cplusplus
}
#endif
#endif
