/* fz_mutate.c — structure-aware mutations. See fz_mutate.h.
 *
 * Each mutation reads the logical shape (fz_edit), changes one thing a
 * planner branches on, and commits through a fz_edit transaction; a
 * mutation that would make the node illegal or leave the bounds is undone
 * and reported as not applicable, and the driver tries another kind.
 */
#include "fz_mutate.h"

#include <math.h>
#include <string.h>

#include "fasv/types.h"
#include "fz_edit.h"
#include "fz_input.h"

static const char *k_mut_names[FASV_MUT_COUNT] = {
    "nkv-stride", "nkv-near", "heads", "gqa",     "nhead-kv", "nq",       "nseq",       "mask",  "mask-shape",
    "sinks",      "softcap",  "alibi", "params", "types",    "misalign", "view", "contiguous", "data",
};

const char *fasv_mut_name(fasv_mut m) { return (unsigned)m < FASV_MUT_COUNT ? k_mut_names[m] : "?"; }

/* Tiny bounds: the sizes fasv_random_case uses for oracle cases. */
#define TINY_D 64
#define TINY_NQ 8
#define TINY_NKV 64
#define TINY_NHEAD 16
#define TINY_NSEQ 4

static int64_t work_of(const fasv_node *n) {
    double w = (double)fasv_nhead(n) * (double)fasv_nseq(n) * (double)fasv_nq(n) * (double)fasv_nkv(n) *
               (double)(fasv_dk(n) + fasv_dv(n));
    return w > 9e18 ? INT64_MAX : (int64_t)w;
}

static int64_t bytes_of(const fasv_node *n) {
    int64_t total = 0;
    for (int id = 0; id < FASV_NT; id++)
        if (fasv_node_has(n, (fasv_tid)id) && n->t[id].buf == id) total += n->t[id].buf_bytes;
    return total;
}

int fasv_mutate_within(const fasv_case *c, const fasv_mutate_opts *o) {
    const fasv_node *n = &c->node;
    if (o->rand.max_work > 0 && work_of(n) > o->rand.max_work) return 0;
    if (o->rand.max_bytes > 0 && bytes_of(n) > o->rand.max_bytes) return 0;
    if (o->rand.tiny && (fasv_dk(n) > TINY_D || fasv_dv(n) > TINY_D || fasv_nq(n) > TINY_NQ ||
                         fasv_nkv(n) > TINY_NKV || fasv_nhead(n) > TINY_NHEAD || fasv_nseq(n) > TINY_NSEQ))
        return 0;
    return 1;
}

/* ---- choices ------------------------------------------------------------- */

static int64_t pick_divisor(fasv_rng *r, int64_t n) {
    int64_t d[64];
    int cnt = 0;
    for (int64_t i = 1; i <= n && i <= 4096 && cnt < 64; i++)
        if (n % i == 0) d[cnt++] = i;
    if (cnt == 0) return 1;
    return d[fasv_rng_below(r, (uint64_t)cnt)];
}

/* Make the mask's planes and rows fit a changed shape. */
static void fit_mask(fasv_shape *s) {
    if (s->m2 < 1 || s->nhead % s->m2) s->m2 = 1;
    if (s->m3 < 1 || s->nseq % s->m3) s->m3 = 1;
    if (s->mask_pad < s->nq) s->mask_pad = s->nq;
}

static int reshape(fasv_node *n, fasv_shape *s) {
    fit_mask(s);
    return fasv_edit_reshape(n, s);
}

static int64_t pick_nq(fasv_rng *r, int tiny, int64_t cur) {
    if (tiny) return fasv_rng_range(r, 1, TINY_NQ);
    switch (fasv_rng_below(r, 7)) {
    case 0: return 1;
    case 1: return fasv_rng_range(r, 2, 8);
    case 2: return fasv_rng_range(r, 9, 17); /* a draft of n, plus one */
    case 3: return fasv_rng_range(r, 17, 64);
    case 4: return fasv_rng_range(r, 65, 512);
    case 5: return fasv_rng_range(r, 513, 4096);
    default: return cur + (fasv_rng_chance(r, 50) ? 1 : -1);
    }
}

