/* kernels/vec.h — the VEC kernel family: its launch shape, shared-memory
 * footprint and preconditions (implemented in vec.c, beside the kernel's
 * contract; the HIP kernel implements exactly these). Typed SPLIT instances
 * run the same body over one KV chunk per block and share these checks.
 *
 * The kernel (fa_vec_kernel, kernels/fa_kernels.h): one block of
 * FASV_VEC_THREADS threads handles up to ncols columns (ncols1 query rows x
 * ncols2 GQA heads of one KV head: every column shares one K/V read). A key
 * row is read by D / FASV_VEC_CHUNK lanes, each loading FASV_VEC_CHUNK
 * values (one 16-byte load for f16/bf16, two for f32, block dequantisation
 * in registers for the q types) of FASV_VEC_ROWS rows per step; f16/bf16 on
 * NVIDIA sm_80+ stream through a per-warp ring of FASV_VEC_STAGES steps in
 * shared memory (16-byte cp.async: the next step is in flight while this one
 * computes), the other types load a step's rows into registers, all issued
 * before the first is used. The lane's slice of Q (every column) lives in
 * registers. Partial dot products are reduce-scattered across the lanes of a
 * row (each lane ends up owning whole scores), the owners compute logits and
 * the online softmax of their column, and every lane accumulates P.V for its
 * slice. Warps stream disjoint keys and are merged at the end in a fixed
 * order. Mask, ALiBi, softcap, sinks and precision are run-time arguments
 * (always f32 arithmetic on exactly widened values).
 * Must not know: the planner's policy.
 */
#ifndef FASV_KERNELS_VEC_H
#define FASV_KERNELS_VEC_H

#include "kernels/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FASV_VEC_THREADS 128 /* __launch_bounds__: 4 warps of 32 or 2 waves of 64 */
#define FASV_VEC_CHUNK 8     /* values of a row one lane loads (16 bytes of f16) */
#define FASV_VEC_ROWS 4      /* key rows one lane loads per step */
#define FASV_VEC_STAGES 2    /* steps of the per-warp cp.async ring (f16/bf16 on sm_80+) */

/* Keys one block consumes per step: THREADS * ROWS * CHUNK / D (64, 32, 16
 * for D = 64, 128, 256), whatever the warp size. The route's kv_tile. */
int fasv_vec_kv(const fasv_kinst *k);

/* Shared memory of one block, in bytes: the larger of the per-warp score
 * buffers (logits and probabilities of one step, and the step's new column
 * maxima: warps x (2 x keys-per-warp-step + 1) x ncols floats) and the
 * end-of-loop merge (per warp max and sum, and one output tile:
 * ncols x (2 x warps + Dv) floats), which alias; plus the ring the f16/bf16
 * body streams K and V through on sm_80+ (16 bytes x ROWS x STAGES x 2 per
 * thread), reserved for every instance (one footprint per shape). Depends on
 * the warp size through the warp count. */
int64_t fasv_vec_smem(const fasv_kinst *k, const fasv_device *d);

/* Preconditions of the VEC body (head size, types, alignment, columns,
 * threads, kv_tile, shared memory, effective types), shared by VEC and the
 * typed SPLIT instances: 0 when they hold, else nonzero and the first unmet. */
int fasv_vec_check_body(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                        size_t len);

/* 0 when the VEC kernel k can run (d, n) with the launch r; else nonzero and
 * the first unmet precondition. */
int fasv_vec_accepts(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                     size_t len);

#ifdef __cplusplus
}
#endif
#endif
