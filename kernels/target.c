/* target.c — the built-in target: the planner, its envelope and the
 * registry's contract, seen through fasv_target (fasv/target.h).
 * Owns only the adaptation; the decisions live in planner.c and the
 * preconditions in vec.c, tile.c, split.c and mma.c. */
#include "fasv/target.h"

#include "kernels/planner.h"
#include "kernels/registry.h"

static int builtin_envelope(void *ctx, const fasv_device *d, const fasv_node *n, char *why, size_t len) {
    (void)ctx;
    return fasv_envelope(d, n, why, len);
}

static void builtin_plan(void *ctx, const fasv_device *d, const fasv_node *n, fasv_route *r) {
    (void)ctx;
    fasv_plan(d, n, r);
}

static int builtin_contract(void *ctx, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                            size_t len) {
    (void)ctx;
    return fasv_registry_contract(d, n, r, why, len);
}

static const fasv_target k_builtin = {
    .name = "builtin",
    .ctx = NULL,
    .supports_device = NULL,
    .envelope = builtin_envelope,
    .plan = builtin_plan,
    .contract = builtin_contract,
    .families = (1u << FASV_FAM_VEC) | (1u << FASV_FAM_TILE) | (1u << FASV_FAM_SPLIT) | (1u << FASV_FAM_MMA),
};

const fasv_target *fasv_builtin_target(void) { return &k_builtin; }
