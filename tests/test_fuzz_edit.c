/* test_fuzz_edit.c — legality-preserving node edits (fuzz/lib/fz_edit.c),
 * each checked against strides and buffer sizes worked out by hand for
 * layouts real servers use (llama.cpp's KV cache view, V as a view of K),
 * plus the transaction rule: a refused edit leaves the node untouched. */
#include <string.h>

#include "check.h"
#include "fasv/build.h"
#include "fz_edit.h"

static fasv_case build(void (*set)(fasv_build *)) {
    fasv_build b;
    fasv_build_defaults(&b);
    set(&b);
    fasv_case c;
    char err[256];
    if (fasv_build_case(&b, &c, err, sizeof err) != 0) fprintf(stderr, "build: %s\n", err);
    return c;
}

static void kv_cache(fasv_build *b) {
    b->hsk = b->hsv = 128, b->nh = 2, b->gqa = 4, b->kv = 300, b->kv_capacity = 1024;
}
static void mla(fasv_build *b) {
    b->hsk = 576, b->hsv = 512, b->kv = 100, b->v_view_of_k = true;
}
static void plain(fasv_build *b) {
    b->hsk = b->hsv = 128, b->kv = 300, b->nb = 7, b->gqa = 8;
}

static void test_kv_cache_reshape(void) {
    fasv_case c = build(kv_cache);
    fasv_node *n = &c.node;
    /* memory [D=128 f16 (256 B), n_head_kv=2, capacity 1024, n_seq 1] */
    CHECK(n->k.nb[1] == 512 && n->k.nb[2] == 256 && n->k.nb[3] == 524288 && n->k.buf_bytes == 524288);
    int order[3];
    int64_t gap[3];
    fasv_layout_get(&n->k, order, gap);
    /* heads fastest, then keys, then sequences; the capacity shows as the gap
     * before dim 3: 524288 - 512*300 */
    CHECK(order[0] == 2 && order[1] == 1 && order[2] == 3);
    CHECK(gap[0] == 0 && gap[1] == 0 && gap[2] == 370688);
    fasv_shape s;
    fasv_shape_get(n, &s);
    CHECK(s.nkv == 300 && s.nhead == 8 && s.nhead_kv == 2 && s.dk == 128);
    s.nkv = 500;
    CHECK(fasv_edit_reshape(n, &s) == 0);
    /* layout and gaps kept: nb[3] = 512*500 + 370688; the buffer keeps its
     * 370688 bytes of slack past the view's end (256 + 499*512 + 256) */
    CHECK(n->k.nb[1] == 512 && n->k.nb[2] == 256 && n->k.nb[3] == 626688);
    CHECKF(n->k.buf_bytes == 256000 + 370688, "buf %lld", (long long)n->k.buf_bytes);
    CHECK(n->v.nb[1] == 512 && fasv_nkv(n) == 500 && n->v.ne[1] == 500);
    CHECK(fasv_node_check(n, NULL, 0) == FASV_LEGAL);
}

static void test_mla_view(void) {
    fasv_case c = build(mla);
    fasv_node *n = &c.node;
    CHECK(n->v.buf == FASV_K && n->k.nb[1] == 1152 && n->k.nb[2] == 115200);
    fasv_shape s;
    fasv_shape_get(n, &s);
    s.nkv = 37;
    CHECK(fasv_edit_reshape(n, &s) == 0);
    CHECK(n->k.nb[1] == 1152 && n->k.nb[2] == 42624);
    CHECK(n->v.buf == FASV_K && memcmp(n->v.nb, n->k.nb, sizeof n->k.nb) == 0);
    /* quantizing both keeps V a view of K: rows of 18 q8_0 blocks (612 B) */
    CHECK(fasv_edit_types(n, FASV_TYPE_Q8_0, FASV_TYPE_Q8_0) == 0);
    CHECK(n->k.nb[1] == 612 && n->v.buf == FASV_K && n->v.nb[1] == 612);
    /* types that differ cannot share K's buffer: refused, node unchanged */
    char *before = fasv_case_to_string(&c);
    CHECK(fasv_edit_types(n, FASV_TYPE_Q8_0, FASV_TYPE_F16) == -1);
    char *after = fasv_case_to_string(&c);
    CHECK(before && after && strcmp(before, after) == 0);
    free(before), free(after);
    /* making K contiguous moves V out first: both own a buffer */
    CHECK(fasv_edit_contiguous(n, FASV_K) == 0);
    CHECK(n->v.buf == FASV_V && n->k.buf == FASV_K);
    CHECK(n->v.nb[1] == 16 * 34 && n->v.buf_bytes == 37 * 16 * 34); /* Dv 512 = 16 blocks */
    CHECK(fasv_is_contiguous(n, FASV_K) && fasv_is_contiguous(n, FASV_V));
    /* and back: V a view of K again */
    CHECK(fasv_edit_view_of(n, FASV_V, FASV_K) == 0);
    CHECK(n->v.buf == FASV_K && memcmp(n->v.nb, n->k.nb, sizeof n->k.nb) == 0);
}

