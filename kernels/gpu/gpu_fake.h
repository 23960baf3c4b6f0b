/* kernels/gpu/gpu_fake.h — controls of the CPU test double of fasv/gpu.h
 * (kernels/gpu/gpu_fake.c), for tests only. */
#ifndef FASV_GPU_FAKE_H
#define FASV_GPU_FAKE_H

enum {
    FASV_FAKE_NONE = 0,
    FASV_FAKE_CRASH,     /* the process aborts inside the launch */
    FASV_FAKE_HANG,      /* the launch never returns */
    FASV_FAKE_FAULT,     /* the launch reports a device fault (context lost) */
    FASV_FAKE_OOB,       /* writes one byte past the output */
    FASV_FAKE_UNWRITTEN, /* leaves the last output element unwritten */
    FASV_FAKE_WRONG,     /* one output element wrong */
    FASV_FAKE_FLAKY,     /* every second launch differs in one element */
    FASV_FAKE_COUNT
};

typedef struct fasv_gpu_fake_cfg {
    int permille[FASV_FAKE_COUNT]; /* share of nodes (per 1000) each misbehaviour strikes */
} fasv_gpu_fake_cfg;

/* Set the misbehaviours (NULL: none). Inherited by forked workers. */
void fasv_gpu_fake_set(const fasv_gpu_fake_cfg *c);

#endif
