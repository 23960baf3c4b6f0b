/* test_sweep.c — the sweep (kernels/sweep.c) on the built-in target and on
 * test-only targets with planted faults:
 *  - the built-in target sweeps clean, and the class count matches a count
 *    made by hand from the axis sizes and the quantized-row rule;
 *  - a target that wraps the built-in one and returns NONE for Dk=256 on AMD
 *    when n_kv % 256 != 0 (the seed report's hole) makes the sweep fail, and
 *    exactly the classes it should are named: AMD devices only, Dk=256,
 *    n_kv classes with a nonzero residue, as totality violations; the text
 *    report names the class and the route map paints those cells red;
 *  - a target whose TILE routes carry a kv_tile the kernel rejects makes the
 *    sweep report contract violations;
 *  - the result does not depend on the thread count.
 * Subsets of devices and types keep the test fast under the sanitizers. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fasv/build.h"
#include "kernels/planner.h"
#include "kernels/sweep.h"

/* ---- planted-hole targets -------------------------------------------------- */

static int hole_envelope(void *ctx, const fasv_device *d, const fasv_node *n, char *why, size_t len) {
    const fasv_target *b = ctx;
    return b->envelope(b->ctx, d, n, why, len);
}

static void hole_plan(void *ctx, const fasv_device *d, const fasv_node *n, fasv_route *r) {
    const fasv_target *b = ctx;
    b->plan(b->ctx, d, n, r);
    if (d->vendor == FASV_VENDOR_AMD && fasv_dk(n) == 256 && fasv_nkv(n) % 256 != 0 && r->family != FASV_FAM_NONE) {
        memset(r, 0, sizeof *r);
        r->family = FASV_FAM_NONE;
        r->instance = -1;
        r->eff_type_k = r->eff_type_v = -1;
        snprintf(r->reason, sizeof r->reason, "no HIP kernel for D=256 when n_kv=%lld is not a multiple of 256",
                 (long long)fasv_nkv(n));
    }
}

static int hole_contract(void *ctx, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                         size_t len) {
    const fasv_target *b = ctx;
    return b->contract(b->ctx, d, n, r, why, len);
}

static void badtile_plan(void *ctx, const fasv_device *d, const fasv_node *n, fasv_route *r) {
    const fasv_target *b = ctx;
    b->plan(b->ctx, d, n, r);
    if (r->family == FASV_FAM_TILE && fasv_nq(n) == 2) r->kv_tile = 12; /* not a multiple of 8 */
}

static fasv_target wrap(const char *name, void (*plan)(void *, const fasv_device *, const fasv_node *, fasv_route *)) {
    const fasv_target *b = fasv_builtin_target();
    fasv_target t = *b;
    t.name = name;
    t.ctx = (void *)b;
    t.envelope = hole_envelope;
    t.plan = plan;
    t.contract = hole_contract;
    return t;
}

/* ---- independent class counts ----------------------------------------------- */

/* Classes with K, V types from `types`: sum over head classes of the type
 * pairs the quantized-row rule allows, times the other axes (4 x 7 x 4 x 2 x 2 x 2). */
static int64_t expected_classes(const fasv_type *types, int nt, int only_dk256_odd_nkv) {
    int nh;
    const fasv_head_class *h = fasv_head_classes(&nh);
    int64_t total = 0;
    for (int i = 0; i < nh; i++) {
        if (only_dk256_odd_nkv && h[i].dk != 256) continue;
        int64_t pairs = 0;
        for (int a = 0; a < nt; a++)
            for (int b = 0; b < nt; b++) {
                int qk = types[a] >= FASV_TYPE_Q8_0, qv = types[b] >= FASV_TYPE_Q8_0;
                if ((qk && h[i].dk % 32) || (qv && h[i].dv % 32)) continue;
                pairs++;
            }
        total += pairs * (only_dk256_odd_nkv ? 4 * 7 * 2 * 2 * 2 * 2 : 4 * 7 * 4 * 2 * 2 * 2);
    }
    return total;
}

static const fasv_device *devs_by_name(const char *const *names, int n, const fasv_device **out) {
    for (int i = 0; i < n; i++) {
        out[i] = fasv_device_find(names[i]);
        CHECKF(out[i] != NULL, "no device %s", names[i]);
    }
    return out[0];
}

static char *read_all(FILE *f) {
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)len + 1);
    size_t got = fread(s, 1, (size_t)len, f);
    s[got] = 0;
    return s;
}

