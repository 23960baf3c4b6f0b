/* fz_edit.c — legality-preserving node edits. See fz_edit.h.
 *
 * A tensor's layout is described independently of its sizes: the memory
 * order of dims 1..3 (sorted by stride) and, for each in that order, the gap
 * between its stride and the extent of everything faster (the row, or the
 * previous dim's stride times its count). Re-materialising strides from a
 * layout with non-negative gaps never makes rows or planes overlap, so an
 * edit can change sizes or types freely and the result stays a legal view.
 * All byte arithmetic is done in 128 bits and bounded by FASV_MAX_BYTES.
 */
#include "fz_edit.h"

#include <string.h>

#include "fasv/types.h"

typedef __int128 i128;

void fasv_shape_get(const fasv_node *n, fasv_shape *s) {
    s->dk = n->q.ne[0];
    s->dv = n->v.ne[0];
    s->nq = n->q.ne[1];
    s->nhead = n->q.ne[2];
    s->nseq = n->q.ne[3];
    s->nkv = n->k.ne[1];
    s->nhead_kv = n->k.ne[2];
    s->nseq_k = n->k.ne[3];
    s->mask_pad = n->has_mask ? n->mask.ne[1] : n->q.ne[1];
    s->m2 = n->has_mask ? n->mask.ne[2] : 1;
    s->m3 = n->has_mask ? n->mask.ne[3] : 1;
}

static i128 row_bytes(const fasv_tensor *t) {
    const fasv_type_info *ti = fasv_type_get(t->type);
    if (!ti) return 0;
    return (i128)t->ne[0] / ti->block * ti->block_bytes;
}

void fasv_layout_get(const fasv_tensor *t, int order[3], int64_t gap[3]) {
    order[0] = 1, order[1] = 2, order[2] = 3;
    for (int a = 1; a < 3; a++)
        for (int b = a; b > 0 && t->nb[order[b]] < t->nb[order[b - 1]]; b--) {
            int tmp = order[b];
            order[b] = order[b - 1];
            order[b - 1] = tmp;
        }
    i128 ext = row_bytes(t);
    for (int a = 0; a < 3; a++) {
        int d = order[a];
        i128 g = (i128)t->nb[d] - ext;
        gap[a] = g < 0 ? 0 : g > FASV_MAX_BYTES ? FASV_MAX_BYTES : (int64_t)g;
        ext = (i128)t->nb[d] * (t->ne[d] > 0 ? t->ne[d] : 1);
    }
}

/* Strides from a layout; -1 when a stride would pass the byte limit. */
static int layout_apply(fasv_tensor *t, const int order[3], const int64_t gap[3]) {
    i128 ext = row_bytes(t);
    for (int a = 0; a < 3; a++) {
        int d = order[a];
        i128 nb = ext + (gap[a] > 0 ? gap[a] : 0);
        if (nb > FASV_MAX_BYTES) return -1;
        t->nb[d] = (int64_t)nb;
        ext = nb * t->ne[d];
    }
    t->nb[0] = fasv_type_get(t->type)->block_bytes;
    return 0;
}

static i128 view_end(const fasv_tensor *t) {
    i128 end = (i128)t->offset + row_bytes(t);
    for (int i = 1; i < 4; i++) end += (i128)(t->ne[i] - 1) * t->nb[i];
    return end;
}

static int owns(const fasv_node *n, int id) { return fasv_node_has(n, (fasv_tid)id) && n->t[id].buf == id; }

/* End of the furthest view living in owner's buffer. */
static i128 tenants_end(const fasv_node *n, int owner) {
    i128 m = 0;
    for (int id = 0; id < FASV_NT; id++)
        if (fasv_node_has(n, (fasv_tid)id) && n->t[id].buf == owner) {
            i128 e = view_end(&n->t[id]);
            if (e > m) m = e;
        }
    return m;
}

/* The state an edit keeps: layouts, slack, buffer sharing. */
typedef struct keep {
    int order[FASV_NT][3];
    int64_t gap[FASV_NT][3];
    int64_t slack[FASV_NT];
    int same[FASV_NT]; /* lives in another's buffer with the owner's strides */
} keep;

static void keep_get(const fasv_node *n, keep *k) {
    memset(k, 0, sizeof *k);
    for (int id = 0; id < FASV_NT; id++) {
        if (!fasv_node_has(n, (fasv_tid)id)) continue;
        const fasv_tensor *t = &n->t[id];
        fasv_layout_get(t, k->order[id], k->gap[id]);
        if (owns(n, id)) {
            i128 s = (i128)t->buf_bytes - tenants_end(n, id);
            k->slack[id] = s < 0 ? 0 : s > FASV_MAX_BYTES ? FASV_MAX_BYTES : (int64_t)s;
        } else if ((unsigned)t->buf < FASV_NT) {
            k->same[id] = memcmp(t->nb, n->t[t->buf].nb, sizeof t->nb) == 0;
        }
    }
}

