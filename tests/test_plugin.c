/* test_plugin.c — the plugin ABI and loader: every bad-plugin case gets its
 * clear error; garbage routes are reported as malformed routes against the
 * plugin; a wrapping plugin is an identity (its routes equal the built-in
 * planner's on random nodes); the seed-defect example has exactly the hole of
 * the seed report. Plugin paths come from the build (FASV_PLUGIN_DIR). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fasv/build.h"
#include "fasv/plugin.h"
#include "fasv/props.h"
#include "fz_target.h"

static const char *path_of(const char *name) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", FASV_PLUGIN_DIR, name);
    return buf;
}

static void expect_load_error(const char *file, const char *sub) {
    char err[512] = "";
    const fasv_target *t = fasv_plugin_load(path_of(file), err, sizeof err);
    CHECKF(t == NULL, "%s loaded", file);
    CHECKF(strstr(err, sub) != NULL && strncmp(err, "plugin ", 7) == 0, "%s: error '%s' lacks '%s'", file, err, sub);
    fasv_plugin_unload(t);
}

static fasv_case make(int64_t d, int64_t nq, int64_t nkv, int mask_pad) {
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = b.hsv = d;
    b.nb = nq;
    b.kv = nkv;
    b.nh = 8;
    b.gqa = 2;
    b.mask = true;
    b.mask_pad = mask_pad;
    fasv_case c;
    char err[256];
    fasv_build_case(&b, &c, err, sizeof err);
    return c;
}

static void test_bad_plugins(void) {
    expect_load_error("does-not-exist.so", "file not found");
    expect_load_error("libbad-nosym.so", "symbol fasv_planner_entry not found");
    expect_load_error("libbad-null.so", "returned NULL");
    expect_load_error("libbad-abi.so", "ABI version mismatch: the plugin was built for version 999");
    expect_load_error("libbad-noplan.so", "no plan() function");
    /* a file that is not a shared library */
    expect_load_error("../CMakeCache.txt", "cannot load");

    const fasv_device *gfx = fasv_device_find("gfx1100");
    fasv_case c = make(128, 1, 100, 0);
    fasv_finding f;
    char err[512];
    const fasv_target *t = fasv_plugin_load(path_of("libbad-family.so"), err, sizeof err);
    CHECKF(t != NULL, "%s", err);
    if (t) {
        CHECK(fasv_check_route(t, gfx, &c.node, &f) == FASV_VIOLATION && f.kind == FASV_PROP_BAD_ROUTE);
        CHECKF(strstr(f.detail, "warp-magic") != NULL, "detail: %s", f.detail);
        fasv_plugin_unload(t);
    }
    t = fasv_plugin_load(path_of("libbad-scratch.so"), err, sizeof err);
    if (t) {
        CHECK(fasv_check_route(t, gfx, &c.node, &f) == FASV_VIOLATION && f.kind == FASV_PROP_BAD_ROUTE);
        CHECKF(strstr(f.detail, "negative") != NULL, "detail: %s", f.detail);
        fasv_plugin_unload(t);
    }
    t = fasv_plugin_load(path_of("libbad-nondet.so"), err, sizeof err);
    if (t) {
        CHECK(fasv_check_route(t, gfx, &c.node, &f) == FASV_VIOLATION && f.kind == FASV_PROP_DETERMINISM);
        fasv_plugin_unload(t);
    }
    t = fasv_plugin_load(path_of("libbad-hole.so"), err, sizeof err);
    if (t) {
        fasv_case hole = make(256, 11, 1807, 0), ok = make(256, 11, 2048, 0);
        CHECK(fasv_check_route(t, gfx, &hole.node, &f) == FASV_VIOLATION && f.kind == FASV_PROP_TOTALITY);
        CHECKF(strstr(f.signature, "totality/RDNA3/none") == f.signature, "signature %s", f.signature);
        CHECK(fasv_check_route(t, gfx, &ok.node, &f) == FASV_CLEAN);
        fasv_plugin_unload(t);
    }
}

static int same_route(const fasv_route *a, const fasv_route *b) {
    return a->family == b->family && strcmp(a->key, b->key) == 0 && strcmp(a->reason, b->reason) == 0 && a->scratch_bytes == b->scratch_bytes &&
           a->ncols1 == b->ncols1 && a->ncols2 == b->ncols2 && a->n_split == b->n_split && a->kv_tile == b->kv_tile;
}

