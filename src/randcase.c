/* randcase.c — structure-aware random legal cases. See fasv/build.h.
 *
 * The generator chooses in the vocabulary planners branch on, each choice a
 * small draw from fasv_rng, so a fuzzer's byte edits map to meaningful edits:
 * head-size pair, K/V types, KV heads and GQA ratio, sequences, n_q class,
 * n_kv around a stride, mask shape, flags, layout. The result is built by
 * fasv_build_case and is legal by construction.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fasv/build.h"

const int64_t fasv_model_head_pairs[][2] = {
    {40, 40},   {64, 64},   {72, 72},   {80, 80},   {96, 96},   {112, 112},
    {128, 128}, {192, 128}, {256, 256}, {320, 256}, {512, 512}, {576, 512},
};
const int fasv_model_head_pairs_count = (int)(sizeof fasv_model_head_pairs / sizeof fasv_model_head_pairs[0]);

static const fasv_type k_quant[] = {FASV_TYPE_Q8_0, FASV_TYPE_Q4_0, FASV_TYPE_Q4_1, FASV_TYPE_Q5_0, FASV_TYPE_Q5_1};

static fasv_type pick_type(fasv_rng *r, int64_t d) {
    int roll = (int)fasv_rng_below(r, 100);
    fasv_type t;
    if (roll < 45)
        t = FASV_TYPE_F16;
    else if (roll < 55)
        t = FASV_TYPE_F32;
    else if (roll < 65)
        t = FASV_TYPE_BF16;
    else
        t = FASV_RNG_PICK(r, k_quant);
    if (fasv_type_get(t)->is_quant && d % 32) t = FASV_TYPE_F16;
    return t;
}

static void pick_heads(fasv_rng *r, bool tiny, int64_t *hsk, int64_t *hsv) {
    if (tiny) {
        static const int64_t d[] = {1, 3, 4, 8, 16, 24, 32, 40, 64};
        *hsk = FASV_RNG_PICK(r, d);
        *hsv = fasv_rng_chance(r, 70) ? *hsk : FASV_RNG_PICK(r, d);
        return;
    }
    int roll = (int)fasv_rng_below(r, 100);
    if (roll < 55) {
        int i = (int)fasv_rng_below(r, (uint64_t)fasv_model_head_pairs_count);
        *hsk = fasv_model_head_pairs[i][0];
        *hsv = fasv_model_head_pairs[i][1];
    } else if (roll < 80) {
        *hsk = *hsv = 8 * fasv_rng_range(r, 1, 32);
    } else if (roll < 90) {
        *hsk = 32 * fasv_rng_range(r, 1, 18);
        *hsv = fasv_rng_chance(r, 50) ? *hsk : 32 * fasv_rng_range(r, 1, 18);
    } else { /* legal, but outside any envelope: planners must say so, not crash */
        *hsk = fasv_rng_range(r, 1, 600);
        *hsv = fasv_rng_chance(r, 50) ? *hsk : fasv_rng_range(r, 1, 600);
    }
}

static int64_t pick_nkv(fasv_rng *r, bool tiny) {
    if (tiny) return fasv_rng_range(r, 1, 40);
    static const int64_t strides[] = {16, 32, 64, 128, 256, 512};
    static const int64_t big[] = {1806, 4096, 8192, 16384, 32768, 131072};
    int roll = (int)fasv_rng_below(r, 100);
    if (roll < 50) { /* around a multiple of a stride */
        int64_t s = FASV_RNG_PICK(r, strides);
        int64_t k = fasv_rng_range(r, 1, 16);
        int64_t v = k * s + fasv_rng_range(r, -1, 1);
        return v < 1 ? 1 : v;
    }
    if (roll < 80) return fasv_rng_range(r, 1, 300);
    if (roll < 95) return FASV_RNG_PICK(r, big) + fasv_rng_range(r, -1, 1);
    return fasv_rng_range(r, 1, 65536);
}

static int64_t pick_nq(fasv_rng *r, bool tiny) {
    if (tiny) return fasv_rng_range(r, 1, 5);
    int roll = (int)fasv_rng_below(r, 100);
    if (roll < 30) return 1;
    if (roll < 50) return fasv_rng_range(r, 2, 8);
    if (roll < 65) return fasv_rng_range(r, 9, 16); /* a draft of n plus one */
    if (roll < 80) return fasv_rng_range(r, 17, 64);
    if (roll < 95) return fasv_rng_range(r, 65, 512);
    return fasv_rng_range(r, 513, 4096);
}