static void pick_heads(fasv_rng *r, int tiny, int64_t *dk, int64_t *dv) {
    if (tiny) {
        static const int64_t d[] = {1, 3, 4, 8, 16, 24, 32, 40, 64};
        *dk = FASV_RNG_PICK(r, d);
        *dv = fasv_rng_chance(r, 70) ? *dk : FASV_RNG_PICK(r, d);
        return;
    }
    switch (fasv_rng_below(r, 5)) {
    case 0:
    case 1: {
        int i = (int)fasv_rng_below(r, (uint64_t)fasv_model_head_pairs_count);
        *dk = fasv_model_head_pairs[i][0];
        *dv = fasv_model_head_pairs[i][1];
        break;
    }
    case 2: *dk = *dv = 8 * fasv_rng_range(r, 1, 72); break;
    case 3:
        *dk = 32 * fasv_rng_range(r, 1, 18);
        *dv = fasv_rng_chance(r, 50) ? *dk : 32 * fasv_rng_range(r, 1, 18);
        break;
    default: /* legal, usually outside every envelope */
        *dk = fasv_rng_range(r, 1, 640);
        *dv = fasv_rng_chance(r, 50) ? *dk : fasv_rng_range(r, 1, 640);
    }
}

static const fasv_type k_kv_types[] = {FASV_TYPE_F16,  FASV_TYPE_F16,  FASV_TYPE_F32,  FASV_TYPE_BF16, FASV_TYPE_Q8_0,
                                       FASV_TYPE_Q4_0, FASV_TYPE_Q4_1, FASV_TYPE_Q5_0, FASV_TYPE_Q5_1};

static fasv_type fit_type(fasv_type t, int64_t d) {
    return fasv_type_get(t)->is_quant && d % FASV_QK ? FASV_TYPE_F16 : t;
}

/* A V that is a view of K must follow K's type; detach it when it cannot. */
static int v_in_k(const fasv_node *n) { return n->v.buf == FASV_K; }

static int set_types(fasv_node *n, fasv_type tk, fasv_type tv) {
    tk = fit_type(tk, fasv_dk(n));
    tv = fit_type(tv, fasv_dv(n));
    if (v_in_k(n) && tk != tv && fasv_edit_contiguous(n, FASV_V) != 0) return -1;
    return fasv_edit_types(n, tk, tv);
}

/* ---- the mutations ------------------------------------------------------- */

static int mut_heads(fasv_node *n, fasv_rng *r, const fasv_mutate_opts *o) {
    fasv_node backup = *n;
    int64_t dk, dv;
    pick_heads(r, o->rand.tiny, &dk, &dv);
    /* quantized rows need multiples of 32; a V view of K needs dv <= dk */
    if (set_types(n, fit_type(n->k.type, dk), fit_type(n->v.type, dv)) != 0) goto fail;
    if (v_in_k(n) && dv > dk && fasv_edit_contiguous(n, FASV_V) != 0) goto fail;
    fasv_shape s;
    fasv_shape_get(n, &s);
    int default_scale = n->scale == (float)(1.0 / sqrt((double)s.dk));
    s.dk = dk;
    s.dv = dv;
    if (reshape(n, &s) != 0) goto fail;
    if (default_scale) n->scale = (float)(1.0 / sqrt((double)dk));
    return 0;
fail:
    *n = backup;
    return -1;
}

static int mut_types(fasv_node *n, fasv_rng *r) {
    fasv_type tk = n->k.type, tv = n->v.type;
    switch (fasv_rng_below(r, 4)) {
    case 0: tk = tv = FASV_RNG_PICK(r, k_kv_types); break;
    case 1: tk = FASV_RNG_PICK(r, k_kv_types); break;
    case 2: tv = FASV_RNG_PICK(r, k_kv_types); break;
    default: tk = tv = FASV_TYPE_F16;
    }
    if (v_in_k(n)) tv = tk;
    return set_types(n, tk, tv);
}

static int elem_bytes(fasv_type t) {
    const fasv_type_info *ti = fasv_type_get(t);
    return ti->is_quant ? ti->align : ti->block_bytes;
}

