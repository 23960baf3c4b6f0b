/* classes.c — node -> class -> representative for the built-in planner.
 * See kernels/classes.h and docs/sweep.md. */
#include "kernels/classes.h"

#include <stdio.h>
#include <string.h>

#include "fasv/build.h"
#include "kernels/planner.h"
#include "kernels/registry.h"

/* Head classes: per bucket (64/64, 128/128, 256/256, 576/512) the exact VEC
 * size (not for 576/512), then the four (Dk % 32 == 0, Dv % 32 == 0)
 * combinations (quantized K needs Dk % 32 == 0, quantized V Dv % 32 == 0);
 * then three classes outside the envelope. */
static const fasv_head_class k_heads[FASV_CL_HEADS] = {
    {64, 64, 1, "64/64 exact (vec)"},
    {40, 40, 1, "40/40 <=64"},
    {40, 64, 1, "40/64 <=64 dv%32"},
    {64, 40, 1, "64/40 <=64 dk%32"},
    {32, 32, 1, "32/32 <=64 %32"},
    {128, 128, 1, "128/128 exact (vec)"},
    {72, 72, 1, "72/72 <=128"},
    {112, 128, 1, "112/128 <=128 dv%32"},
    {128, 112, 1, "128/112 <=128 dk%32"},
    {96, 96, 1, "96/96 <=128 %32"},
    {256, 256, 1, "256/256 exact (vec)"},
    {200, 200, 1, "200/200 <=256"},
    {200, 256, 1, "200/256 <=256 dv%32"},
    {256, 200, 1, "256/200 <=256 dk%32"},
    {192, 128, 1, "192/128 <=256 %32"},
    {520, 504, 1, "520/504 <=576/512"},
    {520, 512, 1, "520/512 <=576/512 dv%32"},
    {576, 504, 1, "576/504 <=576/512 dk%32"},
    {576, 512, 1, "576/512 <=576/512 %32"},
    {100, 100, 0, "100/100 outside: not %8"},
    {640, 512, 0, "640/512 outside: Dk>576"},
    {576, 576, 0, "576/576 outside: Dv>512"},
};

const fasv_head_class *fasv_head_classes(int *count) {
    if (count) *count = FASV_CL_HEADS;
    return k_heads;
}

int fasv_head_class_of(int64_t dk, int64_t dv) {
    if (dk % 8 || dv % 8) return 19;
    if (dk > FASV_PLAN_MAX_D) return 20;
    if (dv > FASV_PLAN_MAX_DV) return 21;
    int b = fasv_plan_bucket(dk, dv);
    int bd = fasv_plan_buckets[b][0];
    if (b < 3 && dk == dv && dk == bd) return 5 * b;
    int base = b < 3 ? 5 * b + 1 : 15;
    return base + 2 * (dk % 32 == 0) + (dv % 32 == 0);
}

const int64_t fasv_class_gqa_rep[FASV_CL_GQA] = {1, 6, 12, 8};
const int64_t fasv_class_nq_rep[FASV_CL_NQ] = {1, 2, 3, 5, 11, 17, 33};
const int64_t fasv_class_nkv_rep[FASV_CL_NKV] = {256, 1, 512, 1806};

static const char *k_nq_names[FASV_CL_NQ] = {"1", "2", "3-4", "5-8", "9-16", "17-32", ">=33"};
static const char *k_nkv_names[FASV_CL_NKV] = {"<512,%256==0", "<512,%256!=0", ">=512,%256==0", ">=512,%256!=0"};

const char *fasv_class_nq_name(int nq) { return nq >= 0 && nq < FASV_CL_NQ ? k_nq_names[nq] : "?"; }
const char *fasv_class_nkv_name(int nkv) { return nkv >= 0 && nkv < FASV_CL_NKV ? k_nkv_names[nkv] : "?"; }

static int nq_class(int64_t nq) {
    if (nq <= 1) return 0;
    if (nq == 2) return 1;
    if (nq <= 4) return 2;
    if (nq <= 8) return 3;
    if (nq <= 16) return 4;
    if (nq <= 32) return 5;
    return 6;
}

