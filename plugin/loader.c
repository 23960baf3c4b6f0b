/* loader.c — planner plugins as fasv targets. See fasv/plugin.h. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/planner.h"
#include "fasv/plugin.h"

_Static_assert((int)FASV_PL_TYPE_Q5_1 == (int)FASV_TYPE_Q5_1 && (int)FASV_PL_TYPE_F32 == (int)FASV_TYPE_F32,
               "plugin ABI type codes follow fasv_type");
_Static_assert((int)FASV_PL_VENDOR_NVIDIA == (int)FASV_VENDOR_NVIDIA, "vendor codes");
_Static_assert((int)FASV_PL_MC_WMMA == (int)FASV_MC_WMMA && (int)FASV_PL_MC_MFMA == (int)FASV_MC_MFMA,
               "matrix-core codes");

#define MAX_DEVICES 64

typedef struct plugin {
    fasv_target target; /* first: a fasv_target* is a plugin* */
    struct plugin *next; /* the list of loaded plugins */
    void *dl;
    const fasv_pl_table *tab;
    int ndev;
    const fasv_device *devs[MAX_DEVICES];
    fasv_pl_device pl_devs[MAX_DEVICES];
    char name[64];
} plugin;

/* ---- conversions --------------------------------------------------------- */

static void to_pl_tensor(const fasv_tensor *t, int present, fasv_pl_tensor *o) {
    memset(o, 0, sizeof(*o));
    o->present = present;
    o->type = (int32_t)t->type;
    memcpy(o->ne, t->ne, sizeof o->ne);
    memcpy(o->nb, t->nb, sizeof o->nb);
    o->offset = t->offset;
    o->buffer = t->buf;
    o->buffer_bytes = t->buf_bytes;
}

static void to_pl_node(const fasv_node *n, fasv_pl_node *o) {
    memset(o, 0, sizeof(*o));
    o->size = sizeof(*o);
    to_pl_tensor(&n->q, 1, &o->q);
    to_pl_tensor(&n->k, 1, &o->k);
    to_pl_tensor(&n->v, 1, &o->v);
    to_pl_tensor(&n->mask, n->has_mask, &o->mask);
    to_pl_tensor(&n->sinks, n->has_sinks, &o->sinks);
    o->scale = n->scale;
    o->max_bias = n->max_bias;
    o->softcap = n->softcap;
    o->prec = (int32_t)n->prec;
}

static void from_pl_tensor(const fasv_pl_tensor *o, fasv_tensor *t) {
    memset(t, 0, sizeof(*t));
    t->type = (fasv_type)o->type;
    memcpy(t->ne, o->ne, sizeof t->ne);
    memcpy(t->nb, o->nb, sizeof t->nb);
    t->offset = o->offset;
    t->buf = o->buffer;
    t->buf_bytes = o->buffer_bytes;
}

static void from_pl_node(const fasv_pl_node *o, fasv_node *n) {
    memset(n, 0, sizeof(*n));
    from_pl_tensor(&o->q, &n->q);
    from_pl_tensor(&o->k, &n->k);
    from_pl_tensor(&o->v, &n->v);
    from_pl_tensor(&o->mask, &n->mask);
    from_pl_tensor(&o->sinks, &n->sinks);
    n->has_mask = o->mask.present != 0;
    n->has_sinks = o->sinks.present != 0;
    n->scale = o->scale;
    n->max_bias = o->max_bias;
    n->softcap = o->softcap;
    n->prec = (fasv_prec)o->prec;
}

static void to_pl_device(const fasv_device *d, fasv_pl_device *o) {
    memset(o, 0, sizeof(*o));
    o->size = sizeof(*o);
    o->vendor = (int32_t)d->vendor;
    o->name = d->name;
    o->arch = d->arch;
    o->cc = d->cc;
    o->warp_size = d->warp_size;
    o->smem_per_block = d->smem_per_block;
    o->n_sm = d->n_sm;
    o->fast_fp16 = d->fast_fp16;
    o->matrix_cores = (int32_t)d->mc;
}