static void test_wrap_is_identity(void) {
    char err[512];
    const fasv_target *w = fasv_plugin_load(path_of("libfasv-wrap-builtin.so"), err, sizeof err);
    CHECKF(w != NULL, "%s", err);
    if (!w) return;
    const fasv_target *b = fasv_builtin_target();
    int nd;
    const fasv_device *devs = fasv_devices(&nd);
    fasv_rng r;
    fasv_rng_seed(&r, 42);
    fasv_rand_opts o = {0};
    int diff = 0, envdiff = 0, n = 0;
    for (int it = 0; it < 3000; it++) {
        fasv_case c;
        fasv_random_case(&r, &o, &c);
        const fasv_device *d = &devs[it % nd];
        fasv_route rw, rb;
        memset(&rw, 0, sizeof rw);
        memset(&rb, 0, sizeof rb);
        w->plan(w->ctx, d, &c.node, &rw);
        b->plan(b->ctx, d, &c.node, &rb);
        if (!same_route(&rw, &rb) && diff++ < 3)
            fprintf(stderr, "wrap %s %s/%lld/%d/%d/%d/%d vs builtin %s %s/%lld/%d/%d/%d/%d\n", d->name,
                    rw.key, (long long)rw.scratch_bytes, rw.ncols1, rw.ncols2, rw.n_split, rw.kv_tile, fasv_family_name(rb.family),
                    rb.key, (long long)rb.scratch_bytes, rb.ncols1, rb.ncols2, rb.n_split, rb.kv_tile);
        char w1[256], w2[256];
        envdiff += w->envelope(w->ctx, d, &c.node, w1, sizeof w1) != b->envelope(b->ctx, d, &c.node, w2, sizeof w2);
        n++;
    }
    CHECKF(diff == 0 && envdiff == 0, "wrap-builtin differs from built-in: %d routes, %d envelopes of %d", diff,
           envdiff, n);
    fasv_plugin_unload(w);
}

static void test_seed_defect(void) {
    char err[512];
    const fasv_target *t = fasv_plugin_load(path_of("libfasv-seed-defect.so"), err, sizeof err);
    CHECKF(t != NULL, "%s", err);
    if (!t) return;
    fasv_finding f;
    fasv_case seed = make(256, 11, 1807, 0);
    CHECK(fasv_check_route(t, fasv_device_find("gfx1100"), &seed.node, &f) == FASV_VIOLATION &&
          f.kind == FASV_PROP_TOTALITY);
    CHECK(fasv_check_route(t, fasv_device_find("gfx90a"), &seed.node, &f) == FASV_VIOLATION);
    /* not a hole on NVIDIA, nor with padded KV and mask, nor for decode */
    CHECK(fasv_check_route(t, fasv_device_find("sm_86"), &seed.node, &f) == FASV_CLEAN);
    fasv_case padded = make(256, 11, 2048, 16);
    CHECK(fasv_check_route(t, fasv_device_find("gfx1100"), &padded.node, &f) == FASV_CLEAN);
    fasv_case decode = make(256, 1, 1807, 0);
    CHECK(fasv_check_route(t, fasv_device_find("gfx1100"), &decode.node, &f) == FASV_CLEAN);
    /* outside its envelope: an uncompiled head size */
    fasv_case odd = make(72, 4, 100, 0);
    CHECK(fasv_check_route(t, fasv_device_find("gfx1100"), &odd.node, &f) == FASV_OUTSIDE);
    fasv_plugin_unload(t);
}

static void test_resolve(void) {
    char err[512];
    CHECK(fasv_target_resolve(NULL, err, sizeof err) == fasv_builtin_target());
    CHECK(fasv_target_resolve("builtin", err, sizeof err) == fasv_builtin_target());
    CHECK(fasv_target_resolve(path_of("libbad-abi.so"), err, sizeof err) == NULL && strstr(err, "ABI version mismatch"));
    const fasv_target *t = fasv_target_resolve(path_of("libfasv-wrap-builtin.so"), err, sizeof err);
    CHECK(t != NULL && fasv_target_is_plugin(t) && strcmp(t->name, "wrap-builtin") == 0);
    fasv_plugin_unload(t);
    setenv("FASV_PLANNER", path_of("libfasv-seed-defect.so"), 1);
    CHECK(fasv_target_spec_from_env() != NULL && strstr(fasv_target_spec_from_env(), "seed-defect"));
    unsetenv("FASV_PLANNER");
    CHECK(fasv_target_spec_from_env() == NULL);
    CHECK(!fasv_target_is_plugin(fasv_builtin_target()));
}

int main(void) {
    test_bad_plugins();
    test_wrap_is_identity();
    test_seed_defect();
    test_resolve();
    return check_report("test_plugin");
}
