/* fasv/plugin.h — loading planner plugins (the ABI of fasv/planner.h) and
 * choosing the target a command verifies.
 *
 * (Which target a command verifies — built-in, test-only or a plugin — is
 * decided in one place, fasv_target_resolve in fuzz/lib/fz_target.h.)
 *
 * Owns: dlopen of a plugin, checking its table (symbol, ABI version, sizes,
 * required functions), and the adapter that turns it into a fasv_target:
 * node/device/route conversions both ways, family names to fasv_family, and
 * a contract check from the plugin's instance table and precondition.
 * Garbage routes are passed through faithfully (an unknown family becomes an
 * invalid fasv_family, a negative scratch stays negative) so the property
 * checker reports them as malformed routes against the plugin.
 * Must not know: how any planner decides; GPUs.
 */
#ifndef FASV_PLUGIN_H
#define FASV_PLUGIN_H

#include <stddef.h>

#include "fasv/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Load the plugin at path. Returns a target owned by the loader, or NULL
 * with err = "plugin PATH: what is wrong" (file missing, symbol missing, ABI
 * version mismatch, NULL table, missing required function, ...). */
const fasv_target *fasv_plugin_load(const char *path, char *err, size_t errlen);
void fasv_plugin_unload(const fasv_target *t);

/* Is t a plugin target (as opposed to the built-in one)? */
int fasv_target_is_plugin(const fasv_target *t);

#ifdef __cplusplus
}
#endif
#endif