static void route_to_pl(const fasv_route *r, fasv_pl_route *o) {
    uint32_t size = o->size;
    memset(o, 0, sizeof(*o));
    o->size = size ? size : sizeof(*o);
    o->selected = r->family != FASV_FAM_NONE;
    snprintf(o->family, sizeof o->family, "%s", fasv_family_name(r->family));
    snprintf(o->instance, sizeof o->instance, "%s", r->key);
    o->scratch_bytes = r->scratch_bytes;
    o->ncols1 = r->ncols1;
    o->ncols2 = r->ncols2;
    o->kv_tile = r->kv_tile;
    o->n_split = r->n_split;
    snprintf(o->reason, sizeof o->reason, "%s", r->reason);
}

static int terminated(const char *s, size_t len) { return memchr(s, 0, len) != NULL; }

static int find_instance(const fasv_pl_table *t, const char *key) {
    for (int32_t i = 0; t->instances && i < t->n_instances; i++)
        if (t->instances[i].key && strcmp(t->instances[i].key, key) == 0) return i;
    return -1;
}

/* Faithful translation: what is wrong stays wrong, for the checker to report. */
static void route_from_pl(const plugin *p, const fasv_pl_route *o, int rc, fasv_route *r) {
    memset(r, 0, sizeof(*r));
    r->instance = -1;
    r->eff_type_k = r->eff_type_v = -1;
    if (rc != 0) {
        r->family = FASV_FAM_COUNT;
        snprintf(r->reason, sizeof r->reason, "plugin plan() returned error code %d", rc);
        return;
    }
    if (!terminated(o->family, sizeof o->family) || !terminated(o->instance, sizeof o->instance) ||
        !terminated(o->reason, sizeof o->reason)) {
        r->family = FASV_FAM_COUNT;
        snprintf(r->reason, sizeof r->reason, "plugin returned a string without its terminating NUL");
        return;
    }
    snprintf(r->reason, sizeof r->reason, "%s", o->reason);
    if (o->selected == 0) {
        r->family = FASV_FAM_NONE;
        return;
    }
    if (o->selected != 1) {
        r->family = FASV_FAM_COUNT;
        snprintf(r->reason, sizeof r->reason, "plugin route has selected=%d (not 0 or 1)", (int)o->selected);
        return;
    }
    fasv_family fam;
    if (fasv_family_parse(o->family, &fam) != 0 || fam == FASV_FAM_NONE) {
        r->family = FASV_FAM_COUNT;
        snprintf(r->reason, sizeof r->reason, "plugin route names unknown family '%s' (vec tile split mma)",
                 o->family);
        return;
    }
    r->family = fam;
    snprintf(r->key, sizeof r->key, "%s", o->instance);
    r->instance = find_instance(p->tab, o->instance);
    r->scratch_bytes = o->scratch_bytes;
    /* 0 = "not said" in the ABI; fasv's route needs at least one */
    r->ncols1 = o->ncols1 ? o->ncols1 : 1;
    r->ncols2 = o->ncols2 ? o->ncols2 : 1;
    r->n_split = o->n_split ? o->n_split : 1;
    r->kv_tile = o->kv_tile;
}

/* ---- the fasv_target adapter --------------------------------------------- */

static const fasv_pl_device *pl_device(plugin *p, const fasv_device *d) {
    for (int i = 0; i < p->ndev; i++)
        if (p->devs[i] == d) return &p->pl_devs[i];
    return NULL;
}

static int ad_supports(void *ctx, const fasv_device *d) {
    plugin *p = ctx;
    if (!p->tab->devices) return 1;
    for (const char *const *n = p->tab->devices; *n; n++)
        if (fasv_device_find(*n) == d) return 1;
    return 0;
}

static int ad_envelope(void *ctx, const fasv_device *d, const fasv_node *n, char *why, size_t len) {
    plugin *p = ctx;
    fasv_pl_node pn;
    to_pl_node(n, &pn);
    if (why && len) why[0] = 0;
    int r = p->tab->envelope(pl_device(p, d), &pn, why, len);
    if (why && len) why[len - 1] = 0;
    return r == 1;
}