static int mut_misalign(fasv_node *n, fasv_rng *r) {
    static const fasv_tid ids[] = {FASV_Q, FASV_K, FASV_V, FASV_MASK};
    fasv_tid id = FASV_RNG_PICK(r, ids);
    if (!fasv_node_has(n, id)) id = FASV_K;
    const fasv_type_info *ti = fasv_type_get(n->t[id].type);
    int64_t unit;
    switch (fasv_rng_below(r, 4)) {
    case 0: unit = ti->block_bytes; break; /* one whole element or block */
    case 1: unit = 16; break;               /* one 16-byte vector */
    default: unit = elem_bytes(n->t[id].type);
    }
    int64_t delta = fasv_rng_chance(r, 75) ? unit : -unit;
    if (fasv_rng_chance(r, 20)) return fasv_edit_offset(n, id, delta);
    int pos = fasv_rng_chance(r, 70) ? 0 : (int)fasv_rng_below(r, 3);
    return fasv_edit_gap(n, id, pos, delta);
}

static int mut_view(fasv_node *n, fasv_rng *r, const fasv_mutate_opts *o) {
    fasv_node backup = *n;
    switch (fasv_rng_below(r, 6)) {
    case 0: { /* a view at an offset into a larger buffer */
        static const fasv_tid ids[] = {FASV_Q, FASV_K, FASV_V, FASV_MASK};
        fasv_tid id = FASV_RNG_PICK(r, ids);
        if (!fasv_node_has(n, id)) id = FASV_K;
        int64_t a = fasv_type_get(n->t[id].type)->align;
        return fasv_edit_offset(n, id, a * fasv_rng_range(r, 1, 64));
    }
    case 1: { /* llama.cpp KV cache: heads interleaved per token, capacity rows */
        static const int order[3] = {2, 1, 3};
        int64_t extra = o->rand.tiny ? fasv_rng_range(r, 0, 16) : fasv_rng_range(r, 0, 4096);
        for (int id = FASV_K; id <= FASV_V; id++) {
            if (id == FASV_V && v_in_k(n)) break;
            if (fasv_edit_order(n, (fasv_tid)id, order) != 0) goto fail;
            if (extra) {
                int64_t row_stride = n->t[id].nb[1];
                if (fasv_edit_gap(n, (fasv_tid)id, 2, extra * row_stride) != 0) goto fail;
                if (fasv_edit_slack(n, (fasv_tid)id, extra * row_stride) != 0) goto fail;
            }
        }
        return 0;
    }
    case 2: { /* q viewed permuted from [Dk, n_head, n_q, n_seq] */
        static const int order[3] = {2, 1, 3};
        return fasv_edit_order(n, FASV_Q, order);
    }
    case 3: /* V is a view of K's first Dv values (MLA) */
        if (v_in_k(n) || fasv_dv(n) > fasv_dk(n)) return -1;
        if (n->v.type != n->k.type && set_types(n, n->k.type, n->k.type) != 0) goto fail;
        if (fasv_edit_view_of(n, FASV_V, FASV_K) != 0) goto fail;
        return 0;
    case 4: { /* slack after a view */
        static const fasv_tid ids[] = {FASV_Q, FASV_K, FASV_V};
        fasv_tid id = FASV_RNG_PICK(r, ids);
        if (n->t[id].buf != (int)id) return -1;
        return fasv_edit_slack(n, id, 2 * fasv_rng_range(r, 1, o->rand.tiny ? 64 : 65536));
    }
    default: { /* any order of the outer dims */
        static const int orders[6][3] = {{1, 2, 3}, {1, 3, 2}, {2, 1, 3}, {2, 3, 1}, {3, 1, 2}, {3, 2, 1}};
        static const fasv_tid ids[] = {FASV_Q, FASV_K, FASV_V, FASV_MASK};
        fasv_tid id = FASV_RNG_PICK(r, ids);
        if (!fasv_node_has(n, id)) return -1;
        return fasv_edit_order(n, id, orders[fasv_rng_below(r, 6)]);
    }
    }
fail:
    *n = backup;
    return -1;
}

