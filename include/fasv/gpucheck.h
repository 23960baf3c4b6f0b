/* fasv/gpucheck.h — one case on a real GPU, judged; and the GPU fuzz loop.
 *
 * Owns: the check `fasv run` performs and every GPU fuzz worker repeats:
 * plan for the modeled device the real GPU maps to, generate the data
 * (stride gaps and padding NaN), allocate with guard bytes, poison the
 * output, run, check guards and inputs, check every output element was
 * written, run again and demand identical bits, and judge the output
 * against the oracle through the tolerance model. Also the GPU fuzz loop
 * (kernels/gpu/gpu_fuzz.c): worker processes, one per GPU, over one stream
 * of random legal cases; a fault or hang in one case is isolated, recorded
 * with its reproducer, and the worker restarted after a health probe.
 * Must not know: how the target plans; kernel internals. (The oracle's
 * verdict is kept as figures and text, so this header needs no oracle type.)
 */
#ifndef FASV_GPUCHECK_H
#define FASV_GPUCHECK_H

#include <stdint.h>
#include <stdio.h>

#include "fasv/case.h"
#include "fasv/gpu.h"
#include "fasv/json.h"
#include "fasv/target.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fasv_gpu_outcome {
    FASV_GPU_PASS = 0,    /* every check held */
    FASV_GPU_FINDING = 1, /* the target or its kernel is wrong: kind/detail say how */
    FASV_GPU_SKIP = 2,    /* outside the target's envelope: nothing to run */
    FASV_GPU_ERROR = 3,   /* could not check: illegal case, no GPU, out of memory, ... */
} fasv_gpu_outcome;

typedef struct fasv_gpu_check_opts {
    const fasv_target *target; /* NULL = fasv_builtin_target() */
    double timeout_s;          /* per launch; 0 = 10 s */
    int64_t max_bytes;         /* bound on the case's buffers; 0 = the generator's default */
    int oracle_threads;        /* 0 = all CPUs */
    int runs;                  /* launches compared for identical bits; 0 = 2 */
} fasv_gpu_check_opts;

typedef struct fasv_gpu_result {
    fasv_gpu_outcome outcome;
    char kind[32];        /* finding: "numerics", "guard", "input-write", "unwritten",
                             "nondeterministic", "fault", "timeout", "launch", "route",
                             "missing-kernel", or a route property ("totality", "contract", ...) */
    char detail[768];     /* one or more lines with the figures */
    char model[32];       /* the modeled device planned for */
    fasv_route route;
    int has_verdict;      /* the oracle comparison ran: */
    int verdict_pass;
    char gate[16];        /* first failed gate ("pass" when none) */
    double err_max;       /* worst row error, in units of the row scale */
    double worst_ratio;   /* worst row error / its bound (<= 1 passes) */
    double max_abs, nmse; /* plain figures */
    char verdict_text[1536]; /* the oracle's verdict block, as fasv_judgement_print writes it */
    int device_lost;      /* a fault or timeout: the GPU context must be abandoned */
    double gen_ms, kernel_ms, oracle_ms, total_ms;
    int64_t out_count;
} fasv_gpu_result;

void fasv_gpu_check_opts_default(fasv_gpu_check_opts *o);

/* Check case c on g (planned for g's modeled device; the case's own device
 * field is ignored). Always fills *res; returns res->outcome. */
fasv_gpu_outcome fasv_gpu_check_case(fasv_gpu *g, const fasv_case *c, const fasv_gpu_check_opts *o,
                                     fasv_gpu_result *res);

/* Human-readable and JSON renderings of a result. */
void fasv_gpu_result_print(FILE *f, const fasv_case *c, const fasv_gpu_result *r);
void fasv_gpu_result_json(fasv_json *j, const fasv_gpu_result *r);

/* ---- GPU fuzzing (kernels/gpu/gpu_fuzz.c) -------------------------------- */

typedef struct fasv_gpu_fuzz_opts {
    const int *gpus;       /* device ordinals, one worker each */
    int n_gpus;
    uint64_t seed;
    int64_t max_cases;     /* 0 = no limit */
    double max_time_s;     /* 0 = no limit */
    int64_t max_bytes;     /* per case buffers; 0 = 64 MiB */
    int64_t max_work;      /* per case n_head*n_seq*n_q*n_kv*(Dk+Dv); 0 = 2^28 */
    int focus;             /* fasv_focus of the generator (fasv/build.h); 0 = the general mix */
    double timeout_s;      /* per launch; 0 = 10 s */
    double hang_s;         /* worker silent this long = hung; 0 = 300 s */
    const char *findings_dir; /* reproducers go here; NULL = "findings/gpu" */
    const fasv_target *target; /* NULL = builtin */
    int quiet;
    FILE *log;             /* progress and findings (NULL = stderr) */
    volatile int *stop;    /* set nonzero to stop early (NULL = only SIGINT) */
    /* called for each new finding (first of its signature), with the case,
     * the result, the reproducer's path and a signature */
    void (*on_finding)(void *ctx, const fasv_case *c, const fasv_gpu_result *r, const char *path, const char *sig);
    void *ctx;
} fasv_gpu_fuzz_opts;

typedef struct fasv_gpu_fuzz_stats {
    int64_t cases, passed, skipped, errors, findings, unique_findings;
    int64_t restarts;
    double wall_s, gen_s, kernel_s, oracle_s, worker_s; /* summed over workers */
    char first_finding[512]; /* path of the first reproducer written ("" if none) */
} fasv_gpu_fuzz_stats;

/* Number of GPUs, asked in a forked child: a process that will fork GPU
 * workers must not initialize the GPU runtime itself (CUDA does not survive
 * fork), so callers of fasv_gpu_fuzz count with this, not fasv_gpu_count. */
int fasv_gpu_count_isolated(void);

/* Run the loop. Returns 0 when no finding, 1 with findings, 2 when no worker
 * could start (no GPU: err says why). */
int fasv_gpu_fuzz(const fasv_gpu_fuzz_opts *o, fasv_gpu_fuzz_stats *st, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