static int count_str(const char *hay, const char *needle) {
    int c = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) c++;
    return c;
}

static void test_builtin_clean(void) {
    static const char *names[] = {"gfx906", "sm_61", "sm_90"};
    const fasv_device *ds[3];
    devs_by_name(names, 3, ds);
    static const fasv_type types[] = {FASV_TYPE_F16, FASV_TYPE_Q8_0};
    fasv_sweep_opts o;
    memset(&o, 0, sizeof o);
    o.devices = ds;
    o.n_devices = 3;
    o.type_mask = (1u << FASV_TYPE_F16) | (1u << FASV_TYPE_Q8_0);
    o.threads = 2;
    fasv_sweep_result r;
    int rc = fasv_sweep_run(fasv_builtin_target(), &o, &r);
    CHECKF(rc == 0, "built-in sweep: rc %d, %lld violations, error '%s'", rc, (long long)r.violations, r.error);
    int64_t want = expected_classes(types, 2, 0);
    CHECKF(r.classes == want, "classes %lld, expected %lld", (long long)r.classes, (long long)want);
    CHECK(r.checks == want * 3 && r.clean + r.outside == r.checks && r.violations == 0);
    /* outside: the three outside head classes, every fitting type pair */
    CHECK(r.outside > 0 && r.clean > r.outside);
    /* every family is used, on every device */
    for (int d = 0; d < 3; d++) {
        int64_t fam[FASV_FAM_COUNT] = {0};
        for (int h = 0; h < FASV_CL_HEADS; h++)
            for (int q = 0; q < FASV_CL_NQ; q++)
                for (int f = 0; f < FASV_FAM_COUNT; f++) fam[f] += fasv_sweep_cell_at(&r, d, h, q)->routes[f];
        CHECKF(fam[FASV_FAM_VEC] && fam[FASV_FAM_TILE] && fam[FASV_FAM_SPLIT], "%s", names[d]);
    }
    /* the map of a clean sweep has no red cell */
    FILE *f = tmpfile();
    fasv_sweep_write_map(f, &r);
    char *html = read_all(f);
    fclose(f);
    CHECK(strstr(html, "<svg") != NULL && count_str(html, "fill=\"#d62728\" stroke") == 0);
    CHECK(count_str(html, "<svg") == 3);
    free(html);
    fasv_sweep_free(&r);
}

/* The result does not depend on the thread count. */
static void test_threads(void) {
    const fasv_device *ds[1] = {fasv_device_find("gfx1100")};
    fasv_sweep_opts o;
    memset(&o, 0, sizeof o);
    o.devices = ds;
    o.n_devices = 1;
    o.type_mask = 1u << FASV_TYPE_Q4_1;
    fasv_sweep_result r1, r3;
    o.threads = 1;
    CHECK(fasv_sweep_run(fasv_builtin_target(), &o, &r1) == 0);
    o.threads = 3;
    CHECK(fasv_sweep_run(fasv_builtin_target(), &o, &r3) == 0);
    CHECK(r1.threads == 1 && r3.threads == 3);
    CHECK(r1.classes == r3.classes && r1.clean == r3.clean && r1.outside == r3.outside && r1.classes > 0);
    CHECK(memcmp(r1.cells, r3.cells, sizeof *r1.cells * FASV_CL_HEADS * FASV_CL_NQ) == 0);
    CHECK(r1.n_keys[0] == r3.n_keys[0] && r1.n_keys[0] > 0);
    for (int k = 0; k < r1.n_keys[0]; k++)
        CHECK(strcmp(r1.keys[k].key, r3.keys[k].key) == 0 && r1.keys[k].count == r3.keys[k].count);
    fasv_sweep_free(&r1);
    fasv_sweep_free(&r3);
}

