/* fz_target.c — target resolution and the per-device check loop.
 * See fz_target.h. */
#include "fz_target.h"

#include "fasv/plugin.h"

#include <stdlib.h>
#include <string.h>

int fasv_have_builtin(void) {
#ifdef FASV_HAVE_BUILTIN
    return 1;
#else
    return 0;
#endif
}

const char *fasv_target_spec_from_env(void) {
    const char *s = getenv("FASV_PLANNER");
    return s && *s ? s : NULL;
}

const fasv_target *fasv_target_resolve(const char *spec, char *err, size_t errlen) {
    if (err && errlen) err[0] = 0;
    if (!spec || !*spec || strcmp(spec, "builtin") == 0) {
#ifdef FASV_HAVE_BUILTIN
        return fasv_builtin_target();
#else
        snprintf(err, errlen,
                 "the built-in planner is not part of this build (library fasv_kernels was not found); "
                 "use --planner test:NAME for a test-only target");
        return NULL;
#endif
    }
    if (strncmp(spec, "test:", 5) == 0) {
        const fasv_target *t = fasv_test_target(spec + 5);
        if (!t) snprintf(err, errlen, "unknown test target '%s' (see 'fasv fuzz --help')", spec);
        return t;
    }
    /* a plugin library (ABI: fasv/planner.h) */
    return fasv_plugin_load(spec, err, errlen);
}

int fasv_check_devices(const fasv_target *t, const fasv_node *n, const fasv_device *only, fasv_finding *f) {
    int count;
    const fasv_device *devs = fasv_devices(&count);
    for (int i = 0; i < count; i++) {
        const fasv_device *d = &devs[i];
        if (only && d != only) continue;
        if (fasv_check_route(t, d, n, f) == FASV_VIOLATION) return 1;
    }
    return 0;
}

void fasv_finding_case(const fasv_target *t, const fasv_finding *f, const fasv_case *in, fasv_case *out) {
    char line[FASV_DETAIL_LEN + 32];
    if (out != in) *out = *in;
    snprintf(out->device, sizeof out->device, "%s", f->device->name);
    snprintf(line, sizeof line, "signature: %s", f->signature);
    fasv_case_add_comment(out, line);
    snprintf(line, sizeof line, "property: %s on %s (%s), target %s", fasv_prop_name(f->kind), f->device->name,
             f->device->arch, t->name);
    fasv_case_add_comment(out, line);
    snprintf(line, sizeof line, "detail: %s", f->detail);
    fasv_case_add_comment(out, line);
}

void fasv_finding_print(FILE *out, const fasv_target *t, const fasv_finding *f, const fasv_case *c) {
    fprintf(out, "== fasv finding: %s on %s (target %s)\n", fasv_prop_name(f->kind), f->device->name, t->name);
    fprintf(out, "signature: %s\n", f->signature);
    fprintf(out, "detail: %s\n", f->detail);
    fasv_explain(out, f->device, &c->node, &f->route);
    char *text = fasv_case_to_string(c);
    fprintf(out, "-- case --\n%s-- end --\n", text ? text : "(out of memory)\n");
    free(text);
}