static int64_t pick_divisor(fasv_rng *r, int64_t n) {
    int64_t d[64];
    int cnt = 0;
    for (int64_t i = 1; i <= n && cnt < 64; i++)
        if (n % i == 0) d[cnt++] = i;
    return d[fasv_rng_below(r, (uint64_t)cnt)];
}

static int64_t work_of(const fasv_build *b) {
    double w = (double)(b->nh * b->gqa) * (double)b->nr3 * (double)b->nb * (double)b->kv * (double)(b->hsk + b->hsv);
    return w > 9e18 ? INT64_MAX : (int64_t)w;
}

static int64_t bytes_of(const fasv_build *b) {
    fasv_case c;
    char err[160];
    if (fasv_build_case(b, &c, err, sizeof err) != 0) return INT64_MAX;
    int64_t total = 0;
    for (int id = 0; id < FASV_NT; id++)
        if (fasv_node_has(&c.node, (fasv_tid)id) && c.node.t[id].buf == id) total += c.node.t[id].buf_bytes;
    return total;
}

/* Shrink the largest dimension until the case fits the budgets. */
static void fit_budget(fasv_build *b, const fasv_rand_opts *o) {
    for (int iter = 0; iter < 200; iter++) {
        int over_b = o->max_bytes > 0 && bytes_of(b) > o->max_bytes;
        int over_w = o->max_work > 0 && work_of(b) > o->max_work;
        if (!over_b && !over_w) return;
        if (b->kv_capacity > b->kv) {
            b->kv_capacity = b->kv + (b->kv_capacity - b->kv) / 2;
            if (b->kv_capacity <= b->kv) b->kv_capacity = 0;
        } else if (b->kv > 64 && b->kv >= b->nb) {
            b->kv = (b->kv + 1) / 2;
        } else if (b->nb > 1) {
            b->nb = (b->nb + 1) / 2;
        } else if (b->kv > 1) {
            b->kv = (b->kv + 1) / 2;
        } else if (b->gqa > 1) {
            b->gqa = 1;
        } else if (b->nh > 1) {
            b->nh = (b->nh + 1) / 2;
        } else if (b->nr3 > 1) {
            b->nr3 = b->nr3_kv = 1;
        } else {
            return; /* the smallest node of this head size; accept it */
        }
        /* keep the mask consistent with what changed */
        b->mask_pad = b->mask_pad > b->nb ? b->nb : 0;
        int64_t n_head = b->nh * b->gqa;
        if (b->mask_heads > 1 && n_head % b->mask_heads) b->mask_heads = 1;
        if (b->mask_seqs > 1 && b->nr3 % b->mask_seqs) b->mask_seqs = 1;
    }
}

