/* fasv/target.h — what fasv verifies: a route planner (and, optionally, the
 * kernels behind it) seen through one small interface.
 *
 * Owns: the in-process view of a target, shared by the built-in planner
 * (kernels/), plugin planners loaded from shared libraries (the ABI in
 * fasv/planner.h is adapted to this), and test-only planners with planted
 * holes. Sweeps, fuzz harnesses, scenarios and replay talk only to this.
 * Must not know: how any planner decides, GPU runtimes.
 */
#ifndef FASV_TARGET_H
#define FASV_TARGET_H

#include <stddef.h>

#include "fasv/device.h"
#include "fasv/node.h"
#include "fasv/route.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fasv_target {
    const char *name; /* "builtin", a plugin's name, "test-hole-d256", ... */
    void *ctx;
    /* Does the target plan for this device at all? NULL = every modeled device. */
    int (*supports_device)(void *ctx, const fasv_device *dev);
    /* Envelope: 1 when the target promises a route for (dev, node); else 0 and
     * a reason ("Dk=100 is not a supported head size"). Called on legal nodes only. */
    int (*envelope)(void *ctx, const fasv_device *dev, const fasv_node *node, char *why, size_t len);
    /* Plan: fill *r with a route, or family NONE and r->reason. Must be a pure
     * function of (dev, node). Called on legal nodes only. */
    void (*plan)(void *ctx, const fasv_device *dev, const fasv_node *node, fasv_route *r);
    /* Contract (optional, NULL = not checkable): 0 when the route's instance
     * exists for this device and the kernel's own preconditions accept the
     * node; else nonzero and a reason. */
    int (*contract)(void *ctx, const fasv_device *dev, const fasv_node *node, const fasv_route *r, char *why,
                    size_t len);
    /* Families this target can name (bitmask of 1u << fasv_family); 0 = any
     * fasv_family. A route outside it is a malformed route (NONE is always
     * allowed, listed or not). */
    unsigned families;
} fasv_target;

/* The built-in target (kernels/): its planner, envelope and registry. */
const fasv_target *fasv_builtin_target(void);

#ifdef __cplusplus
}
#endif
#endif
