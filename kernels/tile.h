/* kernels/tile.h — the TILE kernel family: launch shape, shared-memory
 * footprint, compute type and preconditions (implemented in tile.c; SPLIT
 * reuses the tile loop and its checks).
 *
 * The kernel: one block of FASV_TILE_THREADS threads holds a tile of ncols
 * query columns (ncols1 rows x ncols2 GQA heads of one KV head) in shared
 * memory and loops over the KV sequence kv_tile keys at a time. Each K tile,
 * then each V tile, is loaded into one shared buffer and converted from its
 * storage type (any of the eight) to the compute type: f16 on devices with
 * fast fp16 when precision is default and the values fit f16 (K and V f16 or
 * quantized), else f32. Head sizes are run-time values up to the instance's
 * bucket; the shared arrays are laid out for the bucket. Partial KV tiles,
 * partial column tiles, masks (any broadcast, unpadded), ALiBi, softcap,
 * sinks and strided views are handled at run time.
 * Must not know: the planner's policy.
 */
#ifndef FASV_KERNELS_TILE_H
#define FASV_KERNELS_TILE_H

#include "kernels/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FASV_TILE_THREADS 256 /* __launch_bounds__: 8 warps of 32 or 4 waves of 64 */
#define FASV_TILE_KV_MIN 8    /* kv_tile: a multiple of 8 in [8, 128] */
#define FASV_TILE_KV_MAX 128
#define FASV_TILE_D_STEP 8    /* runtime Dk, Dv: multiples of 8 */

/* Shared memory of one block for instance k (tile or split) with kv_tile keys
 * per step and compute type ct (f16 or f32):
 *   Q tile        ncols x dk x sizeof(ct)
 *   K/V tile      kv_tile x max(dk, dv) x sizeof(ct)   (K, then V, one buffer)
 *   scores        ncols x kv_tile x 4
 *   row stats     ncols x 2 x 4                        (running max and sum)
 * with dk, dv the instance's bucket. */
int64_t fasv_tile_smem(const fasv_kinst *k, int kv_tile, fasv_type ct);

/* May the kernel compute in f16 for this node on this device? Only where the
 * f16 path is compiled (fast fp16), precision is default, and K and V are f16
 * or quantized (f32 and bf16 values can exceed the f16 range). */
int fasv_tile_f16_ok(const fasv_device *d, const fasv_node *n);

/* Preconditions shared by TILE and SPLIT (head sizes, columns, threads,
 * kv_tile, compute type, shared memory). */
int fasv_tile_check_common(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r,
                           char *why, size_t len);

/* 0 when the TILE kernel k can run (d, n) with the launch r; else nonzero and
 * the first unmet precondition. */
int fasv_tile_accepts(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                      size_t len);

#ifdef __cplusplus
}
#endif
#endif
