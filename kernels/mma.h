/* kernels/mma.h — the MMA kernel family (NVIDIA tensor cores): launch shape,
 * shared-memory footprint and preconditions (implemented in mma.c beside the
 * kernel's contract; kernels/fa_mma.h implements exactly these).
 *
 * The kernel (fa_mma_kernel): one block of FASV_MMA_THREADS threads = 4 warps,
 * each warp owning 16 of the block's 64 column slots (ncols1 query rows x
 * ncols2 GQA heads of one KV head), the rows of an m16n8k16 MMA tile. It
 * streams the KV sequence kv_tile keys at a time through shared memory
 * (16-byte cp.async, swizzled rows, the next K tile loading while P.V runs
 * and the V tile while Q.K runs); S = Q.K^T and O += P.V on the tensor cores
 * with f32 accumulation; online softmax in f32 registers.
 * Numerics (docs/gpu.md, bench/calib_mma.c): f16 and bf16 K/V are exact in
 * their own type; Q is scaled per row by a power of two and split into a
 * sum of f16 terms (hi + lo: 22 bits) or bf16 terms (hi + mid + lo: 24 bits),
 * one MMA per term, so Q.K is as accurate as an f32 dot product; P is
 * scaled by 2^15 and rounded to f16 (one MMA: the naive default-precision
 * reference's relative rounding, without subnormals) or split into bf16 hi +
 * lo (two MMAs). Default precision only: f16/bf16 P is what prec f32 rejects.
 * Must not know: the planner's policy.
 */
#ifndef FASV_KERNELS_MMA_H
#define FASV_KERNELS_MMA_H

#include "kernels/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FASV_MMA_THREADS 128 /* 4 warps x 16 rows: __launch_bounds__, the column mapping */
#define FASV_MMA_COLS 64     /* column slots (MMA rows) of a block */
/* The decode body (fa_mmad_kernel: the typed SPLIT instances of 16 slots):
 * one MMA row tile of 16 slots held by all FASV_MMAD_WARPS(dk) warps, each
 * warp 16 keys of every block step of 16 x warps, through its own ring of
 * FASV_MMAD_STAGES(dk) sub-tiles. */
#define FASV_MMAD_COLS 16
#define FASV_MMAD_WK 16
/* Warps and ring stages per head size: 4 warps x 4 stages at D = 64; the
 * knobs FASV_MMAD_WARPS_128 / _256 (4 or 8) and FASV_MMAD_STAGES_128 / _256
 * at D = 128 and 256 (benchmark knobs: bench/gpu-decode-ab.sh and
 * gpu-profile.sh time builds with others, -D for both the C and the CUDA
 * flags). The footprint and launch shape the planner checks (kernels/mma.c)
 * and the kernel (kernels/fa_mma.h) read these one definitions. */
#ifndef FASV_MMAD_WARPS_128
#define FASV_MMAD_WARPS_128 4
#endif
#ifndef FASV_MMAD_WARPS_256
#define FASV_MMAD_WARPS_256 4
#endif
#ifndef FASV_MMAD_STAGES_128
#define FASV_MMAD_STAGES_128 2
#endif
#ifndef FASV_MMAD_STAGES_256
#define FASV_MMAD_STAGES_256 2
#endif
#define FASV_MMAD_WARPS(dk) ((dk) <= 64 ? 4 : (dk) <= 128 ? FASV_MMAD_WARPS_128 : FASV_MMAD_WARPS_256)
#define FASV_MMAD_STAGES(dk) ((dk) <= 64 ? 4 : (dk) <= 128 ? FASV_MMAD_STAGES_128 : FASV_MMAD_STAGES_256)
#define FASV_MMAD_THREADS(dk) (32 * FASV_MMAD_WARPS(dk))      /* threads per block */
#define FASV_MMAD_KV(dk) (FASV_MMAD_WK * FASV_MMAD_WARPS(dk)) /* keys per block step */
/* Shared memory of the decode body, in bytes, with `terms` Q terms: 16 row
 * factors (f32) and 16 row offsets (int64), then in 2-byte elements Q's
 * terms x 16 x D and warps x stages x (K, V) x 16 keys x D (fasv_mma_smem
 * and the kernel's fa_mmad_smem). */
#define FASV_MMAD_SMEM(dk, terms)                                                                                      \
    (12LL * FASV_MMAD_COLS + 2LL * ((int64_t)(terms) * FASV_MMAD_COLS * (dk) +                                          \
                                   (int64_t)FASV_MMAD_WARPS(dk) * FASV_MMAD_STAGES(dk) * 2 * FASV_MMAD_WK * (dk)))

/* Whether k runs the decode body (a SPLIT instance of 16 slots) rather than
 * the MMA family's kernel. */
int fasv_mma_decode_body(const fasv_kinst *k);
/* Ring stages of one warp in the decode body (FASV_MMAD_STAGES above). */
int fasv_mma_stages(const fasv_kinst *k);
/* Threads per block: FASV_MMA_THREADS, the decode body FASV_MMAD_THREADS. */
int fasv_mma_threads(const fasv_kinst *k);

/* Keys per step, fixed by the head size: 64 for D <= 128, 32 for D = 256
 * (the accumulators of 16 x D outputs per warp leave no registers for more);
 * the decode body: 16 per warp (FASV_MMAD_KV). */
int fasv_mma_kv(const fasv_kinst *k);
/* Terms Q is split into: 2 for f16 (hi + lo), 3 for bf16 (hi + mid + lo). */
int fasv_mma_q_terms(const fasv_kinst *k);
/* Shared memory of one block, in bytes (elements of 2 bytes):
 *   Q terms   q_terms x 64 x D     (staged, then read by ldmatrix)
 *   K tile    kv_tile x D
 *   V tile    kv_tile x D
 * the decode body: 16 row factors and 16 row destinations (12 bytes a row), then
 *   Q terms   q_terms x 16 x D
 *   rings     warps x stages x (K, V) x 16 keys x D                */
int64_t fasv_mma_smem(const fasv_kinst *k);

/* Preconditions of the MMA bodies (device, head size, types, alignment,
 * precision, columns, threads, kv_tile, shared memory, effective types),
 * shared by MMA and the typed SPLIT instances of 16 slots. */
int fasv_mma_check_body(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                        size_t len);

/* 0 when the MMA kernel k can run (d, n) with the launch r; else nonzero and
 * the first unmet precondition. */
int fasv_mma_accepts(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                     size_t len);

#ifdef __cplusplus
}
#endif
#endif
