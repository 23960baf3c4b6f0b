/* wrap_builtin.c — the smallest useful plugin: it hands every question to the
 * built-in planner through the host table. A template for wrapping a planner:
 * call the host, then change what you need. Built as libfasv-wrap-builtin.so.
 * Knows nothing of fasv beyond include/fasv/planner.h. */
#include <stddef.h>

#include "fasv/planner.h"

static const fasv_pl_host *g_host;

static int envelope(const fasv_pl_device *dev, const fasv_pl_node *node, char *why, size_t len) {
    return g_host->builtin_envelope(dev, node, why, len);
}

static int plan(const fasv_pl_device *dev, const fasv_pl_node *node, fasv_pl_route *out) {
    g_host->builtin_plan(dev, node, out);
    return 0;
}

static const fasv_pl_table k_table = {
    .abi_version = FASV_PLANNER_ABI_VERSION,
    .size = sizeof(fasv_pl_table),
    .name = "wrap-builtin",
    .devices = NULL, /* every modeled device */
    .envelope = envelope,
    .plan = plan,
};

const fasv_pl_table *fasv_planner_entry(const fasv_pl_host *host) {
    if (!host || host->abi_version != FASV_PLANNER_ABI_VERSION) return NULL;
    g_host = host;
    return &k_table;
}
