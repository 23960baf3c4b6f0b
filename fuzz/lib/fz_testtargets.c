/* fz_testtargets.c — test-only targets: a small, complete planner and
 * copies of it with one planted hole each, so that the fuzzers, the reducer
 * and the ledger can be shown to find, shrink and track a known bug.
 *
 *   test:clean           routes every node of its envelope (Dk, Dv multiples
 *                        of 8, Dk <= 576, Dv <= 512): VEC for decode-sized
 *                        nodes whose K/V rows are 16-byte aligned, else TILE.
 *   test:hole-d256       planted totality hole in the spirit of the seed
 *                        report: on wave32 AMD devices (RDNA), f16/f16
 *                        D=256 with a mask, n_q >= 2 and n_kv not a multiple
 *                        of 256 gets no kernel.
 *   test:contract-align  the planner forgets VEC's 16-byte alignment
 *                        precondition: a misaligned K/V stride gets a VEC
 *                        route whose contract rejects it.
 *   test:nondet          with a softcap the instance alternates between
 *                        calls (a determinism violation).
 * Must not know: the built-in planner, GPUs. Never used as a real target.
 */
#include <stdatomic.h>
#include <string.h>

#include "fz_target.h"
#ifdef FASV_HAVE_SCENARIO
#include "fasv/scenario.h"
#endif

typedef struct tt_cfg {
    int hole_d256, forget_align, nondet;
} tt_cfg;

static int in_table(const fasv_node *n) {
    return fasv_dk(n) % 8 == 0 && fasv_dv(n) % 8 == 0 && fasv_dk(n) <= 576 && fasv_dv(n) <= 512;
}

static int tt_envelope(void *ctx, const fasv_device *d, const fasv_node *n, char *why, size_t len) {
    (void)ctx, (void)d;
    if (in_table(n)) return 1;
    long long dk = (long long)fasv_dk(n), dv = (long long)fasv_dv(n);
    if (dk % 8 || dv % 8) {
        snprintf(why, len, "head sizes Dk=%lld Dv=%lld are not multiples of 8", dk, dv);
        return 0;
    }
    if (dk > 576 || dv > 512) {
        snprintf(why, len, "head sizes Dk=%lld Dv=%lld exceed 576/512", dk, dv);
        return 0;
    }
    return 1;
}

static int aligned16(const fasv_node *n) {
    for (int id = FASV_K; id <= FASV_V; id++) {
        const fasv_tensor *t = &n->t[id];
        if (t->offset % 16 || t->nb[1] % 16 || t->nb[2] % 16 || t->nb[3] % 16) return 0;
    }
    return 1;
}

static int vec_shape(const fasv_node *n) {
    return fasv_nq(n) * fasv_gqa(n) <= 8 && fasv_dk(n) == fasv_dv(n) && fasv_dk(n) <= 256;
}

static void route_set(fasv_route *r, fasv_family fam, int instance, const char *key, const char *reason, int ncols1) {
    r->family = fam;
    r->instance = instance;
    strcpy(r->key, key);
    strcpy(r->reason, reason);
    r->ncols1 = ncols1;
    r->ncols2 = 1;
    r->kv_tile = fam == FASV_FAM_NONE ? 0 : 64;
    r->n_split = 1;
    r->threads = fam == FASV_FAM_NONE ? 0 : 128;
    r->smem_bytes = fam == FASV_FAM_TILE ? 16384 : 0;
    r->scratch_bytes = 0;
    r->eff_type_k = r->eff_type_v = -1;
}

static atomic_uint g_nondet_calls;

