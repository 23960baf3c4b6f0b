/* test_fuzz_reduce.c — the reducer on test targets with planted holes: a
 * large, feature-laden case that falls into test:hole-d256 shrinks to a case
 * within the stated bound (n_head <= 2, n_q <= 2, n_kv <= 2*256, one
 * sequence, no sinks/softcap/ALiBi, contiguous tensors) with the same
 * signature; the result is deterministic; a clean case has nothing to
 * reduce; a contract bug that needs a misaligned stride keeps it. */
#include <string.h>

#include "check.h"
#include "fasv/build.h"
#include "fz_edit.h"
#include "fz_reduce.h"
#include "fz_target.h"

/* The seed report's shape, made worse: Gemma-style D=256 f16/f16 with 8 KV
 * heads x GQA 4, two sequences, an 11-row draft over a restored cache of
 * 1806 keys (capacity 32768), sinks, softcap, ALiBi, permuted q, padding. */
static fasv_case big_case(void) {
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = b.hsv = 256, b.nh = 8, b.gqa = 4, b.nr3 = 2, b.kv = 1806, b.nb = 11;
    b.kv_capacity = 32768, b.mask = true, b.mask_pad = 16, b.mask_heads = 32, b.sinks = true;
    b.softcap = 30, b.max_bias = 8, b.permute_q = true, b.pad_k = 16, b.off_q = 64, b.prec = FASV_PREC_F32;
    fasv_case c;
    char err[256];
    if (fasv_build_case(&b, &c, err, sizeof err) != 0) fprintf(stderr, "build: %s\n", err);
    snprintf(c.device, sizeof c.device, "gfx1100");
    return c;
}

static void test_hole_reduction(void) {
    char err[256];
    const fasv_target *t = fasv_target_resolve("test:hole-d256", err, sizeof err);
    CHECK(t != NULL);
    if (!t) return;
    fasv_case c = big_case();
    CHECK(fasv_node_check(&c.node, NULL, 0) == FASV_LEGAL);
    fasv_finding f0;
    CHECK(fasv_check_route(t, fasv_device_find("gfx1100"), &c.node, &f0) == FASV_VIOLATION);

    static fasv_reduce_result r1, r2;
    CHECK(fasv_reduce(t, &c, NULL, &r1, err, sizeof err) == 0);
    const fasv_node *n = &r1.reduced.node;
    CHECK(strcmp(r1.finding.signature, f0.signature) == 0);
    CHECK(strcmp(r1.finding.device->name, "gfx1100") == 0); /* the case's device line */
    CHECK(fasv_node_check(n, NULL, 0) == FASV_LEGAL);
    /* the stated bound */
    CHECKF(fasv_nhead(n) <= 2 && fasv_nq(n) <= 2 && fasv_nkv(n) <= 512 && fasv_nseq(n) == 1,
           "reduced to n_head=%lld n_q=%lld n_kv=%lld n_seq=%lld", (long long)fasv_nhead(n), (long long)fasv_nq(n),
           (long long)fasv_nkv(n), (long long)fasv_nseq(n));
    CHECK(!n->has_sinks && n->softcap == 0 && n->max_bias == 0 && n->prec == FASV_PREC_DEFAULT);
    CHECK(n->has_mask); /* the hole needs the mask */
    for (int id = 0; id < FASV_NT; id++)
        if (fasv_node_has(n, (fasv_tid)id)) CHECKF(fasv_is_contiguous(n, (fasv_tid)id), "tensor %d is a view", id);
    /* what the hole needs survives: D=256 f16/f16 */
    CHECK(fasv_dk(n) == 256 && fasv_dv(n) == 256 && n->k.type == FASV_TYPE_F16);
    CHECK(fasv_case_bytes(&r1.reduced) < fasv_case_bytes(&c) / 1000);
    CHECK(strstr(r1.reduced.comments, "# signature: totality/RDNA3/") != NULL);
    CHECK(strstr(r1.reduced.comments, "# original: n_head=32 (kv 8) n_seq=2") != NULL);

    /* deterministic */
    CHECK(fasv_reduce(t, &c, NULL, &r2, err, sizeof err) == 0);
    char *a = fasv_case_to_string(&r1.reduced), *b = fasv_case_to_string(&r2.reduced);
    CHECK(a && b && strcmp(a, b) == 0);
    free(a), free(b);

    /* reducing the reduced case changes nothing more */
    CHECK(fasv_reduce(t, &r1.reduced, NULL, &r2, err, sizeof err) == 0);
    CHECK(r2.steps == 0);

    /* a device that does not fail has nothing to reduce */
    CHECK(fasv_reduce(t, &c, fasv_device_find("sm_90"), &r2, err, sizeof err) == 1);
    const fasv_target *clean = fasv_target_resolve("test:clean", err, sizeof err);
    CHECK(clean && fasv_reduce(clean, &c, NULL, &r2, err, sizeof err) == 1);
}