static void test_planted_hole(void) {
    static const char *names[] = {"gfx906", "gfx1100", "sm_90"};
    const fasv_device *ds[3];
    devs_by_name(names, 3, ds);
    fasv_target t = wrap("test-hole-d256", hole_plan);
    fasv_sweep_opts o;
    memset(&o, 0, sizeof o);
    o.devices = ds;
    o.n_devices = 3;
    o.type_mask = 1u << FASV_TYPE_F16;
    fasv_sweep_result r;
    int rc = fasv_sweep_run(&t, &o, &r);
    CHECKF(rc == 1, "the planted hole must fail the sweep (rc %d)", rc);
    static const fasv_type types[] = {FASV_TYPE_F16};
    /* Dk=256 classes (256/256 and 256/200) with n_kv % 256 != 0, on the 2 AMD devices */
    int64_t want = 2 * expected_classes(types, 1, 1);
    CHECKF(r.violations == want, "violations %lld, expected %lld", (long long)r.violations, (long long)want);
    CHECK(r.n_viol == want);
    int bad = 0;
    for (int i = 0; i < r.n_viol; i++) {
        const fasv_sweep_violation *v = &r.viol[i];
        const fasv_device *d = r.devices[v->device];
        int ok = d->vendor == FASV_VENDOR_AMD && fasv_dk(&v->node) == 256 && fasv_nkv(&v->node) % 256 != 0 &&
                 (v->cls.nkv & 1) && v->finding.kind == FASV_PROP_TOTALITY &&
                 strstr(v->finding.signature, "totality/") == v->finding.signature;
        if (!ok && bad++ < 5) {
            char cs[256];
            fasv_class_format(&v->cls, cs, sizeof cs);
            CHECKF(0, "unexpected violation on %s: %s: %s", d->name, cs, v->finding.detail);
        }
    }
    CHECK(bad == 0);
    /* cells: red exactly where Dk=256 rows are, on AMD devices */
    for (int d = 0; d < 3; d++)
        for (int h = 0; h < FASV_CL_HEADS; h++)
            for (int q = 0; q < FASV_CL_NQ; q++) {
                int64_t v = fasv_sweep_cell_at(&r, d, h, q)->violations;
                int expect = r.devices[d]->vendor == FASV_VENDOR_AMD && fasv_head_classes(NULL)[h].dk == 256;
                CHECKF((v > 0) == expect, "cell %s head %d nq %d: %lld violations", names[d], h, q, (long long)v);
            }
    /* the report names the class, the signature and the reason */
    FILE *f = tmpfile();
    fasv_sweep_print(f, &r, 3);
    char *text = read_all(f);
    fclose(f);
    CHECK(strstr(text, "VIOLATION totality on gfx906") != NULL);
    CHECK(strstr(text, "d=256/256 types=f16/f16") != NULL);
    CHECK(strstr(text, "nkv=<512,%256!=0") != NULL);
    CHECK(strstr(text, "no HIP kernel for D=256") != NULL);
    CHECK(strstr(text, "/none:-/d256x256/f16,f16/no-HIP-kernel-for-D=#-when-n_kv=#-is-not-a-multiple-of-#") != NULL);
    CHECK(count_str(text, "  kernel NONE") == 3);              /* diagnostic blocks: --limit 3 */
    CHECK(count_str(text, "VIOLATION totality on ") == want); /* and every violation listed */
    free(text);
    f = tmpfile();
    fasv_sweep_write_map(f, &r);
    char *html = read_all(f);
    fclose(f);
    CHECK(count_str(html, "fill=\"#d62728\" stroke") == 2 * 2 * FASV_CL_NQ); /* 2 AMD x 2 Dk=256 rows x 7 */
    free(html);
    f = tmpfile();
    fasv_sweep_write_json(f, &r);
    char *json = read_all(f);
    fclose(f);
    CHECK(strstr(json, "\"violations\": ") != NULL && count_str(json, "\"state\": \"hole\"") == 2 * 2 * FASV_CL_NQ);
    CHECK(count_str(json, "\"property\": \"totality\"") == want);
    free(json);
    fasv_sweep_free(&r);
}

static void test_contract_fault(void) {
    const fasv_device *ds[1] = {fasv_device_find("gfx90a")};
    fasv_target t = wrap("test-bad-kv-tile", badtile_plan);
    fasv_sweep_opts o;
    memset(&o, 0, sizeof o);
    o.devices = ds;
    o.n_devices = 1;
    o.type_mask = 1u << FASV_TYPE_F32;
    o.max_kept = 10;
    fasv_sweep_result r;
    CHECK(fasv_sweep_run(&t, &o, &r) == 1);
    CHECK(r.violations > 10 && r.n_viol == 10);
    for (int i = 0; i < r.n_viol; i++) {
        CHECK(r.viol[i].finding.kind == FASV_PROP_CONTRACT && r.viol[i].cls.nq == 1);
        CHECK(strstr(r.viol[i].finding.detail, "kv_tile") != NULL);
        if (i) CHECK(r.viol[i - 1].class_index < r.viol[i].class_index);
    }
    fasv_sweep_free(&r);
}

int main(void) {
    test_builtin_clean();
    test_threads();
    test_planted_hole();
    test_contract_fault();
    return check_report("test_sweep");
}