void fasv_random_case(fasv_rng *r, const fasv_rand_opts *o, fasv_case *out) {
    fasv_build b;
    fasv_build_defaults(&b);
    bool tiny = o->tiny;

    pick_heads(r, tiny, &b.hsk, &b.hsv);
    b.type_k = pick_type(r, b.hsk);
    b.type_v = fasv_rng_chance(r, 60) ? b.type_k : pick_type(r, b.hsv);
    if (fasv_type_get(b.type_v)->is_quant && b.hsv % 32) b.type_v = FASV_TYPE_F16;

    static const int64_t nh_common[] = {1, 1, 2, 4, 8};
    static const int64_t nh_rare[] = {3, 5, 16, 32};
    static const int64_t gqa_common[] = {1, 2, 4, 8};
    static const int64_t gqa_rare[] = {3, 5, 6, 7, 10, 12, 16, 20, 32};
    if (tiny) {
        b.nh = fasv_rng_range(r, 1, 3);
        b.gqa = fasv_rng_range(r, 1, 3);
    } else {
        b.nh = fasv_rng_chance(r, 80) ? FASV_RNG_PICK(r, nh_common) : FASV_RNG_PICK(r, nh_rare);
        b.gqa = fasv_rng_chance(r, 60) ? FASV_RNG_PICK(r, gqa_common) : FASV_RNG_PICK(r, gqa_rare);
    }
    b.nr3_kv = fasv_rng_chance(r, 80) ? 1 : fasv_rng_range(r, 2, tiny ? 2 : 4);
    b.nr3 = b.nr3_kv * (fasv_rng_chance(r, 70) ? 1 : fasv_rng_range(r, 2, 3));
    b.nb = pick_nq(r, tiny);
    b.kv = pick_nkv(r, tiny);
    if (o->focus == FASV_FOCUS_DECODE && !tiny) {
        /* before the mask and the layout, which depend on n_q and the types */
        static const int64_t exact[] = {64, 128, 256};
        static const fasv_type cache[] = {FASV_TYPE_F16, FASV_TYPE_F16, FASV_TYPE_BF16, FASV_TYPE_Q8_0};
        b.nb = 1;
        b.kv = fasv_rng_range(r, 512, 32768);
        if (fasv_rng_chance(r, 85)) b.hsk = b.hsv = FASV_RNG_PICK(r, exact);
        if (fasv_rng_chance(r, 85)) b.type_k = b.type_v = FASV_RNG_PICK(r, cache);
        if (fasv_type_get(b.type_k)->is_quant && b.hsk % 32) b.type_k = FASV_TYPE_F16;
        if (fasv_type_get(b.type_v)->is_quant && b.hsv % 32) b.type_v = FASV_TYPE_F16;
    }

    int64_t n_head = b.nh * b.gqa;
    if (fasv_rng_chance(r, 65)) {
        b.mask = true;
        static const int64_t pads[] = {16, 32, 64};
        if (fasv_rng_chance(r, 40)) {
            int64_t p = FASV_RNG_PICK(r, pads);
            b.mask_pad = (b.nb + p - 1) / p * p;
        }
        if (fasv_rng_chance(r, 30)) b.mask_heads = fasv_rng_chance(r, 50) ? n_head : pick_divisor(r, n_head);
        if (fasv_rng_chance(r, 30)) b.mask_seqs = pick_divisor(r, b.nr3);
        if (fasv_rng_chance(r, 15)) {
            static const float bias[] = {8.0f, 1.0f, 0.5f};
            b.max_bias = FASV_RNG_PICK(r, bias);
        }
    }
    if (fasv_rng_chance(r, 15)) {
        static const float caps[] = {30.0f, 50.0f, 1.5f};
        b.softcap = FASV_RNG_PICK(r, caps);
    }
    b.sinks = fasv_rng_chance(r, 15);
    b.prec = fasv_rng_chance(r, 20) ? FASV_PREC_F32 : FASV_PREC_DEFAULT;
    if (fasv_rng_chance(r, 15)) b.scale = (float)(0.01 + 2.0 * fasv_rng_unit(r));

    if (!o->no_views) {
        if (fasv_rng_chance(r, 30)) b.kv_cache_layout = true;
        if (fasv_rng_chance(r, 30)) b.kv_capacity = b.kv + fasv_rng_range(r, 1, tiny ? 16 : 4096);
        b.permute_q = fasv_rng_chance(r, 30);
        int mla = b.hsk > b.hsv && b.type_k == b.type_v;
        if (b.hsv <= b.hsk && fasv_rng_chance(r, mla ? 60 : 10)) {
            if (!(fasv_type_get(b.type_k)->is_quant && b.hsv % 32)) {
                b.type_v = b.type_k;
                b.v_view_of_k = true;
            }
        }
        /* stride gaps and offsets, in multiples of each type's alignment */
        int64_t ak = fasv_type_get(b.type_k)->align, av = fasv_type_get(b.type_v)->align;
        if (fasv_rng_chance(r, 20)) b.pad_q = 4 * fasv_rng_range(r, 1, 8);
        if (fasv_rng_chance(r, 20)) b.pad_k = ak * fasv_rng_range(r, 1, 8);
        if (fasv_rng_chance(r, 20)) b.pad_v = av * fasv_rng_range(r, 1, 8);
        if (fasv_rng_chance(r, 20)) b.pad_mask = 2 * fasv_rng_range(r, 1, 8);
        if (fasv_rng_chance(r, 15)) b.off_q = 4 * fasv_rng_range(r, 1, 16);
        if (fasv_rng_chance(r, 15)) b.off_k = ak * fasv_rng_range(r, 1, 16);
        if (fasv_rng_chance(r, 15)) b.off_v = av * fasv_rng_range(r, 1, 16);
        if (fasv_rng_chance(r, 15)) b.off_mask = 2 * fasv_rng_range(r, 1, 16);
    }
    static const fasv_dist dists[] = {FASV_DIST_UNIFORM, FASV_DIST_UNIFORM, FASV_DIST_NORMAL, FASV_DIST_ADVERSARIAL};
    b.dist = FASV_RNG_PICK(r, dists);
    b.seed = fasv_rng_u64(r) & 0xFFFFFFFFull;
    if (o->device) snprintf(b.device, sizeof b.device, "%s", o->device);

    fit_budget(&b, o);
    char err[160];
    if (fasv_build_case(&b, out, err, sizeof err) != 0) {
        /* cannot happen for the parameters chosen above; keep the output
         * defined and legal all the same */
        fasv_case_init(out);
    }
}