static void ad_plan(void *ctx, const fasv_device *d, const fasv_node *n, fasv_route *r) {
    plugin *p = ctx;
    fasv_pl_node pn;
    fasv_pl_route pr;
    to_pl_node(n, &pn);
    memset(&pr, 0, sizeof pr);
    pr.size = sizeof pr;
    int rc = p->tab->plan(pl_device(p, d), &pn, &pr);
    route_from_pl(p, &pr, rc, r);
}

static int ad_contract(void *ctx, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                       size_t len) {
    plugin *p = ctx;
    const fasv_pl_table *t = p->tab;
    if (t->instances && t->n_instances > 0) {
        int i = find_instance(t, r->key);
        if (i < 0) {
            snprintf(why, len, "instance '%s' is not in %s's instance table", r->key, p->name);
            return 1;
        }
        if (!t->instances[i].family || strcmp(t->instances[i].family, fasv_family_name(r->family)) != 0) {
            snprintf(why, len, "instance '%s' belongs to family '%s', but the route says '%s'", r->key,
                     t->instances[i].family ? t->instances[i].family : "?", fasv_family_name(r->family));
            return 1;
        }
    }
    if (t->precondition) {
        fasv_pl_node pn;
        to_pl_node(n, &pn);
        why[0] = 0;
        if (t->precondition(r->key, pl_device(p, d), &pn, why, len) != 0) {
            why[len - 1] = 0;
            if (!why[0]) snprintf(why, len, "precondition of '%s' rejects the node", r->key);
            return 1;
        }
    }
    return 0;
}

/* ---- what the host offers plugins ---------------------------------------- */

static void host_builtin_plan(const fasv_pl_device *dev, const fasv_pl_node *node, fasv_pl_route *out) {
    const fasv_device *d = dev ? fasv_device_find(dev->name) : NULL;
    fasv_route r;
    memset(&r, 0, sizeof r);
    if (!d) {
        r.family = FASV_FAM_NONE;
        snprintf(r.reason, sizeof r.reason, "the built-in planner does not know this device");
    } else {
        fasv_node n;
        from_pl_node(node, &n);
        const fasv_target *b = fasv_builtin_target();
        b->plan(b->ctx, d, &n, &r);
    }
    route_to_pl(&r, out);
}

static int host_builtin_envelope(const fasv_pl_device *dev, const fasv_pl_node *node, char *why, size_t len) {
    const fasv_device *d = dev ? fasv_device_find(dev->name) : NULL;
    if (!d) {
        snprintf(why, len, "the built-in planner does not know this device");
        return 0;
    }
    fasv_node n;
    from_pl_node(node, &n);
    const fasv_target *b = fasv_builtin_target();
    return b->envelope ? b->envelope(b->ctx, d, &n, why, len) : 1;
}

static const fasv_pl_host k_host = {sizeof(fasv_pl_host), FASV_PLANNER_ABI_VERSION, host_builtin_plan,
                                    host_builtin_envelope};

/* ---- loading ------------------------------------------------------------- */

static const fasv_target *fail(plugin *p, char *err, size_t errlen, const char *path, const char *msg) {
    snprintf(err, errlen, "plugin %s: %s", path, msg);
    if (p) {
        if (p->dl) dlclose(p->dl);
        free(p);
    }
    return NULL;
}

/* Loaded plugins: the commands load one for their whole run and exit; the
 * list lets the loader release what is still loaded when the process ends,
 * so leak checkers see no leak. */
static plugin *g_loaded;

static void unlink_plugin(plugin *p) {
    for (plugin **pp = &g_loaded; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            return;
        }
}

__attribute__((destructor)) static void unload_all(void) {
    while (g_loaded) fasv_plugin_unload(&g_loaded->target);
}

