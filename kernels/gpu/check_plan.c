/* kernels/gpu/check_plan.c — see check_plan.h. */
#include "gpu/check_plan.h"

#include <stdio.h>
#include <string.h>

#include "fasv/props.h"

int fasv_gpucheck_plan(const fasv_target *t, const fasv_device *dev, const fasv_node *n, fasv_route *r, char *why,
                       size_t len, const char **kind) {
    fasv_finding f;
    memset(&f, 0, sizeof f);
    fasv_verdict v = fasv_check_route(t, dev, n, &f);
    *r = f.route;
    *kind = "";
    if (v == FASV_OUTSIDE) {
        snprintf(why, len, "%s", f.detail);
        return 2;
    }
    if (v == FASV_VIOLATION) {
        snprintf(why, len, "%s", f.detail);
        *kind = fasv_prop_name(f.kind);
        return 1;
    }
    return 0;
}