void fasv_class_of(const fasv_device *d, const fasv_node *n, fasv_class *c) {
    memset(c, 0, sizeof *c);
    c->head = fasv_head_class_of(fasv_dk(n), fasv_dv(n));
    c->tk = (int)n->k.type;
    c->tv = (int)n->v.type;
    int64_t g = fasv_gqa(n);
    int v2 = 0;
    while (v2 < 3 && g % 2 == 0) {
        g /= 2;
        v2++;
    }
    c->gqa = v2;
    c->nq = nq_class(fasv_nq(n));
    c->nkv = 2 * (fasv_nkv(n) >= FASV_PLAN_SPLIT_MIN_KV) + (fasv_nkv(n) % FASV_PLAN_SPLIT_CHUNK != 0);
    c->occ = fasv_plan_starved(d, n);
    c->align = !(fasv_view_aligned16(&n->k) && fasv_view_aligned16(&n->v));
    c->prec = (int)n->prec;
    c->side = 0;
}

int fasv_class_equal(const fasv_class *a, const fasv_class *b) {
    return a->head == b->head && a->tk == b->tk && a->tv == b->tv && a->gqa == b->gqa && a->nq == b->nq &&
           a->nkv == b->nkv && a->occ == b->occ && a->align == b->align && a->prec == b->prec;
}

static int type_fits(int t, int64_t d) { return !fasv_type_get((fasv_type)t)->is_quant || d % 32 == 0; }

/* Smallest and largest SM counts of the modeled devices: a representative
 * must be starved (or full) on all of them. */
static void sm_range(int *lo, int *hi) {
    int n;
    const fasv_device *d = fasv_devices(&n);
    *lo = *hi = d[0].n_sm;
    for (int i = 1; i < n; i++) {
        if (d[i].n_sm < *lo) *lo = d[i].n_sm;
        if (d[i].n_sm > *hi) *hi = d[i].n_sm;
    }
}

int fasv_class_repr(const fasv_class *c, fasv_node *out) {
    if (c->head < 0 || c->head >= FASV_CL_HEADS || c->tk < 0 || c->tk >= FASV_CL_TYPES || c->tv < 0 ||
        c->tv >= FASV_CL_TYPES)
        return -1;
    const fasv_head_class *h = &k_heads[c->head];
    if (!type_fits(c->tk, h->dk) || !type_fits(c->tv, h->dv)) return -1;

    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = h->dk;
    b.hsv = h->dv;
    b.type_k = (fasv_type)c->tk;
    b.type_v = (fasv_type)c->tv;
    b.gqa = fasv_class_gqa_rep[c->gqa];
    b.nb = fasv_class_nq_rep[c->nq];
    b.kv = fasv_class_nkv_rep[c->nkv];
    b.prec = (fasv_prec)c->prec;

    /* Side variant: mask kind, flags and layout (the planner reads none). */
    int64_t nseq = 1, nseq_k = 1;
    switch (c->side) {
    case 1: /* broadcast mask, unpadded; K/V views of a larger KV cache (prompt reuse) */
        b.mask = true;
        b.kv_capacity = b.kv + 1024;
        break;
    case 2: /* per-head mask padded to 64 rows, ALiBi; q viewed permuted */
        b.mask = true;
        b.mask_heads = -1; /* set to n_head below */
        b.mask_pad = (b.nb + 63) / 64 * 64;
        b.max_bias = 8.0f;
        b.permute_q = true;
        break;
    case 3: /* softcap and sinks; V a view of K where the types allow (MLA) */
        b.softcap = 30.0f;
        b.sinks = true;
        b.v_view_of_k = c->tk == c->tv && h->dv <= h->dk;
        break;
    case 4: /* everything at once, with sequence broadcast (2 q sequences, 1 KV sequence) */
        b.mask = true;
        b.max_bias = 1.0f;
        b.softcap = 50.0f;
        b.sinks = true;
        b.kv_cache_layout = true;
        nseq = 2;
        break;
    case 5: /* per-head and per-sequence mask padded to 16 rows, 2 sequences of each */
        b.mask = true;
        b.mask_heads = -1;
        b.mask_pad = (b.nb + 15) / 16 * 16;
        b.scale = 0.5f;
        nseq = nseq_k = 2;
        break;
    default: /* 0: plain */
        break;
    }

    /* Occupancy: starved on every device (one KV head) or full on every
     * device (enough KV heads for 2 waves of 8-column blocks on the largest). */
    int sm_lo, sm_hi;
    sm_range(&sm_lo, &sm_hi);
    int64_t per_head = b.nb * b.gqa;
    int64_t starve_max = (int64_t)FASV_PLAN_SPLIT_COLS * (FASV_PLAN_SPLIT_WAVES * sm_lo - 1);
    if (c->occ) {
        if (per_head * nseq > starve_max) nseq = nseq_k = 1;
        if (per_head > starve_max) return -1; /* cannot happen with the representative values */
        b.nh = 1;
    } else {
        int64_t need = (int64_t)FASV_PLAN_SPLIT_COLS * FASV_PLAN_SPLIT_WAVES * sm_hi;
        int64_t per = per_head * nseq;
        b.nh = (need + per - 1) / per;
    }
    b.nr3 = nseq;
    b.nr3_kv = nseq_k;
    if (b.mask_heads == -1) b.mask_heads = b.nh * b.gqa;
    if (c->side == 5) b.mask_seqs = nseq;

    /* Alignment: pad rows to 16 bytes, or offset the views by the types'
     * natural alignment (which legality allows and 16 does not divide). */
    if (c->align) {
        b.off_k = fasv_type_get(b.type_k)->align;
        b.off_v = b.v_view_of_k ? 0 : fasv_type_get(b.type_v)->align;
    } else {
        int64_t rk = fasv_row_bytes(b.type_k, b.hsk), rv = fasv_row_bytes(b.type_v, b.hsv);
        b.pad_k = (16 - rk % 16) % 16;
        b.pad_v = (16 - rv % 16) % 16;
    }

    fasv_case cs;
    char err[160];
    if (fasv_build_case(&b, &cs, err, sizeof err) != 0) return -1;
    *out = cs.node;
    return 0;
}