const fasv_target *fasv_plugin_load(const char *path, char *err, size_t errlen) {
    char msg[512];
    plugin *p = calloc(1, sizeof *p);
    if (!p) return fail(NULL, err, errlen, path, "out of memory");
    /* dlopen searches the library path for a bare name; a plugin is a file */
    char full[4096];
    snprintf(full, sizeof full, "%s%s", strchr(path, '/') ? "" : "./", path);
    FILE *f = fopen(full, "rb");
    if (!f) return fail(p, err, errlen, path, "file not found (or not readable)");
    fclose(f);
    p->dl = dlopen(full, RTLD_NOW | RTLD_LOCAL);
    if (!p->dl) {
        snprintf(msg, sizeof msg, "cannot load: %s", dlerror());
        return fail(p, err, errlen, path, msg);
    }
    dlerror();
    void *sym = dlsym(p->dl, FASV_PLANNER_ENTRY);
    if (!sym) return fail(p, err, errlen, path, "symbol " FASV_PLANNER_ENTRY " not found (export it with C linkage)");
    fasv_planner_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    const fasv_pl_table *t = entry(&k_host);
    if (!t) return fail(p, err, errlen, path, FASV_PLANNER_ENTRY "() returned NULL instead of a table");
    if (t->abi_version != FASV_PLANNER_ABI_VERSION) {
        snprintf(msg, sizeof msg, "ABI version mismatch: the plugin was built for version %u, this fasv speaks %d",
                 t->abi_version, FASV_PLANNER_ABI_VERSION);
        return fail(p, err, errlen, path, msg);
    }
    if (t->size < offsetof(fasv_pl_table, instances)) {
        snprintf(msg, sizeof msg, "table size %u is smaller than the required part (%zu bytes)", t->size,
                 offsetof(fasv_pl_table, instances));
        return fail(p, err, errlen, path, msg);
    }
    if (!t->name || !t->name[0]) return fail(p, err, errlen, path, "table has no name");
    if (!t->plan) return fail(p, err, errlen, path, "table has no plan() function");
    if (!t->envelope) return fail(p, err, errlen, path, "table has no envelope() function");
    if (t->size < sizeof(fasv_pl_table)) {
        /* an older plugin: the optional members it did not have are absent */
        static fasv_pl_table copy;
        memset(&copy, 0, sizeof copy);
        memcpy(&copy, t, t->size);
        t = &copy;
    }
    if (t->n_instances < 0 || (t->n_instances > 0 && !t->instances))
        return fail(p, err, errlen, path, "table has a bad instance table (negative count or NULL array)");
    if (t->devices) {
        for (const char *const *n = t->devices; *n; n++) {
            if (!fasv_device_find(*n)) {
                snprintf(msg, sizeof msg, "table names unknown device '%.64s' (see fasv devices)", *n);
                return fail(p, err, errlen, path, msg);
            }
        }
    }
    p->tab = t;
    snprintf(p->name, sizeof p->name, "%s", t->name);
    int nd;
    const fasv_device *devs = fasv_devices(&nd);
    for (int i = 0; i < nd && i < MAX_DEVICES; i++) {
        p->devs[i] = &devs[i];
        to_pl_device(&devs[i], &p->pl_devs[i]);
    }
    p->ndev = nd < MAX_DEVICES ? nd : MAX_DEVICES;
    p->target.name = p->name;
    p->target.ctx = p;
    p->target.supports_device = ad_supports;
    p->target.envelope = ad_envelope;
    p->target.plan = ad_plan;
    p->target.contract = (t->instances || t->precondition) ? ad_contract : NULL;
    p->target.families = 0;
    p->next = g_loaded;
    g_loaded = p;
    return &p->target;
}

void fasv_plugin_unload(const fasv_target *t) {
    if (!t || !fasv_target_is_plugin(t)) return;
    plugin *p = (plugin *)t->ctx;
    unlink_plugin(p);
    if (p->dl) dlclose(p->dl);
    free(p);
}

int fasv_target_is_plugin(const fasv_target *t) { return t && t->plan == ad_plan; }