/* Re-materialise strides and buffer sizes; -1 on overflow. */
static int keep_apply(fasv_node *n, const keep *k) {
    for (int id = 0; id < FASV_NT; id++)
        if (fasv_node_has(n, (fasv_tid)id) && layout_apply(&n->t[id], k->order[id], k->gap[id]) != 0) return -1;
    for (int id = 0; id < FASV_NT; id++)
        if (fasv_node_has(n, (fasv_tid)id) && k->same[id] && (unsigned)n->t[id].buf < FASV_NT)
            memcpy(n->t[id].nb, n->t[n->t[id].buf].nb, sizeof n->t[id].nb);
    for (int id = 0; id < FASV_NT; id++) {
        if (!owns(n, id)) continue;
        i128 b = tenants_end(n, id) + k->slack[id];
        if (b > FASV_MAX_BYTES) return -1;
        n->t[id].buf_bytes = (int64_t)b;
    }
    return 0;
}

static int commit(fasv_node *n, const fasv_node *backup, int ok) {
    if (ok && fasv_node_check(n, NULL, 0) == FASV_LEGAL) return 0;
    *n = *backup;
    return -1;
}

static int size_ok(int64_t v) { return v >= 1 && v <= FASV_MAX_NE; }

static void set_ne(fasv_tensor *t, int64_t a, int64_t b, int64_t c, int64_t d) {
    t->ne[0] = a, t->ne[1] = b, t->ne[2] = c, t->ne[3] = d;
}

int fasv_edit_reshape(fasv_node *n, const fasv_shape *s) {
    const int64_t v[] = {s->dk, s->dv, s->nq, s->nhead, s->nhead_kv, s->nseq, s->nseq_k, s->nkv};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (!size_ok(v[i])) return -1;
    if (n->has_mask && (!size_ok(s->mask_pad) || !size_ok(s->m2) || !size_ok(s->m3))) return -1;
    fasv_node backup = *n;
    keep k;
    keep_get(n, &k);
    set_ne(&n->q, s->dk, s->nq, s->nhead, s->nseq);
    set_ne(&n->k, s->dk, s->nkv, s->nhead_kv, s->nseq_k);
    set_ne(&n->v, s->dv, s->nkv, s->nhead_kv, s->nseq_k);
    if (n->has_mask) set_ne(&n->mask, s->nkv, s->mask_pad, s->m2, s->m3);
    if (n->has_sinks) set_ne(&n->sinks, s->nhead, 1, 1, 1);
    return commit(n, &backup, keep_apply(n, &k) == 0);
}

int fasv_edit_types(fasv_node *n, fasv_type tk, fasv_type tv) {
    if ((unsigned)tk >= FASV_TYPE_COUNT || (unsigned)tv >= FASV_TYPE_COUNT) return -1;
    fasv_node backup = *n;
    keep k;
    keep_get(n, &k);
    n->k.type = tk;
    n->v.type = tv;
    return commit(n, &backup, keep_apply(n, &k) == 0);
}

static void reset_absent(fasv_tensor *t, fasv_tid id) {
    memset(t, 0, sizeof *t);
    t->type = id == FASV_MASK ? FASV_TYPE_F16 : FASV_TYPE_F32;
    set_ne(t, 1, 1, 1, 1);
    fasv_tensor_contiguous(t, id);
}

static int make_contiguous(fasv_node *n, fasv_tid id) {
    fasv_tensor *t = &n->t[id];
    i128 size = row_bytes(t);
    for (int i = 1; i < 4; i++) size *= t->ne[i];
    if (size > FASV_MAX_BYTES || size < 1) return -1;
    fasv_tensor_contiguous(t, id);
    return 0;
}

int fasv_edit_contiguous(fasv_node *n, fasv_tid id) {
    if (!fasv_node_has(n, id)) return -1;
    fasv_node backup = *n;
    int ok = 1;
    for (int o = 0; o < FASV_NT && ok; o++)
        if (o != (int)id && fasv_node_has(n, (fasv_tid)o) && n->t[o].buf == (int)id)
            ok = make_contiguous(n, (fasv_tid)o) == 0;
    if (ok) ok = make_contiguous(n, id) == 0;
    return commit(n, &backup, ok);
}

