/* kernels/report.h — JSON renderings of routes, nodes and findings shared by
 * `fasv plan` and `fasv sweep`.
 * Must not know: how routes are chosen. */
#ifndef FASV_KERNELS_REPORT_H
#define FASV_KERNELS_REPORT_H

#include "fasv/json.h"
#include "fasv/node.h"
#include "fasv/props.h"
#include "fasv/route.h"

#ifdef __cplusplus
extern "C" {
#endif

/* {"family":..., "instance":..., "key":..., "ncols1":..., ...} */
void fasv_json_route(fasv_json *j, const fasv_route *r);
/* {"dk":..., "q": {"type":..., "ne": [...], "nb": [...], "offset":...}, ..., "scale": ...} */
void fasv_json_node(fasv_json *j, const fasv_node *n);

#ifdef __cplusplus
}
#endif
#endif
