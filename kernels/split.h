/* kernels/split.h — the SPLIT (split-KV) kernel family: scratch size and
 * preconditions (implemented in split.c).
 *
 * The kernels: the tile loop of TILE (kernels/tile.h; instances of type
 * "any"), the VEC body (kernels/vec.h; typed instances of 8 slots: exact
 * head size, K/V types compiled in) or the MMA decode body (kernels/mma.h;
 * typed instances of 16 slots, NVIDIA sm_80+, default precision) run over one
 * share of the T = ceil(n_kv / kv_tile) KV tiles per block: split s of
 * n_split processes the contiguous tiles [s*T/n_split, (s+1)*T/n_split)
 * (the MMA decode body: the interleaved tiles s, s + n_split, s + 2 n_split,
 * ...) and writes, for every query row (token, head, sequence) of its
 * columns, the partial output (Dv floats, not yet divided by its sum) and
 * its (max, sum) to scratch. A combine kernel (a block per row) reads the
 * n_split partials of a row, weighs them by exp(max_s - max) and writes the
 * output. Sinks are added once, in that merge.
 * Must not know: the planner's policy.
 */
#ifndef FASV_KERNELS_SPLIT_H
#define FASV_KERNELS_SPLIT_H

#include "kernels/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef FASV_SPLIT_MAX /* a benchmark knob (-D for the C and the CUDA flags alike, as kernels/fa_kernels.h reads it) */
#define FASV_SPLIT_MAX 64 /* splits of one row the combine merges (partials and scratch grow with it) */
#endif

/* Scratch bytes the launch needs: n_split x n_q x n_head x n_seq rows of
 * (Dv + 2) floats. Saturates at INT64_MAX. */
int64_t fasv_split_scratch(const fasv_node *n, int n_split);

/* 0 when the SPLIT kernel k can run (d, n) with the launch r; else nonzero
 * and the first unmet precondition. */
int fasv_split_accepts(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                       size_t len);

#ifdef __cplusplus
}
#endif
#endif
