/* kernels/vec.h — the VEC kernel family: its launch shape, shared-memory
 * footprint and preconditions (implemented in vec.c, beside the kernel's
 * contract; the HIP kernel implements exactly these).
 *
 * The kernel: one block of FASV_VEC_THREADS threads handles up to ncols
 * columns (ncols1 query rows x ncols2 GQA heads of one KV head) and streams
 * the whole KV sequence FASV_VEC_KV keys per step, each thread owning one
 * key's score. K/V are read in their storage type (16-byte vector loads for
 * f32/f16/bf16; block dequantisation in registers for the q types); every
 * warp keeps a running (max, sum, partial output) per column, and the warps
 * are combined through shared memory at the end. Mask, ALiBi, softcap, sinks
 * and precision are run-time arguments (always f32 accumulation).
 * Must not know: the planner's policy.
 */
#ifndef FASV_KERNELS_VEC_H
#define FASV_KERNELS_VEC_H

#include "kernels/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FASV_VEC_THREADS 128 /* __launch_bounds__: 4 warps of 32 or 2 waves of 64 */
#define FASV_VEC_KV 128      /* keys per block step: one score per thread */

/* Shared memory of one block: the scores of one step (ncols x FASV_VEC_KV
 * floats) and the cross-warp combine buffer (warps x ncols x (Dv + 2) floats:
 * partial output, max and sum). Depends on the warp size through the warp
 * count. */
int64_t fasv_vec_smem(const fasv_kinst *k, const fasv_device *d);

/* 0 when the VEC kernel k can run (d, n) with the launch r; else nonzero and
 * the first unmet precondition. */
int fasv_vec_accepts(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                     size_t len);

#ifdef __cplusplus
}
#endif
#endif