int64_t fasv_class_space(void) {
    return (int64_t)FASV_CL_HEADS * FASV_CL_TYPES * FASV_CL_TYPES * FASV_CL_GQA * FASV_CL_NQ * FASV_CL_NKV *
           FASV_CL_OCC * FASV_CL_ALIGN * FASV_CL_PREC;
}

int fasv_class_at(int64_t index, fasv_class *c) {
    memset(c, 0, sizeof *c);
    if (index < 0 || index >= fasv_class_space()) return -1;
    int64_t i = index;
    c->prec = (int)(i % FASV_CL_PREC), i /= FASV_CL_PREC;
    c->align = (int)(i % FASV_CL_ALIGN), i /= FASV_CL_ALIGN;
    c->occ = (int)(i % FASV_CL_OCC), i /= FASV_CL_OCC;
    c->nkv = (int)(i % FASV_CL_NKV), i /= FASV_CL_NKV;
    c->nq = (int)(i % FASV_CL_NQ), i /= FASV_CL_NQ;
    c->gqa = (int)(i % FASV_CL_GQA), i /= FASV_CL_GQA;
    c->tv = (int)(i % FASV_CL_TYPES), i /= FASV_CL_TYPES;
    c->tk = (int)(i % FASV_CL_TYPES), i /= FASV_CL_TYPES;
    c->head = (int)i;
    c->side = (c->head + c->tk + c->tv + c->gqa + c->nq + c->nkv + c->occ + c->align + c->prec) % FASV_CL_SIDE;
    const fasv_head_class *h = &k_heads[c->head];
    return type_fits(c->tk, h->dk) && type_fits(c->tv, h->dv) ? 0 : -1;
}

int64_t fasv_class_index(const fasv_class *c) {
    int64_t i = c->head;
    i = i * FASV_CL_TYPES + c->tk;
    i = i * FASV_CL_TYPES + c->tv;
    i = i * FASV_CL_GQA + c->gqa;
    i = i * FASV_CL_NQ + c->nq;
    i = i * FASV_CL_NKV + c->nkv;
    i = i * FASV_CL_OCC + c->occ;
    i = i * FASV_CL_ALIGN + c->align;
    i = i * FASV_CL_PREC + c->prec;
    return i;
}

void fasv_class_format(const fasv_class *c, char *buf, size_t len) {
    const fasv_head_class *h = c->head >= 0 && c->head < FASV_CL_HEADS ? &k_heads[c->head] : NULL;
    static const char *gq[FASV_CL_GQA] = {"odd", "2*odd", "4*odd", "8k"};
    snprintf(buf, len, "d=%lld/%lld types=%s/%s gqa=%s nq=%s nkv=%s grid=%s align=%s prec=%s",
             h ? (long long)h->dk : -1LL, h ? (long long)h->dv : -1LL, fasv_type_name((fasv_type)c->tk),
             fasv_type_name((fasv_type)c->tv), c->gqa >= 0 && c->gqa < FASV_CL_GQA ? gq[c->gqa] : "?",
             fasv_class_nq_name(c->nq), fasv_class_nkv_name(c->nkv), c->occ ? "starved" : "full",
             c->align ? "unaligned" : "16B", c->prec ? "f32" : "default");
}