static void test_small_edits(void) {
    fasv_case c = build(plain);
    fasv_node *n = &c.node;
    /* q [128,7,8,1] f32 contiguous: 512 B rows */
    CHECK(n->q.nb[1] == 512 && n->q.nb[2] == 3584);
    static const int perm[3] = {2, 1, 3};
    CHECK(fasv_edit_order(n, FASV_Q, perm) == 0); /* [Dk, n_head, n_q, n_seq] in memory */
    CHECK(n->q.nb[2] == 512 && n->q.nb[1] == 4096 && n->q.nb[3] == 28672);
    /* one f16 element of padding after each K row: 258-byte stride, legal,
     * and no longer 16-byte aligned */
    CHECK(fasv_edit_gap(n, FASV_K, 0, 2) == 0);
    CHECK(n->k.nb[1] == 258 && n->k.nb[2] == 258 * 300);
    CHECK(fasv_edit_gap(n, FASV_K, 0, -4) == -1); /* a negative gap is refused */
    CHECK(fasv_edit_offset(n, FASV_K, 32) == 0);
    /* the buffer ends where the view does: the last row has no padding */
    CHECK(n->k.offset == 32 && n->k.buf_bytes == 32 + 299 * 258 + 256);
    CHECK(fasv_edit_offset(n, FASV_K, 1) == -1); /* f16 offsets are even */
    /* a mask [n_kv, n_q padded to 16, 1, 1] */
    CHECK(fasv_edit_mask(n, 1, 16) == 0);
    CHECK(n->has_mask && n->mask.ne[0] == 300 && n->mask.ne[1] == 16 && n->mask.nb[1] == 600 &&
          n->mask.buf_bytes == 600 * 16);
    n->max_bias = 8; /* ALiBi rides on the mask ... */
    CHECK(fasv_edit_mask(n, 0, 0) == 0);
    CHECK(!n->has_mask && n->max_bias == 0); /* ... and goes with it */
    CHECK(fasv_edit_sinks(n, 1) == 0 && n->has_sinks && n->sinks.ne[0] == 8);
    fasv_shape s;
    fasv_shape_get(n, &s);
    s.nhead = 16, s.nhead_kv = 2;
    CHECK(fasv_edit_reshape(n, &s) == 0);
    CHECK(n->sinks.ne[0] == 16 && fasv_gqa(n) == 8 && n->q.nb[1] == 512 * 16); /* q stays permuted */
    /* a refused reshape (3 heads over 2 KV heads) leaves every byte as it was */
    char *before = fasv_case_to_string(&c);
    s.nhead = 3;
    CHECK(fasv_edit_reshape(n, &s) == -1);
    char *after = fasv_case_to_string(&c);
    CHECK(before && after && strcmp(before, after) == 0);
    free(before), free(after);
    CHECK(fasv_node_check(n, NULL, 0) == FASV_LEGAL);
    /* contiguous again: strides as fasv_tensor_contiguous lays them */
    CHECK(fasv_edit_contiguous(n, FASV_K) == 0 && n->k.offset == 0 && n->k.nb[1] == 256);
    CHECK(fasv_edit_contiguous(n, FASV_Q) == 0 && n->q.nb[1] == 512 && n->q.nb[2] == 512 * 7);
}

int main(void) {
    test_kv_cache_reshape();
    test_mla_view();
    test_small_edits();
    return check_report("test_fuzz_edit");
}
