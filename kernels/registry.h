/* kernels/registry.h — the compiled kernel instances of the built-in target.
 *
 * Owns: the instance table built from kernels/instances.def (the same list
 * the HIP sources instantiate), lookups into it, and the contract check of a
 * route: the instance exists, the device compiles its family, and the
 * family's own preconditions (kernels/vec.c, tile.c, split.c, mma.c) accept the node
 * and the launch the route describes.
 * Must not know: how the planner chooses; GPU runtimes (pure C, no GPU headers).
 */
#ifndef FASV_KERNELS_REGISTRY_H
#define FASV_KERNELS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "fasv/device.h"
#include "fasv/node.h"
#include "fasv/route.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Type tokens of instances.def (lower-case, ggml's spelling). */
enum {
    FASV_KT_any = -1,
    FASV_KT_f32 = FASV_TYPE_F32,
    FASV_KT_f16 = FASV_TYPE_F16,
    FASV_KT_bf16 = FASV_TYPE_BF16,
    FASV_KT_q8_0 = FASV_TYPE_Q8_0,
    FASV_KT_q4_0 = FASV_TYPE_Q4_0,
    FASV_KT_q4_1 = FASV_TYPE_Q4_1,
    FASV_KT_q5_0 = FASV_TYPE_Q5_0,
    FASV_KT_q5_1 = FASV_TYPE_Q5_1,
};

typedef struct fasv_kinst {
    fasv_family family;
    int dk, dv;         /* vec, mma, typed split: exact head sizes; tile, split "any": bucket bounds */
    int type_k, type_v; /* fasv_type, or FASV_KT_any */
    int ncols;          /* column slots per block */
    int ncols2_max;     /* most GQA heads packed per block */
    const char *key;    /* "vec:128x128:f16,f16:c8g8" */
} fasv_kinst;

/* The table, in instances.def order. */
const fasv_kinst *fasv_registry(int *count);
/* Entry by index, or NULL when out of range. */
const fasv_kinst *fasv_registry_get(int index);
/* Index of the instance with exactly these fields, or -1. */
int fasv_registry_find(fasv_family f, int dk, int dv, int type_k, int type_v, int ncols);

/* Contract of a route (property 2): 0 when route->instance names an existing
 * instance whose key matches, the device compiles its family, and the family's
 * preconditions accept (dev, node, launch); else nonzero and a reason. */
int fasv_registry_contract(const fasv_device *dev, const fasv_node *n, const fasv_route *r, char *why, size_t len);

/* Helpers the family preconditions share. */
/* 0 when 1 <= ncols2 <= k->ncols2_max, ncols2 divides the GQA ratio, ncols1 >= 1
 * and ncols1 * ncols2 <= k->ncols; else nonzero and a reason. */
int fasv_kinst_check_columns(const fasv_kinst *k, const fasv_node *n, const fasv_route *r, char *why, size_t len);
/* Is the view's every used address 16-byte aligned: the offset and every
 * stride nb[1..3] of a dimension with more than one element? */
int fasv_view_aligned16(const fasv_tensor *t);

/* Pieces of the families' preconditions, shared by vec.c, tile.c, split.c and
 * mma.c. Each returns 0 when the route is fine, else 1 with a reason in why. */
int fasv_kfail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The route reserves exactly smem bytes, and they fit the device. */
int fasv_kcheck_smem(const fasv_kinst *k, const fasv_device *d, const fasv_route *r, int64_t smem, char *why,
                     size_t len);
/* The route reports K/V computed in their storage types. */
int fasv_kcheck_native_types(const fasv_kinst *k, const fasv_node *n, const fasv_route *r, char *why, size_t len);
/* The route does not split (a family that writes the output directly). */
int fasv_kcheck_direct(const fasv_kinst *k, const fasv_route *r, char *why, size_t len);

#ifdef __cplusplus
}
#endif
#endif