static int mutate_node(fasv_case *c, fasv_mut m, fasv_rng *r, const fasv_mutate_opts *o) {
    fasv_node *n = &c->node;
    int tiny = o->rand.tiny;
    fasv_shape s;
    fasv_shape_get(n, &s);
    switch (m) {
    case FASV_MUT_NKV_STRIDE: {
        static const int64_t strides[] = {16, 32, 64, 128, 256, 512};
        int64_t st = tiny ? 16 * fasv_rng_range(r, 1, 2) : FASV_RNG_PICK(r, strides);
        int64_t k = tiny ? fasv_rng_range(r, 1, 2) : fasv_rng_range(r, 1, 16);
        s.nkv = k * st + fasv_rng_range(r, -1, 1);
        return reshape(n, &s);
    }
    case FASV_MUT_NKV_NEAR:
        if (fasv_rng_chance(r, 50))
            s.nkv += fasv_rng_chance(r, 50) ? fasv_rng_range(r, 1, 3) : -fasv_rng_range(r, 1, 3);
        else
            s.nkv = fasv_rng_range(r, 1, tiny ? TINY_NKV : 300);
        return reshape(n, &s);
    case FASV_MUT_HEADS: return mut_heads(n, r, o);
    case FASV_MUT_GQA: {
        static const int64_t ratios[] = {1, 2, 4, 8, 16, 32, 3, 5, 7, 11, 13, 6, 10, 12, 20};
        int64_t g = tiny ? fasv_rng_range(r, 1, 4) : FASV_RNG_PICK(r, ratios);
        s.nhead = s.nhead_kv * g;
        return reshape(n, &s);
    }
    case FASV_MUT_NHEAD_KV: {
        static const int64_t kvh[] = {1, 2, 4, 8, 3, 5, 16, 32};
        int64_t g = s.nhead / s.nhead_kv;
        s.nhead_kv = tiny ? fasv_rng_range(r, 1, 3) : FASV_RNG_PICK(r, kvh);
        s.nhead = s.nhead_kv * g;
        return reshape(n, &s);
    }
    case FASV_MUT_NQ: {
        s.nq = pick_nq(r, tiny, s.nq);
        if (n->has_mask && s.mask_pad < s.nq) {
            static const int64_t pads[] = {1, 16, 32, 64};
            int64_t p = FASV_RNG_PICK(r, pads);
            s.mask_pad = (s.nq + p - 1) / p * p;
        }
        return reshape(n, &s);
    }
    case FASV_MUT_NSEQ:
        s.nseq_k = fasv_rng_chance(r, 60) ? 1 : fasv_rng_range(r, 2, tiny ? 2 : 4);
        s.nseq = s.nseq_k * (fasv_rng_chance(r, 60) ? 1 : fasv_rng_range(r, 2, 3));
        return reshape(n, &s);
    case FASV_MUT_MASK: {
        if (n->has_mask) return fasv_edit_mask(n, 0, 0);
        static const int64_t pads[] = {1, 1, 16, 32, 64};
        int64_t p = FASV_RNG_PICK(r, pads);
        return fasv_edit_mask(n, 1, (s.nq + p - 1) / p * p);
    }
    case FASV_MUT_MASK_SHAPE:
        if (!n->has_mask) return -1;
        switch (fasv_rng_below(r, 3)) {
        case 0: s.m2 = fasv_rng_chance(r, 50) ? s.nhead : (fasv_rng_chance(r, 30) ? 1 : pick_divisor(r, s.nhead)); break;
        case 1: s.m3 = fasv_rng_chance(r, 50) ? 1 : pick_divisor(r, s.nseq); break;
        default: {
            static const int64_t pads[] = {1, 8, 16, 32, 64};
            int64_t p = FASV_RNG_PICK(r, pads);
            s.mask_pad = (s.nq + p - 1) / p * p + (fasv_rng_chance(r, 20) ? 1 : 0);
        }
        }
        return reshape(n, &s);
    case FASV_MUT_SINKS: return fasv_edit_sinks(n, !n->has_sinks);
    case FASV_MUT_SOFTCAP: {
        static const float caps[] = {0.0f, 30.0f, 50.0f, 1.5f, 20.0f};
        float v = n->softcap != 0 && fasv_rng_chance(r, 50) ? 0.0f : FASV_RNG_PICK(r, caps);
        if (v == n->softcap) return -1;
        n->softcap = v;
        return 0;
    }
    case FASV_MUT_ALIBI: {
        if (n->max_bias > 0) {
            n->max_bias = 0;
            return 0;
        }
        static const float bias[] = {8.0f, 1.0f, 0.5f};
        if (!n->has_mask && fasv_edit_mask(n, 1, s.nq) != 0) return -1;
        n->max_bias = FASV_RNG_PICK(r, bias);
        return 0;
    }
    case FASV_MUT_PARAMS:
        if (fasv_rng_chance(r, 50))
            n->prec = n->prec == FASV_PREC_F32 ? FASV_PREC_DEFAULT : FASV_PREC_F32;
        else
            n->scale = fasv_rng_chance(r, 50) ? (float)(1.0 / sqrt((double)s.dk)) : (float)(0.01 + 2.0 * fasv_rng_unit(r));
        return 0;
    case FASV_MUT_TYPES: return mut_types(n, r);
    case FASV_MUT_MISALIGN: return mut_misalign(n, r);
    case FASV_MUT_VIEW: return mut_view(n, r, o);
    case FASV_MUT_CONTIGUOUS: {
        fasv_tid id = (fasv_tid)fasv_rng_below(r, FASV_NT);
        if (!fasv_node_has(n, id) || fasv_is_contiguous(n, id)) return -1;
        return fasv_edit_contiguous(n, id);
    }
    case FASV_MUT_DATA:
        if (fasv_rng_chance(r, 50))
            c->seed = fasv_rng_u64(r) & 0xFFFFFFFFull;
        else
            c->dist = (fasv_dist)fasv_rng_below(r, FASV_DIST_COUNT);
        return 0;
    default: return -1;
    }
}

