/* node.c — geometry and legality of a FLASH_ATTN_EXT node. See fasv/node.h.
 * Every rule here is a rule of the op (ggml's asserts plus memory safety of
 * views), never a kernel's restriction. */
#include "fasv/node.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static const char *k_tid_names[FASV_NT] = {"q", "k", "v", "mask", "sinks"};

const char *fasv_tid_name(fasv_tid id) {
    return (unsigned)id < FASV_NT ? k_tid_names[id] : "?";
}

const char *fasv_prec_name(fasv_prec p) { return p == FASV_PREC_F32 ? "f32" : "default"; }

static const char *k_ill_names[FASV_ILL_COUNT] = {
    [FASV_LEGAL] = "legal",
    [FASV_ILL_TYPE] = "type",
    [FASV_ILL_NE_RANGE] = "ne-range",
    [FASV_ILL_HEAD_DIM] = "dims",
    [FASV_ILL_HEAD_BCAST] = "head-bcast",
    [FASV_ILL_SEQ_BCAST] = "seq-bcast",
    [FASV_ILL_QUANT_ROW] = "quant-row",
    [FASV_ILL_ROW_STRIDE] = "row-stride",
    [FASV_ILL_ALIGN] = "align",
    [FASV_ILL_OVERLAP] = "overlap",
    [FASV_ILL_BUFFER] = "buffer",
    [FASV_ILL_MASK_SHAPE] = "mask-shape",
    [FASV_ILL_MASK_BCAST] = "mask-bcast",
    [FASV_ILL_SINKS_SHAPE] = "sinks-shape",
    [FASV_ILL_ALIBI_NO_MASK] = "alibi-no-mask",
    [FASV_ILL_PARAM] = "param",
};

const char *fasv_illegal_name(fasv_illegal code) {
    return (unsigned)code < FASV_ILL_COUNT ? k_ill_names[code] : "?";
}

bool fasv_node_has(const fasv_node *n, fasv_tid id) {
    switch (id) {
    case FASV_Q:
    case FASV_K:
    case FASV_V:
        return true;
    case FASV_MASK:
        return n->has_mask;
    case FASV_SINKS:
        return n->has_sinks;
    default:
        return false;
    }
}

int64_t fasv_out_count(const fasv_node *n) {
    return n->v.ne[0] * n->q.ne[2] * n->q.ne[1] * n->q.ne[3];
}

int64_t fasv_tensor_row_bytes(const fasv_tensor *t) { return fasv_row_bytes(t->type, t->ne[0]); }

int64_t fasv_tensor_end(const fasv_tensor *t) {
    int64_t end = t->offset + fasv_tensor_row_bytes(t);
    for (int i = 1; i < 4; i++) end += (t->ne[i] - 1) * t->nb[i];
    return end;
}

int64_t fasv_node_buf_bytes(const fasv_node *n, fasv_tid id) {
    const fasv_tensor *t = &n->t[id];
    if ((unsigned)t->buf < FASV_NT) return n->t[t->buf].buf_bytes;
    return 0;
}

void fasv_tensor_contiguous(fasv_tensor *t, fasv_tid self) {
    const fasv_type_info *ti = fasv_type_get(t->type);
    t->nb[0] = ti ? ti->block_bytes : 0;
    t->nb[1] = fasv_tensor_row_bytes(t);
    t->nb[2] = t->nb[1] * t->ne[1];
    t->nb[3] = t->nb[2] * t->ne[2];
    t->offset = 0;
    t->buf = (int)self;
    t->buf_bytes = t->nb[3] * t->ne[3];
}

/* ---- legality ------------------------------------------------------------ */

static fasv_illegal fail(char *reason, size_t len, fasv_illegal code, const char *fmt, ...) {
    if (reason && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, len, fmt, ap);
        va_end(ap);
    }
    return code;
}

#define FAIL(code, ...) return fail(reason, reason_len, code, __VA_ARGS__)

