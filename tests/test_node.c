/* test_node.c — the legality rules: a legal base node, and one illegal
 * variant per rule and corner, each rejected with the expected rule and a
 * reason naming the right tensor. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "fasv/build.h"
#include "fasv/node.h"

static fasv_case base(void) {
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = b.hsv = 64;
    b.nh = 2;
    b.gqa = 2;
    b.nr3 = 2;
    b.kv = 40;
    b.nb = 3;
    b.mask = true;
    b.sinks = true;
    fasv_case c;
    char err[256];
    fasv_build_case(&b, &c, err, sizeof err);
    return c;
}

typedef void (*mutate_fn)(fasv_node *n);
typedef struct variant {
    const char *name;
    mutate_fn fn;
    fasv_illegal code;
    const char *substr;
} variant;

/* name, rule, substring of the reason, mutation */
#define VARIANTS(X) \
    X(q_f16, FASV_ILL_TYPE, "q: type f16", n->q.type = FASV_TYPE_F16) \
    X(mask_f32, FASV_ILL_TYPE, "mask must be f16", n->mask.type = FASV_TYPE_F32) \
    X(sinks_f16, FASV_ILL_TYPE, "sinks must be f32", n->sinks.type = FASV_TYPE_F16) \
    X(k_badtype, FASV_ILL_TYPE, "unknown type", n->k.type = (fasv_type)42) \
    X(q_ne0_zero, FASV_ILL_NE_RANGE, "q: ne[0]", n->q.ne[0] = 0) \
    X(k_ne1_neg, FASV_ILL_NE_RANGE, "k: ne[1] (n_kv)", n->k.ne[1] = -5) \
    X(v_ne_huge, FASV_ILL_NE_RANGE, "v: ne[3]", n->v.ne[3] = ((int64_t)1 << 31) + 1) \
    X(dk_mismatch, FASV_ILL_HEAD_DIM, "differs from q's Dk", n->k.ne[0] = 32) \
    X(kv_len_mismatch, FASV_ILL_HEAD_DIM, "v: ne[1] (n_kv)", n->v.ne[1] = 41) \
    X(kv_heads_mismatch, FASV_ILL_HEAD_DIM, "v: ne[2]", n->v.ne[2] = 1) \
    X(head_bcast, FASV_ILL_HEAD_BCAST, "does not divide q's n_head", n->k.ne[2] = n->v.ne[2] = 3) \
    X(seq_bcast, FASV_ILL_SEQ_BCAST, "n_seq_k", n->k.ne[3] = n->v.ne[3] = 3) \
    X(quant_k_row, FASV_ILL_QUANT_ROW, "k: q8_0 rows need a multiple of 32", { n->q.ne[0] = n->k.ne[0] = 48; n->k.type = FASV_TYPE_Q8_0; }) \
    X(quant_v_row, FASV_ILL_QUANT_ROW, "v: q4_1", { n->v.ne[0] = 40; n->v.type = FASV_TYPE_Q4_1; }) \
    X(q_nb0, FASV_ILL_ROW_STRIDE, "q: rows must be contiguous", n->q.nb[0] = 8) \
    X(k_nb0, FASV_ILL_ROW_STRIDE, "k: rows must be contiguous", n->k.nb[0] = 4) \
    X(q_align, FASV_ILL_ALIGN, "q: nb[1]=258", n->q.nb[1] = 258) \
    X(k_off_align, FASV_ILL_ALIGN, "k: offset 1", n->k.offset = 1) \
    X(mask_align, FASV_ILL_ALIGN, "mask: nb[2]", n->mask.nb[2] = 243) \
    X(rows_overlap, FASV_ILL_OVERLAP, "k: rows overlap", n->k.nb[1] = 64) \
    X(planes_overlap, FASV_ILL_OVERLAP, "q: dim 2 (n_head) overlaps", n->q.nb[2] = 256 * 2) \
    X(seq_overlap, FASV_ILL_OVERLAP, "v: dim 3", n->v.nb[3] = n->v.nb[2]) \
    X(neg_stride, FASV_ILL_BUFFER, "nb[2]=-", n->k.nb[2] = -128) \
    X(past_buffer, FASV_ILL_BUFFER, "past the end", n->v.buf_bytes -= 2) \
    X(offset_past, FASV_ILL_BUFFER, "past the end", n->q.offset += 4) \
    X(buf_zero, FASV_ILL_BUFFER, "buffer size 0", n->mask.buf_bytes = 0) \
    X(buf_ref_later, FASV_ILL_BUFFER, "not an earlier tensor", n->k.buf = FASV_V) \
    X(buf_ref_type, FASV_ILL_BUFFER, "whose buffer it shares", { n->v.buf = FASV_K; n->v.type = FASV_TYPE_BF16; }) \
    X(buf_ref_bad, FASV_ILL_BUFFER, "buffer reference 9", n->v.buf = 9) \
    X(mask_kv, FASV_ILL_MASK_SHAPE, "mask: ne[0]=39 must equal n_kv=40", n->mask.ne[0] = 39) \
    X(mask_rows, FASV_ILL_MASK_SHAPE, "less than n_q=3", n->mask.ne[1] = 2) \
    X(mask_m2, FASV_ILL_MASK_BCAST, "m2 (ne[2]=3)", n->mask.ne[2] = 3) \
    X(mask_m3, FASV_ILL_MASK_BCAST, "m3 (ne[3]=4)", n->mask.ne[3] = 4) \
    X(sinks_len, FASV_ILL_SINKS_SHAPE, "must be [n_head=4,1,1,1]", n->sinks.ne[0] = 2) \
    X(sinks_2d, FASV_ILL_SINKS_SHAPE, "sinks: shape", n->sinks.ne[1] = 2) \
    X(alibi_nomask, FASV_ILL_ALIBI_NO_MASK, "needs a mask", { n->has_mask = false; n->max_bias = 8; }) \
    X(scale_nan, FASV_ILL_PARAM, "scale", n->scale = NAN) \
    X(scale_inf, FASV_ILL_PARAM, "scale", n->scale = INFINITY) \
    X(bias_neg, FASV_ILL_PARAM, "max_bias", n->max_bias = -1) \
    X(softcap_neg, FASV_ILL_PARAM, "softcap", n->softcap = -2) \
    X(prec_bad, FASV_ILL_PARAM, "precision", n->prec = (fasv_prec)7) \

