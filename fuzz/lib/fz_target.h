/* fz_target.h — which target a harness or command verifies, and the
 * per-device check loop they share.
 *
 * Owns: fasv_target_resolve, the ONE place a target spec becomes a target
 * ("builtin", "test:NAME", or the path of a planner plugin, loaded by
 * fasv_plugin_load); the test-only targets
 * with planted holes that the tests and `fasv fuzz` self-checks use; and the
 * loop that checks a node on every device a target plans for.
 * Must not know: how any real planner decides; engines.
 */
#ifndef FASV_FZ_TARGET_H
#define FASV_FZ_TARGET_H

#include <stddef.h>
#include <stdio.h>

#include "fasv/props.h"
#include "fasv/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/* spec: NULL, "" or "builtin" = the built-in planner; "test:NAME" = a
 * test-only target (fasv_test_targets_print lists them); anything else names
 * a plugin library. Returns NULL and a one-line err when the spec cannot be
 * served (callers exit 2). */
const fasv_target *fasv_target_resolve(const char *spec, char *err, size_t errlen);
/* The spec harnesses use: the environment variable FASV_PLANNER, or NULL. */
const char *fasv_target_spec_from_env(void);
/* Is the built-in planner linked into this build? */
int fasv_have_builtin(void);

/* Test-only targets (fz_testtargets.c). NULL for an unknown name (without
 * the "test:" prefix). */
const fasv_target *fasv_test_target(const char *name);
void fasv_test_targets_print(FILE *f);

/* Check a LEGAL node on one device (only != NULL) or on every modeled device
 * in table order, stopping at the first violation, which is returned in *f
 * (1); 0 when every checked device is clean or outside the envelope. */
int fasv_check_devices(const fasv_target *t, const fasv_node *n, const fasv_device *only, fasv_finding *f);

/* The case of a finding as it is written to disk: in with the device set to
 * the finding's and comments naming signature, property, target, detail. */
void fasv_finding_case(const fasv_target *t, const fasv_finding *f, const fasv_case *in, fasv_case *out);

/* The block a finding prints: property, device, signature, detail, the
 * explain block and the readable case. */
void fasv_finding_print(FILE *out, const fasv_target *t, const fasv_finding *f, const fasv_case *c);

#ifdef __cplusplus
}
#endif
#endif
