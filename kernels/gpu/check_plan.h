/* kernels/gpu/check_plan.h — the planning step of the GPU case check, in its
 * own translation unit (kernels/gpu/check_plan.c) because it speaks the
 * route-property vocabulary of fasv/props.h, while check.c speaks the
 * oracle's. Internal to kernels/gpu.
 */
#ifndef FASV_GPU_CHECK_PLAN_H
#define FASV_GPU_CHECK_PLAN_H

#include <stddef.h>

#include "fasv/target.h"

/* Plan n for dev and check the route properties (totality, contract,
 * determinism, well-formed route). Returns 0 with *r the route; 1 on a
 * violation (*kind = the property's name, why = the detail); 2 when the node
 * is outside the target's envelope (why says so). */
int fasv_gpucheck_plan(const fasv_target *t, const fasv_device *dev, const fasv_node *n, fasv_route *r, char *why,
                       size_t len, const char **kind);

#endif
