/* build.c — nodes from test-backend-ops style parameters and real server
 * layouts. See fasv/build.h. */
#include "fasv/build.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fasv/device.h"

void fasv_build_defaults(fasv_build *b) {
    memset(b, 0, sizeof(*b));
    b->hsk = b->hsv = 128;
    b->nh = 1;
    b->gqa = 1;
    b->nr3 = 1;
    b->kv = 256;
    b->nb = 1;
    b->type_k = b->type_v = FASV_TYPE_F16;
    b->mask_heads = b->mask_seqs = 1;
    b->scale = NAN;
    b->dist = FASV_DIST_UNIFORM;
}

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* Buffer size of a view: everything up to its last byte, and whole planes
 * (a KV cache of larger capacity keeps its slack inside the buffer). */
static void size_buffer(fasv_tensor *t) {
    int64_t end = fasv_tensor_end(t);
    t->buf_bytes = max64(end, t->offset + t->nb[3] * t->ne[3]);
}

int fasv_build_case(const fasv_build *b, fasv_case *out, char *err, size_t errlen) {
    fasv_case c;
    fasv_case_init(&c);
    fasv_node *n = &c.node;
    int64_t nseq_k = b->nr3_kv > 0 ? b->nr3_kv : b->nr3;
    int64_t n_head = b->nh * b->gqa;
    int64_t sizes[] = {b->hsk, b->hsv, b->nh, b->gqa, b->nr3, nseq_k, b->kv, b->nb};
    for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++)
        if (sizes[j] < 1 || sizes[j] > FASV_MAX_NE) {
            snprintf(err, errlen, "sizes must lie in [1, 2^31] (hsk hsv nh gqa nr3 kv nb)");
            return -1;
        }
    if (n_head > FASV_MAX_NE) {
        snprintf(err, errlen, "nh*gqa = %lld query heads is over 2^31", (long long)n_head);
        return -1;
    }
    int64_t pads[] = {b->pad_q, b->pad_k, b->pad_v, b->pad_mask, b->off_q, b->off_k, b->off_v, b->off_mask};
    for (size_t j = 0; j < sizeof pads / sizeof pads[0]; j++)
        if (pads[j] < 0 || pads[j] > ((int64_t)1 << 30)) {
            snprintf(err, errlen, "row padding and offsets must lie in [0, 2^30] bytes");
            return -1;
        }
    int64_t opt[] = {b->mask_heads, b->mask_seqs, b->mask_pad, b->kv_capacity};
    for (size_t j = 0; j < sizeof opt / sizeof opt[0]; j++)
        if (opt[j] < 0 || opt[j] > FASV_MAX_NE) {
            snprintf(err, errlen, "mask heads, mask sequences, mask padding and KV capacity must lie in [0, 2^31]");
            return -1;
        }
    {
        /* every buffer must stay under the byte limit, so strides never overflow */
        __int128 hs = b->hsk > b->hsv ? b->hsk : b->hsv;
        __int128 cap = b->kv_capacity > b->kv ? b->kv_capacity : b->kv;
        __int128 qb = (4 * (__int128)b->hsk + b->pad_q) * n_head * b->nb * b->nr3;
        __int128 kb = (5 * hs + b->pad_k + b->pad_v) * b->nh * cap * nseq_k;
        __int128 mb = b->mask ? (2 * (__int128)b->kv + b->pad_mask) * (b->mask_pad > b->nb ? b->mask_pad : b->nb) *
                                    (b->mask_heads > 0 ? b->mask_heads : 1) * (b->mask_seqs > 0 ? b->mask_seqs : 1)
                              : 0;
        if (qb > FASV_MAX_BYTES || kb > FASV_MAX_BYTES || mb > FASV_MAX_BYTES) {
            snprintf(err, errlen, "the buffers would exceed 2^50 bytes");
            return -1;
        }
    }
    if (b->v_view_of_k && (b->type_k != b->type_v || b->hsv > b->hsk)) {
        snprintf(err, errlen, "a V view of K needs type_v == type_k and hsv <= hsk");
        return -1;
    }

    /* q */
    fasv_tensor *q = &n->q;
    q->type = FASV_TYPE_F32;
    q->ne[0] = b->hsk;
    q->ne[1] = b->nb;
    q->ne[2] = n_head;
    q->ne[3] = b->nr3;
    q->nb[0] = 4;
    int64_t rq = 4 * b->hsk + b->pad_q;
    if (b->permute_q) { /* memory [Dk, n_head, n_q, n_seq] */
        q->nb[2] = rq;
        q->nb[1] = rq * n_head;
        q->nb[3] = q->nb[1] * b->nb;
    } else {
        q->nb[1] = rq;
        q->nb[2] = rq * b->nb;
        q->nb[3] = q->nb[2] * n_head;
    }
    q->offset = b->off_q;
    q->buf = FASV_Q;

    /* k and v: [D, n_kv, n_head_kv, n_seq_k] views of a cache with capacity rows */
    int64_t cap = max64(b->kv_capacity, b->kv);
    for (int id = FASV_K; id <= FASV_V; id++) {
        fasv_tensor *t = &n->t[id];
        t->type = id == FASV_K ? b->type_k : b->type_v;
        t->ne[0] = id == FASV_K ? b->hsk : b->hsv;
        t->ne[1] = b->kv;
        t->ne[2] = b->nh;
        t->ne[3] = nseq_k;
        if (id == FASV_V && b->v_view_of_k) {
            memcpy(t->nb, n->k.nb, sizeof t->nb);
            t->offset = n->k.offset;
            t->buf = FASV_K;
            t->buf_bytes = 0;
            continue;
        }
        t->nb[0] = fasv_type_get(t->type)->block_bytes;
        int64_t row = fasv_tensor_row_bytes(t) + (id == FASV_K ? b->pad_k : b->pad_v);
        if (b->kv_cache_layout || b->kv_capacity > b->kv) { /* memory [D, n_head_kv, cap, n_seq_k] */
            t->nb[2] = row;
            t->nb[1] = row * b->nh;
            t->nb[3] = t->nb[1] * cap;
        } else {
            t->nb[1] = row;
            t->nb[2] = row * cap;
            t->nb[3] = t->nb[2] * b->nh;
        }
        t->offset = id == FASV_K ? b->off_k : b->off_v;
        t->buf = id;
    }

    /* mask: [n_kv, n_q_pad, m2, m3] */
    n->has_mask = b->mask;
    if (b->mask) {
        fasv_tensor *m = &n->mask;
        m->type = FASV_TYPE_F16;
        m->ne[0] = b->kv;
        m->ne[1] = b->mask_pad > 0 ? b->mask_pad : b->nb;
        m->ne[2] = b->mask_heads > 0 ? b->mask_heads : 1;
        m->ne[3] = b->mask_seqs > 0 ? b->mask_seqs : 1;
        m->nb[0] = 2;
        m->nb[1] = 2 * b->kv + b->pad_mask;
        m->nb[2] = m->nb[1] * m->ne[1];
        m->nb[3] = m->nb[2] * m->ne[2];
        m->offset = b->off_mask;
        m->buf = FASV_MASK;
    }
    n->has_sinks = b->sinks;
    if (b->sinks) {
        fasv_tensor *s = &n->sinks;
        s->type = FASV_TYPE_F32;
        s->ne[0] = n_head;
        s->ne[1] = s->ne[2] = s->ne[3] = 1;
        fasv_tensor_contiguous(s, FASV_SINKS);
    }
    for (int id = 0; id < FASV_NT; id++)
        if (fasv_node_has(n, (fasv_tid)id) && n->t[id].buf == id) size_buffer(&n->t[id]);

    n->scale = isnan(b->scale) ? (float)(1.0 / sqrt((double)b->hsk)) : b->scale;
    n->max_bias = b->max_bias;
    n->softcap = b->softcap;
    n->prec = b->prec;
    if (b->device[0]) {
        const fasv_device *d = fasv_device_find(b->device);
        if (!d) {
            snprintf(err, errlen, "unknown device '%s' (see 'fasv devices')", b->device);
            return -1;
        }
        snprintf(c.device, sizeof c.device, "%s", d->name);
    }
    c.seed = b->seed;
    c.dist = b->dist;
    *out = c;
    return 0;
}