int fasv_is_contiguous(const fasv_node *n, fasv_tid id) {
    const fasv_tensor *t = &n->t[id];
    fasv_tensor c;
    memset(&c, 0, sizeof c);
    c.type = t->type;
    set_ne(&c, t->ne[0], t->ne[1], t->ne[2], t->ne[3]);
    fasv_tensor_contiguous(&c, id);
    return t->buf == c.buf && t->offset == c.offset && t->buf_bytes == c.buf_bytes &&
           memcmp(t->nb, c.nb, sizeof c.nb) == 0;
}

int fasv_edit_mask(fasv_node *n, int on, int64_t pad) {
    fasv_node backup = *n;
    if (!on) {
        if (!n->has_mask) return -1;
        /* a later tensor living in the mask's buffer moves out first */
        if (n->has_sinks && n->sinks.buf == FASV_MASK && make_contiguous(n, FASV_SINKS) != 0) return commit(n, &backup, 0);
        n->has_mask = false;
        n->max_bias = 0;
        reset_absent(&n->mask, FASV_MASK);
        return commit(n, &backup, 1);
    }
    if (n->has_mask) return -1;
    n->has_mask = true;
    n->mask.type = FASV_TYPE_F16;
    set_ne(&n->mask, n->k.ne[1], pad > n->q.ne[1] ? pad : n->q.ne[1], 1, 1);
    return commit(n, &backup, make_contiguous(n, FASV_MASK) == 0);
}

int fasv_edit_sinks(fasv_node *n, int on) {
    fasv_node backup = *n;
    if (!on) {
        if (!n->has_sinks) return -1;
        n->has_sinks = false;
        reset_absent(&n->sinks, FASV_SINKS);
        return commit(n, &backup, 1);
    }
    if (n->has_sinks) return -1;
    n->has_sinks = true;
    n->sinks.type = FASV_TYPE_F32;
    set_ne(&n->sinks, n->q.ne[2], 1, 1, 1);
    return commit(n, &backup, make_contiguous(n, FASV_SINKS) == 0);
}

int fasv_edit_gap(fasv_node *n, fasv_tid id, int pos, int64_t delta) {
    if (!fasv_node_has(n, id) || pos < 0 || pos > 2) return -1;
    fasv_node backup = *n;
    keep k;
    keep_get(n, &k);
    i128 g = (i128)k.gap[id][pos] + delta;
    if (g < 0 || g > FASV_MAX_BYTES) return -1;
    k.gap[id][pos] = (int64_t)g;
    k.same[id] = 0;
    return commit(n, &backup, keep_apply(n, &k) == 0);
}

int fasv_edit_order(fasv_node *n, fasv_tid id, const int order[3]) {
    if (!fasv_node_has(n, id)) return -1;
    int seen = 0;
    for (int a = 0; a < 3; a++) {
        if (order[a] < 1 || order[a] > 3) return -1;
        seen |= 1 << order[a];
    }
    if (seen != 0xE) return -1;
    fasv_node backup = *n;
    keep k;
    keep_get(n, &k);
    memcpy(k.order[id], order, sizeof k.order[id]);
    k.same[id] = 0;
    return commit(n, &backup, keep_apply(n, &k) == 0);
}

int fasv_edit_offset(fasv_node *n, fasv_tid id, int64_t delta) {
    if (!fasv_node_has(n, id)) return -1;
    i128 off = (i128)n->t[id].offset + delta;
    if (off < 0 || off > FASV_MAX_BYTES) return -1;
    fasv_node backup = *n;
    keep k;
    keep_get(n, &k);
    n->t[id].offset = (int64_t)off;
    return commit(n, &backup, keep_apply(n, &k) == 0);
}

int fasv_edit_slack(fasv_node *n, fasv_tid id, int64_t bytes) {
    if (!owns(n, id) || bytes < 0 || bytes > FASV_MAX_BYTES) return -1;
    fasv_node backup = *n;
    keep k;
    keep_get(n, &k);
    k.slack[id] = bytes;
    return commit(n, &backup, keep_apply(n, &k) == 0);
}

int fasv_edit_view_of(fasv_node *n, fasv_tid id, fasv_tid owner) {
    if (!fasv_node_has(n, id) || !owns(n, owner) || owner >= id) return -1;
    fasv_node backup = *n;
    /* tensors living in id's buffer move out first */
    for (int o = 0; o < FASV_NT; o++)
        if (o != (int)id && fasv_node_has(n, (fasv_tid)o) && n->t[o].buf == (int)id &&
            make_contiguous(n, (fasv_tid)o) != 0)
            return commit(n, &backup, 0);
    keep k;
    keep_get(n, &k);
    fasv_tensor *t = &n->t[id];
    t->buf = owner;
    t->buf_bytes = 0;
    t->offset = n->t[owner].offset;
    k.same[id] = 1;
    k.slack[id] = 0;
    return commit(n, &backup, keep_apply(n, &k) == 0);
}
