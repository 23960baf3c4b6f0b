/* kernels/planner.h — the built-in route planner and its envelope.
 *
 * Owns: the envelope of the built-in target (which legal nodes it promises to
 * serve) and the policy that maps (device, node) to a route: family,
 * instance, column split, kv_tile, split count, threads, shared memory,
 * scratch and effective K/V types — or NONE with the reason. Policy only:
 * what each kernel requires lives beside the kernel (vec.c, tile.c, split.c)
 * and is checked against the route by the contract, not consulted here
 * (the planner shares only the kernels' footprint formulas and the
 * alignment predicate, which are facts about the kernels, not decisions).
 * Must not know: GPU runtimes or headers (pure C, fuzzed on any host).
 * docs/envelope.md describes the envelope and the policy.
 */
#ifndef FASV_KERNELS_PLANNER_H
#define FASV_KERNELS_PLANNER_H

#include <stddef.h>
#include <stdint.h>

#include "fasv/device.h"
#include "fasv/node.h"
#include "fasv/route.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Policy thresholds. Every threshold here is one the shape classes
 * (kernels/classes.c) split on; change one and the classes must follow. */
#define FASV_PLAN_VEC_MAX_Q 2        /* VEC for n_q <= 2 with f32/f16/bf16 K/V ...          */
#define FASV_PLAN_VEC_MAX_Q_QUANT 8  /* ... n_q <= 8 with quantized K/V or without fast fp16   */
#define FASV_PLAN_NARROW_COLS 8      /* TILE: wide instance when pow2ceil(n_q)*ncols2 > 8   */
#define FASV_PLAN_KV_GOOD 32         /* prefer kv_tile >= max(32, warp size)                */
#define FASV_PLAN_SPLIT_MIN_KV 512   /* SPLIT needs n_kv >= 512 ...                        */
#define FASV_PLAN_SPLIT_CHUNK 256    /* ... and gives every split >= 256 keys               */
#define FASV_PLAN_SPLIT_COLS 8       /* starvation estimate: blocks = ceil(columns / 8)     */
#define FASV_PLAN_SPLIT_WAVES 2      /* starved when blocks < 2 * n_sm                      */
#define FASV_PLAN_SPLIT_FILL 2       /* split until the grid covers 2 * n_sm blocks (a size,
                                        not a class boundary: one round of the 2 blocks per
                                        SM the split kernels keep resident)                */
#define FASV_PLAN_SPLIT_FILL_MMAD 1  /* ... but the MMA decode body splits until the grid
                                        covers n_sm blocks, one wave, never more (a size too:
                                        one block per SM streams fastest, see planner.c)  */
#define FASV_PLAN_MAX_D 576          /* envelope: Dk <= 576, Dv <= 512, multiples of 8      */
#define FASV_PLAN_MAX_DV 512

#define FASV_PLAN_NBUCKETS 4
/* Head-size buckets (Dk, Dv) of TILE and SPLIT: 64/64, 128/128, 256/256, 576/512. */
extern const int fasv_plan_buckets[FASV_PLAN_NBUCKETS][2];
/* Smallest bucket holding (dk, dv), or -1. */
int fasv_plan_bucket(int64_t dk, int64_t dv);

/* Query columns of the node (n_q * n_head * n_seq), saturating at INT64_MAX. */
int64_t fasv_plan_columns(const fasv_node *n);
/* Would the un-split grid leave the device starved? ceil(columns / 8) < 2 * n_sm. */
int fasv_plan_starved(const fasv_device *d, const fasv_node *n);
/* Scratch every route asks the back-end to reserve: the split-KV workspace
 * bound of the device for value rows of Dv,
 * max(2 * COLS * WAVES, COLS * (FILL + WAVES)) * n_sm * (Dv + 2) * 4 bytes with
 * the SPLIT_ constants above (0 where SPLIT is not compiled). It depends on
 * nothing that changes over a server's life (n_q, n_kv, sequences), and every
 * split the planner can choose needs less (tests/test_planner.c), so scratch
 * sized from any reserved graph covers every compute-time node. */
int64_t fasv_plan_scratch_reserve(const fasv_device *d, const fasv_node *n);

/* Envelope of the built-in target: 1 inside; else 0 and why. For legal nodes. */
int fasv_envelope(const fasv_device *d, const fasv_node *n, char *why, size_t len);

/* The planner. A pure function of (d, n); n must be legal. Fills every field
 * of *r (NONE: family FASV_FAM_NONE, instance -1 and the reason). */
void fasv_plan(const fasv_device *d, const fasv_node *n, fasv_route *r);

#ifdef __cplusplus
}
#endif
#endif