static const char *k_dim_names[FASV_NT][4] = {
    {"Dk", "n_q", "n_head", "n_seq"},
    {"Dk", "n_kv", "n_head_kv", "n_seq_k"},
    {"Dv", "n_kv", "n_head_kv", "n_seq_k"},
    {"n_kv", "n_q_pad", "m2", "m3"},
    {"n_head", "ne[1]", "ne[2]", "ne[3]"},
};

/* a*b+c without overflow for nonnegative operands bounded by the limits; -1 on overflow */
static int64_t mul_add(int64_t a, int64_t b, int64_t c) {
    int64_t p;
    if (__builtin_mul_overflow(a, b, &p)) return -1;
    if (__builtin_add_overflow(p, c, &p)) return -1;
    return p;
}

/* Per-tensor geometry: row stride, alignment, overlap, extent inside the buffer. */
static fasv_illegal check_geometry(const fasv_node *n, fasv_tid id, char *reason, size_t reason_len) {
    const fasv_tensor *t = &n->t[id];
    const char *tn = k_tid_names[id];
    const fasv_type_info *ti = fasv_type_get(t->type);
    int64_t row = fasv_tensor_row_bytes(t);

    if (t->nb[0] != ti->block_bytes)
        FAIL(FASV_ILL_ROW_STRIDE, "%s: rows must be contiguous: nb[0]=%lld but a %s %s is %d bytes", tn,
             (long long)t->nb[0], ti->name, ti->is_quant ? "block" : "element", ti->block_bytes);
    for (int i = 1; i < 4; i++) {
        if (t->nb[i] < 0 || t->nb[i] > FASV_MAX_BYTES)
            FAIL(FASV_ILL_BUFFER, "%s: nb[%d]=%lld is outside [0, 2^50]", tn, i, (long long)t->nb[i]);
    }
    if (t->offset < 0 || t->offset > FASV_MAX_BYTES)
        FAIL(FASV_ILL_BUFFER, "%s: offset %lld is outside [0, 2^50]", tn, (long long)t->offset);
    if (t->offset % ti->align)
        FAIL(FASV_ILL_ALIGN, "%s: offset %lld is not a multiple of %s alignment %d", tn, (long long)t->offset,
             ti->name, ti->align);
    for (int i = 1; i < 4; i++) {
        if (t->nb[i] % ti->align)
            FAIL(FASV_ILL_ALIGN, "%s: nb[%d]=%lld is not a multiple of %s alignment %d", tn, i,
                 (long long)t->nb[i], ti->name, ti->align);
    }

    /* Overlap: order the non-singleton outer dims by stride; each stride must
     * step over everything the smaller dims span. */
    int ord[3], cnt = 0;
    for (int i = 1; i < 4; i++)
        if (t->ne[i] > 1) ord[cnt++] = i;
    for (int a = 1; a < cnt; a++) /* insertion sort by (nb, dim) */
        for (int b = a; b > 0 && t->nb[ord[b]] < t->nb[ord[b - 1]]; b--) {
            int tmp = ord[b];
            ord[b] = ord[b - 1];
            ord[b - 1] = tmp;
        }
    int64_t span = row;
    int prev = 0;
    for (int a = 0; a < cnt; a++) {
        int d = ord[a];
        if (t->nb[d] < span) {
            if (prev == 0)
                FAIL(FASV_ILL_OVERLAP, "%s: rows overlap: nb[%d]=%lld is less than the row's %lld bytes (%s=%lld)",
                     tn, d, (long long)t->nb[d], (long long)row, k_dim_names[id][0], (long long)t->ne[0]);
            FAIL(FASV_ILL_OVERLAP, "%s: dim %d (%s) overlaps dim %d: nb[%d]=%lld is less than the %lld bytes dims up to %d span",
                 tn, d, k_dim_names[id][d], prev, d, (long long)t->nb[d], (long long)span, prev);
        }
        span = mul_add(t->nb[d], t->ne[d] - 1, span);
        if (span < 0 || span > FASV_MAX_BYTES)
            FAIL(FASV_ILL_BUFFER, "%s: the view spans more than 2^50 bytes", tn);
        prev = d;
    }

    /* Buffer. */
    if (t->buf < 0 || t->buf >= FASV_NT)
        FAIL(FASV_ILL_BUFFER, "%s: buffer reference %d is not a tensor", tn, t->buf);
    int64_t cap;
    if (t->buf == (int)id) {
        if (t->buf_bytes < 1 || t->buf_bytes > FASV_MAX_BYTES)
            FAIL(FASV_ILL_BUFFER, "%s: buffer size %lld is outside [1, 2^50]", tn, (long long)t->buf_bytes);
        cap = t->buf_bytes;
    } else {
        const fasv_tensor *o = &n->t[t->buf];
        const char *on = k_tid_names[t->buf];
        if (t->buf > (int)id || !fasv_node_has(n, (fasv_tid)t->buf))
            FAIL(FASV_ILL_BUFFER, "%s: lives in %s's buffer, but %s is not an earlier tensor of the node", tn, on, on);
        if (o->buf != t->buf)
            FAIL(FASV_ILL_BUFFER, "%s: lives in %s's buffer, but %s does not own a buffer", tn, on, on);
        if (o->type != t->type)
            FAIL(FASV_ILL_BUFFER, "%s: type %s differs from %s's type %s, whose buffer it shares", tn, ti->name, on,
                 fasv_type_name(o->type));
        cap = o->buf_bytes;
    }
    int64_t end = t->offset + span;
    if (end > cap)
        FAIL(FASV_ILL_BUFFER, "%s: view ends at byte %lld, past the end of its %lld-byte buffer", tn, (long long)end,
             (long long)cap);
    return FASV_LEGAL;
}

