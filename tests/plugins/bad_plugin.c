/* bad_plugin.c — test-only plugins that are wrong in one way each, selected
 * with -DBAD_<KIND> when the test build compiles this file several times:
 *   BAD_NOSYM    no fasv_planner_entry symbol
 *   BAD_NULL     the entry returns NULL
 *   BAD_ABI      built for ABI version 999
 *   BAD_NOPLAN   no plan() in the table
 *   BAD_FAMILY   routes with an unknown family name
 *   BAD_SCRATCH  routes with negative scratch
 *   BAD_NONDET   a different route on every call
 *   BAD_CRASH    dereferences NULL for Dk = 96 with n_q >= 3 (a crash during fuzzing)
 *   BAD_HANG     loops forever for Dk = 96 with n_q >= 3 (a hang during fuzzing)
 *   BAD_HOLE     correct, but NONE for D=256 when n_kv % 256 != 0 (a planted hole)
 * Only include/fasv/planner.h is used. */
#include <stdio.h>
#include <string.h>

#include "fasv/planner.h"

static int envelope(const fasv_pl_device *dev, const fasv_pl_node *n, char *why, size_t len) {
    (void)dev;
    (void)n;
    (void)why;
    (void)len;
    return 1;
}

__attribute__((unused)) static int plan(const fasv_pl_device *dev, const fasv_pl_node *n, fasv_pl_route *r) {
    (void)dev;
    r->selected = 1;
    snprintf(r->family, sizeof r->family, "tile");
    snprintf(r->instance, sizeof r->instance, "tile-any");
    r->ncols1 = r->ncols2 = r->n_split = 1;
#if defined(BAD_FAMILY)
    snprintf(r->family, sizeof r->family, "warp-magic");
#elif defined(BAD_SCRATCH)
    r->scratch_bytes = -5;
#elif defined(BAD_NONDET)
    static int calls;
    r->kv_tile = ++calls;
#elif defined(BAD_CRASH)
    if (n->k.ne[0] == 96 && n->q.ne[1] >= 3) {
        volatile int *p = NULL;
        *p = 1;
    }
#elif defined(BAD_HANG)
    if (n->k.ne[0] == 96 && n->q.ne[1] >= 3)
        for (volatile int spin = 1; spin;) {
        }
#elif defined(BAD_HOLE)
    if (n->k.ne[0] == 256 && n->k.ne[1] % 256 != 0) {
        r->selected = 0;
        snprintf(r->reason, sizeof r->reason, "no D=256 kernel for unpadded KV length %lld", (long long)n->k.ne[1]);
    }
#endif
    (void)n;
    return 0;
}

__attribute__((unused)) static const fasv_pl_table k_table = {
#ifdef BAD_ABI
    .abi_version = 999,
#else
    .abi_version = FASV_PLANNER_ABI_VERSION,
#endif
    .size = sizeof(fasv_pl_table),
    .name = "bad-plugin",
    .envelope = envelope,
#ifndef BAD_NOPLAN
    .plan = plan,
#endif
};

#ifndef BAD_NOSYM
const fasv_pl_table *fasv_planner_entry(const fasv_pl_host *host) {
    (void)host;
#ifdef BAD_NULL
    return NULL;
#else
    return &k_table;
#endif
}
#else
const fasv_pl_table *some_other_name(void) { return &k_table; }
#endif