static void tt_plan(void *ctx, const fasv_device *d, const fasv_node *n, fasv_route *r) {
    const tt_cfg *cfg = (const tt_cfg *)ctx;
    if (!in_table(n)) {
        route_set(r, FASV_FAM_NONE, -1, "", "head sizes outside the test planner's table", 0);
        return;
    }
    if (cfg->hole_d256 && d->vendor == FASV_VENDOR_AMD && d->warp_size == 32 && fasv_dk(n) == 256 &&
        fasv_dv(n) == 256 && n->k.type == FASV_TYPE_F16 && n->v.type == FASV_TYPE_F16 && n->has_mask &&
        fasv_nq(n) >= 2 && fasv_nkv(n) % 256 != 0) {
        route_set(r, FASV_FAM_NONE, -1, "", "tile D=256 f16 needs n_kv padded to 256 when n_q > 1", 0);
        return;
    }
    if (vec_shape(n) && (cfg->forget_align || aligned16(n))) {
        route_set(r, FASV_FAM_VEC, 0, "vec", "decode-sized node", (int)fasv_nq(n));
        return;
    }
    int inst = 1;
    if (cfg->nondet && n->softcap > 0) inst = 1 + (int)(atomic_fetch_add(&g_nondet_calls, 1) & 1);
    route_set(r, FASV_FAM_TILE, inst, inst == 2 ? "tile-softcap" : "tile", "general fallback", 8);
}

/* The kernels' own preconditions, written apart from the planner. */
static int tt_contract(void *ctx, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                       size_t len) {
    (void)ctx, (void)d;
    if (r->instance < 0 || r->instance > 2) {
        snprintf(why, len, "instance %d does not exist", r->instance);
        return 1;
    }
    if (r->family == FASV_FAM_VEC) {
        if (!vec_shape(n)) {
            snprintf(why, len, "vec needs n_q*gqa <= 8 and Dk == Dv <= 256");
            return 1;
        }
        if (!aligned16(n)) {
            snprintf(why, len, "vec loads K/V rows in 16-byte vectors: strides and offsets must be multiples of 16");
            return 1;
        }
    }
    return 0;
}

#define TT(ID, NAME, ...)                                                                                 \
    static tt_cfg cfg_##ID = {__VA_ARGS__};                                                              \
    static const fasv_target tt_##ID = {NAME, &cfg_##ID, NULL, tt_envelope, tt_plan, tt_contract,        \
                                        (1u << FASV_FAM_NONE) | (1u << FASV_FAM_VEC) | (1u << FASV_FAM_TILE)};

TT(clean, "test:clean", 0, 0, 0)
TT(hole_d256, "test:hole-d256", 1, 0, 0)
TT(contract_align, "test:contract-align", 0, 1, 0)
TT(nondet, "test:nondet", 0, 0, 1)

static const struct {
    const char *name;
    const fasv_target *t;
    const char *what;
} k_tests[] = {
    {"clean", &tt_clean, "no holes: every node of the envelope routes"},
    {"hole-d256", &tt_hole_d256, "totality hole: RDNA, f16/f16 D=256, mask, n_q >= 2, n_kv % 256 != 0"},
    {"contract-align", &tt_contract_align, "contract: VEC chosen for K/V strides that are not 16-byte aligned"},
    {"nondet", &tt_nondet, "determinism: with a softcap the TILE instance alternates"},
};

const fasv_target *fasv_test_target(const char *name) {
    for (size_t i = 0; i < sizeof k_tests / sizeof k_tests[0]; i++)
        if (strcmp(name, k_tests[i].name) == 0) return k_tests[i].t;
#ifdef FASV_HAVE_SCENARIO
    /* the lifecycle fixtures of fasv_scenario (scenario/testtargets.c) */
    return fasv_scenario_test_target(name);
#else
    return NULL;
#endif
}

void fasv_test_targets_print(FILE *f) {
    for (size_t i = 0; i < sizeof k_tests / sizeof k_tests[0]; i++)
        fprintf(f, "  test:%-16s %s\n", k_tests[i].name, k_tests[i].what);
#ifdef FASV_HAVE_SCENARIO
    fprintf(f, "  test:%-16s %s\n", "lifecycle-clean", "lifecycle fixture: no holes, scratch within what reserve asked");
    fprintf(f, "  test:%-16s %s\n", "lifecycle-hole-d256",
            "lifecycle fixture: AMD, D=256, n_q > 1, n_kv % 256 != 0 (never in reserve graphs)");
    fprintf(f, "  test:%-16s %s\n", "lifecycle-scratch",
            "lifecycle fixture: split-KV scratch grows with n_q (up to 16) past token generation's");
#endif
}
