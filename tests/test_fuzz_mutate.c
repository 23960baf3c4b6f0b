/* test_fuzz_mutate.c — the structure-aware mutator: every mutant of a legal
 * case is legal (checked by fasv_node_check, not by the mutator), every kind
 * of mutation applies, the values it writes are the ones planners branch on
 * (n_kv at a stride multiple +-1, GQA ratios from the list, misaligned
 * strides), tiny bounds hold, and the engine glue is deterministic in its
 * seed and survives any input bytes. */
#include <string.h>

#include "check.h"
#include "fz_input.h"
#include "fz_mutate.h"

static int near_stride(int64_t nkv) {
    static const int64_t strides[] = {16, 32, 64, 128, 256, 512};
    for (size_t i = 0; i < sizeof strides / sizeof strides[0]; i++) {
        int64_t m = nkv % strides[i];
        if (nkv >= strides[i] - 1 && (m == 0 || m == 1 || m == strides[i] - 1)) return 1;
    }
    return 0;
}

static void test_mutants_legal(void) {
    fasv_rng r;
    fasv_rng_seed(&r, 21);
    fasv_mutate_opts o = {0};
    int applied[FASV_MUT_COUNT] = {0}, illegal = 0, stride_ok = 0, stride_n = 0, gqa_bad = 0, misaligned = 0;
    char why[256];
    for (int i = 0; i < 6000; i++) {
        fasv_case c;
        fasv_random_case(&r, &o.rand, &c);
        for (int k = 0; k < 6; k++) {
            fasv_mut m = (fasv_mut)fasv_rng_below(&r, FASV_MUT_COUNT);
            int64_t nhead_kv = fasv_nhead_kv(&c.node);
            if (fasv_mutate_one(&c, m, &r, &o) != 0) continue;
            applied[m]++;
            if (fasv_node_check(&c.node, why, sizeof why) != FASV_LEGAL) {
                if (illegal++ < 5) fprintf(stderr, "illegal after %s: %s\n", fasv_mut_name(m), why);
                break;
            }
            if (m == FASV_MUT_NKV_STRIDE) {
                stride_n++;
                stride_ok += near_stride(fasv_nkv(&c.node));
            }
            if (m == FASV_MUT_GQA) {
                static const int64_t ratios[] = {1, 2, 4, 8, 16, 32, 3, 5, 7, 11, 13, 6, 10, 12, 20};
                int found = fasv_nhead_kv(&c.node) == nhead_kv ? 0 : -1;
                for (size_t j = 0; j < sizeof ratios / sizeof ratios[0]; j++) found |= fasv_gqa(&c.node) == ratios[j];
                gqa_bad += found != 1;
            }
            if (m == FASV_MUT_MISALIGN)
                misaligned += c.node.k.nb[1] % 16 != 0 || c.node.v.nb[1] % 16 != 0 || c.node.q.nb[1] % 16 != 0;
        }
    }
    CHECKF(illegal == 0, "%d mutants were illegal", illegal);
    for (int m = 0; m < FASV_MUT_COUNT; m++) CHECKF(applied[m] > 300, "%s applied %d times", fasv_mut_name((fasv_mut)m), applied[m]);
    CHECKF(stride_ok == stride_n, "n_kv-stride mutants off a stride: %d of %d", stride_n - stride_ok, stride_n);
    CHECKF(gqa_bad == 0, "%d GQA mutants outside the ratio list", gqa_bad);
    CHECKF(misaligned > 200, "only %d misaligned strides", misaligned);
}

static void test_tiny_bounds(void) {
    fasv_rng r;
    fasv_rng_seed(&r, 22);
    fasv_mutate_opts o = {.rand = {.tiny = true, .max_work = 1 << 16}};
    int out = 0;
    for (int i = 0; i < 3000; i++) {
        fasv_case c;
        fasv_random_case(&r, &o.rand, &c);
        if (!fasv_mutate_within(&c, &o)) continue; /* the generator's own budget is looser */
        for (int k = 0; k < 8; k++) fasv_mutate(&c, &r, &o);
        const fasv_node *n = &c.node;
        double work = (double)fasv_nhead(n) * fasv_nseq(n) * fasv_nq(n) * fasv_nkv(n) * (fasv_dk(n) + fasv_dv(n));
        out += fasv_dk(n) > 64 || fasv_dv(n) > 64 || fasv_nq(n) > 8 || fasv_nkv(n) > 64 || work > (1 << 16);
    }
    CHECKF(out == 0, "%d tiny mutants left the bounds", out);
}

static void test_engine_glue(void) {
    fasv_rng r;
    fasv_rng_seed(&r, 23);
    fasv_mutate_opts o = {0};
    int illegal = 0, records = 0;
    for (int i = 0; i < 3000; i++) {
        uint8_t a[1024], b[1024];
        size_t size;
        if (i % 2) { /* arbitrary bytes, sometimes with the record magic */
            size = (size_t)fasv_rng_below(&r, 400);
            for (size_t j = 0; j < size; j++) a[j] = (uint8_t)fasv_rng_below(&r, 256);
            if (size >= 4 && i % 4 == 1) memcpy(a, FASV_RECORD_MAGIC, 4);
        } else { /* a legal case's record */
            fasv_case c;
            fasv_random_case(&r, &o.rand, &c);
            size = fasv_record_encode(&c, a);
        }
        memcpy(b, a, size);
        unsigned seed = (unsigned)fasv_rng_below(&r, 1u << 31);
        size_t na = fasv_custom_mutate(a, size, sizeof a, seed, &o, NULL);
        size_t nb = fasv_custom_mutate(b, size, sizeof b, seed, &o, NULL);
        CHECK(na == nb && memcmp(a, b, na) == 0); /* deterministic in the seed */
        fasv_case m;
        fasv_input_form f = fasv_input_decode(a, na, NULL, &m, NULL, 0);
        records += f == FASV_INPUT_RECORD;
        if (fasv_node_check(&m.node, NULL, 0) != FASV_LEGAL) illegal++;
    }
    /* without a byte mutator every output is a record of a legal case */
    CHECKF(records == 3000 && illegal == 0, "records %d, illegal %d", records, illegal);
    /* too little room for a record: the input is returned as it was */
    uint8_t tiny[16] = {1, 2, 3};
    CHECK(fasv_custom_mutate(tiny, 3, sizeof tiny, 1, &o, NULL) == 3 && tiny[0] == 1);
}

int main(void) {
    test_mutants_legal();
    test_tiny_bounds();
    test_engine_glue();
    return check_report("test_fuzz_mutate");
}