static void test_contract_keeps_misalignment(void) {
    char err[256];
    const fasv_target *t = fasv_target_resolve("test:contract-align", err, sizeof err);
    CHECK(t != NULL);
    if (!t) return;
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = b.hsv = 128, b.nh = 4, b.gqa = 2, b.kv = 700, b.nb = 1, b.pad_v = 2, b.kv_capacity = 4096, b.sinks = true;
    static fasv_case c;
    CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
    static fasv_reduce_result r;
    CHECK(fasv_reduce(t, &c, NULL, &r, err, sizeof err) == 0);
    const fasv_node *n = &r.reduced.node;
    CHECK(r.finding.kind == FASV_PROP_CONTRACT);
    CHECK(n->v.nb[1] % 16 != 0);                          /* the bug needs V's padding */
    CHECK(fasv_is_contiguous(n, FASV_K) && !n->has_sinks); /* the rest is gone */
    CHECK(fasv_nkv(n) == 1 && fasv_nhead(n) == 1);
}

/* A determinism bug is one bucket per architecture family whatever shape
 * shows it (before, test:nondet filled thousands: one per head size, type
 * pair and first-plan instance), and reduction keeps what triggers it. */
static void test_determinism_bucket(void) {
    char err[256];
    const fasv_target *t = fasv_target_resolve("test:nondet", err, sizeof err);
    CHECK(t != NULL);
    if (!t) return;
    const fasv_device *d = fasv_device_find("sm_80");
    char first[FASV_SIG_LEN] = "";
    static const int64_t heads[] = {64, 128, 256, 576};
    static const fasv_type types[] = {FASV_TYPE_F16, FASV_TYPE_Q8_0, FASV_TYPE_F32, FASV_TYPE_BF16};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 3; k++) { /* three checks: the alternation starts on either instance */
            fasv_build b;
            fasv_build_defaults(&b);
            b.hsk = heads[i], b.hsv = heads[i] > 512 ? 512 : heads[i], b.nb = 64, b.kv = 300 + 7 * i;
            b.type_k = b.type_v = types[i], b.softcap = 30;
            fasv_case c;
            CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
            fasv_finding f;
            CHECK(fasv_check_route(t, d, &c.node, &f) == FASV_VIOLATION && f.kind == FASV_PROP_DETERMINISM);
            if (!first[0]) snprintf(first, sizeof first, "%s", f.signature);
            CHECKF(strcmp(f.signature, first) == 0, "%s vs %s", f.signature, first);
        }
    CHECKF(strcmp(first, "determinism/Ampere/*:*/d*/*/plans-differ-in-instance,key") == 0, "%s", first);

    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = b.hsv = 128, b.nh = 4, b.gqa = 4, b.nb = 40, b.kv = 1000, b.softcap = 30, b.mask = true, b.sinks = true;
    static fasv_case c;
    static fasv_reduce_result r;
    CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
    CHECK(fasv_reduce(t, &c, d, &r, err, sizeof err) == 0);
    CHECK(strcmp(r.finding.signature, first) == 0);
    CHECK(r.reduced.node.softcap > 0 && !r.reduced.node.has_mask && !r.reduced.node.has_sinks);
}

static void test_illegal_input(void) {
    char err[256];
    const fasv_target *t = fasv_target_resolve("test:clean", err, sizeof err);
    fasv_case c;
    fasv_case_init(&c);
    c.node.q.ne[2] = 3, c.node.k.ne[2] = c.node.v.ne[2] = 2; /* 3 heads over 2 KV heads */
    static fasv_reduce_result r;
    CHECK(fasv_reduce(t, &c, NULL, &r, err, sizeof err) == -1);
    CHECK(strstr(err, "not a legal node") != NULL);
}

int main(void) {
    test_hole_reduction();
    test_contract_keeps_misalignment();
    test_determinism_bucket();
    test_illegal_input();
    return check_report("test_fuzz_reduce");
}
