/* fz_run.h — the built-in structure-aware fuzzer behind `fasv fuzz` (and
 * the fuzz phase of `fasv verify`), for hosts without clang.
 *
 * Owns: the run loop (fresh cases from fasv_random_case, mutants of corpus
 * entries from fz_mutate), worker threads, route classes covered (distinct
 * (device, family, instance key)), a class-guided corpus (a case that
 * reaches a new class is kept, and written as readable text), findings
 * deduplicated by signature (each written as a readable .case with its
 * signature in a comment, atomically: a stopped run keeps what it wrote),
 * progress lines and stop conditions (runs, time, an asynchronous flag).
 * Must not know: how the target decides; engines; GPUs.
 */
#ifndef FASV_FZ_RUN_H
#define FASV_FZ_RUN_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "fasv/props.h"
#include "fz_mutate.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fasv_fuzz_opts {
    const fasv_target *target;
    int64_t runs;                /* executions in all; 0 = no limit */
    double max_time;             /* seconds; 0 = no limit */
    int jobs;                    /* worker threads (1 = deterministic for a seed and --runs) */
    uint64_t seed;
    const char *corpus_dir;      /* seeds read from it, new-class cases written to it; NULL = none */
    const char *artifacts_dir;   /* findings written to it (created on the first); NULL = memory only */
    FILE *progress;              /* progress and new findings; NULL = quiet */
    double progress_every;       /* seconds between progress lines; 0 = 1 */
    volatile sig_atomic_t *stop; /* nonzero = stop soon (Ctrl-C); may be NULL */
    fasv_mutate_opts mutate;     /* bounds of generated cases (zero = shapes only) */
    /* Called with each legal case just before it is checked, with the worker
     * thread's index (0 for corpus seeds): lets a supervisor (fz_guard.h) know
     * what a crashed process was doing. NULL = none. */
    void (*on_case)(void *ctx, int worker, const fasv_case *c);
    void *on_case_ctx;
} fasv_fuzz_opts;

typedef struct fasv_fuzz_find {
    char signature[FASV_SIG_LEN];
    fasv_prop kind;
    char device[FASV_DEVICE_NAME_MAX];
    char detail[FASV_DETAIL_LEN];
    fasv_case c;     /* the case as found, with device and signature comments */
    char path[1024]; /* where it was written, or "" */
    int64_t hits;    /* executions that hit this signature */
    int64_t first;   /* index of the first execution that hit it */
} fasv_fuzz_find;

typedef struct fasv_fuzz_result {
    int64_t execs;         /* legal cases checked (each on every device) */
    int64_t rejected;      /* generated cases that were not legal (a mutator bug if nonzero) */
    double seconds;
    int classes;           /* distinct (device, family, instance key) routes reached */
    int corpus_loaded;     /* legal seeds read from corpus_dir */
    int corpus_size;       /* entries at the end */
    int stopped;           /* the stop flag ended the run */
    int write_errors;      /* files that could not be written */
    int n_found;
    fasv_fuzz_find *found; /* in order of discovery */
} fasv_fuzz_result;

/* Run. 0 (findings or not: see res->n_found), or -1 with err when the run
 * cannot start (corpus or artifacts directory unusable). */
int fasv_fuzz_run(const fasv_fuzz_opts *o, fasv_fuzz_result *res, char *err, size_t errlen);
void fasv_fuzz_result_free(fasv_fuzz_result *res);

/* File name of a finding: KIND-<16 hex digits of the signature's hash>.case */
void fasv_finding_file_name(const char *signature, fasv_prop kind, char *out, size_t len);
/* Write text to dir/name through a temporary file and a rename. */
int fasv_write_atomic(const char *dir, const char *name, const char *text, char *path_out, size_t path_len);

#ifdef __cplusplus
}
#endif
#endif