fasv_illegal fasv_node_check(const fasv_node *n, char *reason, size_t reason_len) {
    if (reason && reason_len) reason[0] = 0;

    /* Types. */
    for (int id = 0; id < FASV_NT; id++) {
        if (!fasv_node_has(n, (fasv_tid)id)) continue;
        if (!fasv_type_get(n->t[id].type))
            FAIL(FASV_ILL_TYPE, "%s: unknown type code %d", k_tid_names[id], (int)n->t[id].type);
    }
    if (n->q.type != FASV_TYPE_F32) FAIL(FASV_ILL_TYPE, "q: type %s, but q must be f32", fasv_type_name(n->q.type));
    if (n->has_mask && n->mask.type != FASV_TYPE_F16)
        FAIL(FASV_ILL_TYPE, "mask: type %s, but the mask must be f16", fasv_type_name(n->mask.type));
    if (n->has_sinks && n->sinks.type != FASV_TYPE_F32)
        FAIL(FASV_ILL_TYPE, "sinks: type %s, but sinks must be f32", fasv_type_name(n->sinks.type));

    /* Element counts. */
    for (int id = 0; id < FASV_NT; id++) {
        if (!fasv_node_has(n, (fasv_tid)id)) continue;
        for (int i = 0; i < 4; i++) {
            int64_t v = n->t[id].ne[i];
            if (v < 1 || v > FASV_MAX_NE)
                FAIL(FASV_ILL_NE_RANGE, "%s: ne[%d] (%s) = %lld is outside [1, 2^31]", k_tid_names[id], i,
                     k_dim_names[id][i], (long long)v);
        }
    }

    /* Scalar parameters. */
    if (!isfinite(n->scale)) FAIL(FASV_ILL_PARAM, "scale %g is not finite", (double)n->scale);
    if (!isfinite(n->max_bias) || n->max_bias < 0)
        FAIL(FASV_ILL_PARAM, "max_bias %g must be finite and >= 0", (double)n->max_bias);
    if (!isfinite(n->softcap) || n->softcap < 0)
        FAIL(FASV_ILL_PARAM, "softcap %g must be finite and >= 0", (double)n->softcap);
    if (n->prec != FASV_PREC_DEFAULT && n->prec != FASV_PREC_F32)
        FAIL(FASV_ILL_PARAM, "precision code %d is neither default nor f32", (int)n->prec);

    const fasv_tensor *q = &n->q, *k = &n->k, *v = &n->v;

    /* Head dimensions and K/V agreement. */
    if (k->ne[0] != q->ne[0])
        FAIL(FASV_ILL_HEAD_DIM, "k: Dk (ne[0]=%lld) differs from q's Dk (ne[0]=%lld)", (long long)k->ne[0],
             (long long)q->ne[0]);
    for (int i = 1; i < 4; i++) {
        if (v->ne[i] != k->ne[i])
            FAIL(FASV_ILL_HEAD_DIM, "v: ne[%d] (%s) = %lld differs from k's ne[%d] = %lld", i, k_dim_names[FASV_V][i],
                 (long long)v->ne[i], i, (long long)k->ne[i]);
    }

    /* Broadcast. */
    if (q->ne[2] % k->ne[2])
        FAIL(FASV_ILL_HEAD_BCAST, "k: n_head_kv (ne[2]=%lld) does not divide q's n_head (ne[2]=%lld)",
             (long long)k->ne[2], (long long)q->ne[2]);
    if (q->ne[3] % k->ne[3])
        FAIL(FASV_ILL_SEQ_BCAST, "k: n_seq_k (ne[3]=%lld) does not divide q's n_seq (ne[3]=%lld)", (long long)k->ne[3],
             (long long)q->ne[3]);

    /* Quantized rows. */
    for (int id = FASV_K; id <= FASV_V; id++) {
        const fasv_tensor *t = &n->t[id];
        if (fasv_type_get(t->type)->is_quant && t->ne[0] % FASV_QK)
            FAIL(FASV_ILL_QUANT_ROW, "%s: %s rows need a multiple of 32 values, but %s = %lld", k_tid_names[id],
                 fasv_type_name(t->type), k_dim_names[id][0], (long long)t->ne[0]);
    }

    /* Mask. */
    if (n->has_mask) {
        const fasv_tensor *m = &n->mask;
        if (m->ne[0] != k->ne[1])
            FAIL(FASV_ILL_MASK_SHAPE, "mask: ne[0]=%lld must equal n_kv=%lld", (long long)m->ne[0], (long long)k->ne[1]);
        if (m->ne[1] < q->ne[1])
            FAIL(FASV_ILL_MASK_SHAPE, "mask: ne[1] (n_q_pad) = %lld is less than n_q=%lld", (long long)m->ne[1],
                 (long long)q->ne[1]);
        if (q->ne[2] % m->ne[2])
            FAIL(FASV_ILL_MASK_BCAST, "mask: m2 (ne[2]=%lld) does not divide n_head=%lld", (long long)m->ne[2],
                 (long long)q->ne[2]);
        if (q->ne[3] % m->ne[3])
            FAIL(FASV_ILL_MASK_BCAST, "mask: m3 (ne[3]=%lld) does not divide n_seq=%lld", (long long)m->ne[3],
                 (long long)q->ne[3]);
    } else if (n->max_bias > 0) {
        FAIL(FASV_ILL_ALIBI_NO_MASK, "max_bias=%g (ALiBi) needs a mask, and the node has none", (double)n->max_bias);
    }

    /* Sinks. */
    if (n->has_sinks) {
        const fasv_tensor *s = &n->sinks;
        if (s->ne[0] != q->ne[2] || s->ne[1] != 1 || s->ne[2] != 1 || s->ne[3] != 1)
            FAIL(FASV_ILL_SINKS_SHAPE, "sinks: shape [%lld,%lld,%lld,%lld] must be [n_head=%lld,1,1,1]",
                 (long long)s->ne[0], (long long)s->ne[1], (long long)s->ne[2], (long long)s->ne[3],
                 (long long)q->ne[2]);
    }

    /* Strides, alignment, overlap and buffers, per tensor. */
    for (int id = 0; id < FASV_NT; id++) {
        if (!fasv_node_has(n, (fasv_tid)id)) continue;
        fasv_illegal r = check_geometry(n, (fasv_tid)id, reason, reason_len);
        if (r != FASV_LEGAL) return r;
    }
    return FASV_LEGAL;
}