#define FN(nm, code, sub, body) static void nm(fasv_node *n) { body; }
VARIANTS(FN)
#undef FN

static const variant k_variants[] = {
#define ENT(nm, code, sub, body) {#nm, nm, code, sub},
    VARIANTS(ENT)
#undef ENT
};

static void test_base_and_variants(void) {
    fasv_case c = base();
    char why[256];
    CHECKF(fasv_node_check(&c.node, why, sizeof why) == FASV_LEGAL, "base is illegal: %s", why);
    int n = (int)(sizeof k_variants / sizeof k_variants[0]);
    CHECKF(n >= 30, "only %d illegal variants", n);
    for (int i = 0; i < n; i++) {
        fasv_case v = base();
        k_variants[i].fn(&v.node);
        fasv_illegal got = fasv_node_check(&v.node, why, sizeof why);
        CHECKF(got == k_variants[i].code, "%s: rule %s, expected %s (%s)", k_variants[i].name, fasv_illegal_name(got),
               fasv_illegal_name(k_variants[i].code), why);
        CHECKF(strstr(why, k_variants[i].substr) != NULL, "%s: reason '%s' lacks '%s'", k_variants[i].name, why,
               k_variants[i].substr);
    }
}

/* Legal corners that a careless checker would reject. */
static void test_legal_corners(void) {
    char why[256];
    fasv_build b;
    char err[256];
    fasv_case c;
    /* MLA: V a view of K's first 512 values, q8_0 */
    fasv_build_defaults(&b);
    b.hsk = 576;
    b.hsv = 512;
    b.type_k = b.type_v = FASV_TYPE_Q8_0;
    b.v_view_of_k = true;
    b.kv = 77;
    CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
    CHECKF(fasv_node_check(&c.node, why, sizeof why) == FASV_LEGAL, "MLA view: %s", why);
    /* permuted q, llama.cpp cache layout with capacity, padded rows, offsets */
    fasv_build_defaults(&b);
    b.nh = 4;
    b.gqa = 3;
    b.permute_q = true;
    b.kv_capacity = 1000;
    b.pad_k = 6;
    b.off_v = 10;
    b.mask = true;
    b.mask_pad = 64;
    b.mask_heads = 12;
    b.pad_mask = 2;
    CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
    CHECKF(fasv_node_check(&c.node, why, sizeof why) == FASV_LEGAL, "views: %s", why);
    /* odd head size with float types is legal for the op */
    fasv_build_defaults(&b);
    b.hsk = 33;
    b.hsv = 7;
    b.type_k = FASV_TYPE_F32;
    b.type_v = FASV_TYPE_BF16;
    CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
    CHECKF(fasv_node_check(&c.node, why, sizeof why) == FASV_LEGAL, "odd head: %s", why);
    /* a singleton dimension may have any (aligned) stride */
    c.node.k.nb[3] = 4;
    c.node.v.nb[3] = 2;
    CHECKF(fasv_node_check(&c.node, why, sizeof why) == FASV_LEGAL, "singleton stride: %s", why);
    /* strides that interleave heads within a token row (KV cache) are legal,
     * but one byte of overlap is not */
    fasv_build_defaults(&b);
    b.nh = 2;
    b.kv_cache_layout = true;
    CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
    CHECK(fasv_node_check(&c.node, why, sizeof why) == FASV_LEGAL);
    c.node.k.nb[1] -= 2; /* tokens now overlap the second head's row */
    CHECK(fasv_node_check(&c.node, why, sizeof why) == FASV_ILL_OVERLAP);
}

int main(void) {
    test_base_and_variants();
    test_legal_corners();
    return check_report("test_node");
}