int fasv_mutate_one(fasv_case *c, fasv_mut m, fasv_rng *r, const fasv_mutate_opts *o) {
    fasv_node backup = c->node;
    uint64_t seed = c->seed;
    fasv_dist dist = c->dist;
    /* every mutation either goes through a checked fz_edit transaction or
     * changes a parameter within its legal range, so a legal case stays
     * legal without checking it again here (tests check it independently) */
    if (mutate_node(c, m, r, o) != 0 || !fasv_mutate_within(c, o)) {
        c->node = backup;
        c->seed = seed;
        c->dist = dist;
        return -1;
    }
    return 0;
}

int fasv_mutate(fasv_case *c, fasv_rng *r, const fasv_mutate_opts *o) {
    static const int k_stack[] = {1, 1, 1, 2, 2, 3, 4};
    int want = FASV_RNG_PICK(r, k_stack), done = 0;
    for (int tries = 0; done < want && tries < 8 * want; tries++)
        if (fasv_mutate_one(c, (fasv_mut)fasv_rng_below(r, FASV_MUT_COUNT), r, o) == 0) done++;
    return done;
}

size_t fasv_custom_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed, const fasv_mutate_opts *o,
                          fasv_bytemut_fn bytemut) {
    fasv_rng r;
    fasv_rng_seed(&r, seed);
    if (bytemut && fasv_rng_chance(&r, 10)) return bytemut(data, size, max_size);
    if (max_size < FASV_RECORD_SIZE) return bytemut ? bytemut(data, size, max_size) : size;
    fasv_case c;
    fasv_input_form f = fasv_input_decode(data, size, &o->rand, &c, NULL, 0);
    if (f == FASV_INPUT_BAD || fasv_node_check(&c.node, NULL, 0) != FASV_LEGAL || !fasv_mutate_within(&c, o))
        fasv_random_case(&r, &o->rand, &c); /* start over from a fresh legal case */
    fasv_mutate(&c, &r, o);
    return fasv_record_encode(&c, data);
}
