/* test_build.c — the case builder and the random generator: every random case
 * is legal (for seeds and for arbitrary fuzzer bytes), the generator reaches
 * the values planners branch on, and builder layouts have the strides the
 * llama.cpp KV cache and permuted q really have (worked out by hand). */
#include <string.h>

#include "check.h"
#include "fasv/build.h"

static void test_random_legal(void) {
    fasv_rng r;
    char why[256];
    int illegal = 0, views = 0, mla = 0, quant = 0, off256 = 0, alibi = 0, softcap = 0, sinks = 0, d256 = 0;
    fasv_rand_opts opts[3] = {{0}, {.max_bytes = 1 << 20, .max_work = 1 << 24}, {.tiny = true}};
    for (int o = 0; o < 3; o++) {
        fasv_rng_seed(&r, 100 + (uint64_t)o);
        for (int it = 0; it < 20000; it++) {
            fasv_case c;
            fasv_random_case(&r, &opts[o], &c);
            if (fasv_node_check(&c.node, why, sizeof why) != FASV_LEGAL) {
                if (illegal++ < 5) fprintf(stderr, "illegal random case: %s\n", why);
                continue;
            }
            const fasv_node *n = &c.node;
            views += n->k.nb[2] < n->k.nb[1] || n->q.nb[2] < n->q.nb[1] || n->k.offset > 0;
            mla += n->v.buf == FASV_K;
            quant += fasv_type_get(n->k.type)->is_quant;
            off256 += fasv_nkv(n) > 256 && fasv_nkv(n) % 256 != 0 && (fasv_nkv(n) % 256 == 1 || fasv_nkv(n) % 256 == 255);
            alibi += n->max_bias > 0;
            softcap += n->softcap > 0;
            sinks += n->has_sinks;
            d256 += fasv_dk(n) == 256;
            if (opts[o].max_bytes) {
                int64_t total = 0;
                for (int id = 0; id < FASV_NT; id++)
                    if (fasv_node_has(n, (fasv_tid)id) && n->t[id].buf == id) total += n->t[id].buf_bytes;
                /* fit_budget stops at the smallest node of a head size; those are tiny */
                CHECKF(total <= opts[o].max_bytes || (fasv_nkv(n) == 1 && fasv_nq(n) == 1), "budget exceeded: %lld",
                       (long long)total);
            }
        }
    }
    CHECKF(illegal == 0, "%d random cases were illegal", illegal);
    CHECKF(views > 1000 && mla > 300 && quant > 3000 && off256 > 100 && alibi > 500 && softcap > 1000 && sinks > 1000 &&
               d256 > 500,
           "coverage: views %d mla %d quant %d n_kv=256k+-1 %d alibi %d softcap %d sinks %d d256 %d", views, mla,
           quant, off256, alibi, softcap, sinks, d256);

    /* arbitrary bytes decode to legal cases too */
    uint8_t bytes[256];
    fasv_rng src;
    fasv_rng_seed(&src, 9);
    for (int it = 0; it < 20000; it++) {
        size_t len = (size_t)fasv_rng_below(&src, sizeof bytes);
        for (size_t i = 0; i < len; i++) bytes[i] = (uint8_t)fasv_rng_below(&src, 256);
        fasv_rng_bytes(&r, bytes, len);
        fasv_case c;
        fasv_random_case(&r, &opts[it % 3], &c);
        if (fasv_node_check(&c.node, why, sizeof why) != FASV_LEGAL && illegal++ < 5)
            fprintf(stderr, "illegal byte-decoded case: %s\n", why);
    }
    CHECKF(illegal == 0, "%d byte-decoded cases were illegal", illegal);
}

static void test_layouts(void) {
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = b.hsv = 128;
    b.nh = 8;
    b.gqa = 4;
    b.kv = 100;
    b.kv_capacity = 4096;
    b.nb = 5;
    b.permute_q = true;
    fasv_case c;
    char err[256];
    CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
    const fasv_node *n = &c.node;
    /* llama.cpp cache: a token row holds all 8 heads (8*256 B), heads are 256 B apart */
    CHECK(n->k.nb[0] == 2 && n->k.nb[1] == 2048 && n->k.nb[2] == 256 && n->k.nb[3] == 2048 * 4096);
    CHECK(n->k.buf_bytes == 2048 * 4096);
    /* permuted q: memory [128, 32 heads, 5 tokens] */
    CHECK(n->q.nb[1] == 512 * 32 && n->q.nb[2] == 512 && n->q.ne[1] == 5 && n->q.ne[2] == 32);
    CHECK(n->scale == 0.088388346f);
    /* V view of K for MLA with q8_0: same strides, K's buffer, 16 of K's 18 blocks */
    fasv_build_defaults(&b);
    b.hsk = 576;
    b.hsv = 512;
    b.type_k = b.type_v = FASV_TYPE_Q8_0;
    b.v_view_of_k = true;
    CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
    CHECK(c.node.v.buf == FASV_K && c.node.v.nb[1] == 18 * 34 && fasv_tensor_row_bytes(&c.node.v) == 16 * 34);
    /* contradictions are refused */
    b.type_v = FASV_TYPE_F16;
    CHECK(fasv_build_case(&b, &c, err, sizeof err) != 0 && strstr(err, "type_v == type_k"));
    fasv_build_defaults(&b);
    b.kv = 0;
    CHECK(fasv_build_case(&b, &c, err, sizeof err) != 0);
    b.kv = (int64_t)1 << 31;
    b.nh = (int64_t)1 << 20;
    CHECK(fasv_build_case(&b, &c, err, sizeof err) != 0 && strstr(err, "2^50"));
}

/* FASV_FOCUS_DECODE: every case is legal and has one query row; the long KV
 * (512..32768, shrunk only by the budget) and the exact head sizes and cache
 * types it leans toward dominate. */
static void test_focus_decode(void) {
    fasv_rng r;
    char why[256];
    fasv_rand_opts o = {.max_bytes = (int64_t)64 << 20, .max_work = (int64_t)1 << 28, .focus = FASV_FOCUS_DECODE};
    int illegal = 0, multi = 0, long_kv = 0, exact = 0, cache = 0, n = 4000;
    fasv_rng_seed(&r, 77);
    for (int it = 0; it < n; it++) {
        fasv_case c;
        fasv_random_case(&r, &o, &c);
        if (fasv_node_check(&c.node, why, sizeof why) != FASV_LEGAL) {
            if (illegal++ < 5) fprintf(stderr, "illegal focused case: %s\n", why);
            continue;
        }
        const fasv_node *nd = &c.node;
        multi += fasv_nq(nd) != 1;
        long_kv += fasv_nkv(nd) >= 512;
        exact += fasv_dk(nd) == fasv_dv(nd) && (fasv_dk(nd) == 64 || fasv_dk(nd) == 128 || fasv_dk(nd) == 256);
        cache += nd->k.type == nd->v.type &&
                 (nd->k.type == FASV_TYPE_F16 || nd->k.type == FASV_TYPE_BF16 || nd->k.type == FASV_TYPE_Q8_0);
    }
    CHECKF(illegal == 0 && multi == 0, "illegal %d, n_q != 1: %d", illegal, multi);
    /* 85% of draws pick an exact head size and a cache type; the budget
     * halves n_kv below 512 only for the widest, most numerous heads */
    CHECKF(long_kv > n * 8 / 10 && exact > n * 8 / 10 && cache > n * 7 / 10, "long kv %d, exact %d, cache types %d of %d",
           long_kv, exact, cache, n);
}

int main(void) {
    test_random_legal();
    test_focus_decode();
    test_layouts();
    return check_report("test_build");
}
