/* test_oracle_util.h — building small nodes with chosen values for the
 * oracle's tests: contiguous tensors, buffers filled from arrays of doubles.
 * Only the tests include this. */
#ifndef FASV_TEST_ORACLE_UTIL_H
#define FASV_TEST_ORACLE_UTIL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/gen.h"
#include "fasv/oracle.h"

typedef struct tnode {
    fasv_case c;
    fasv_data d;
} tnode;

/* A contiguous node: q [dk, nq, nh, ns] f32, k/v [.., nkv, nhk, nsk] of the
 * given types, optional f16 mask [nkv, nq, m2, m3], optional sinks [nh].
 * Buffers are allocated and zeroed. */
static inline void tnode_init(tnode *t, int64_t dk, int64_t dv, int64_t nq, int64_t nh, int64_t ns, int64_t nkv,
                              int64_t nhk, int64_t nsk, fasv_type tk, fasv_type tv, int64_t m2, int64_t m3,
                              int sinks) {
    memset(t, 0, sizeof *t);
    fasv_case_init(&t->c);
    fasv_node *n = &t->c.node;
    int64_t q[4] = {dk, nq, nh, ns}, k[4] = {dk, nkv, nhk, nsk}, v[4] = {dv, nkv, nhk, nsk};
    int64_t m[4] = {nkv, nq, m2 > 0 ? m2 : 1, m3 > 0 ? m3 : 1}, s[4] = {nh, 1, 1, 1};
    memcpy(n->q.ne, q, sizeof q);
    memcpy(n->k.ne, k, sizeof k);
    memcpy(n->v.ne, v, sizeof v);
    memcpy(n->mask.ne, m, sizeof m);
    memcpy(n->sinks.ne, s, sizeof s);
    n->q.type = FASV_TYPE_F32;
    n->k.type = tk;
    n->v.type = tv;
    n->mask.type = FASV_TYPE_F16;
    n->sinks.type = FASV_TYPE_F32;
    n->has_mask = m2 > 0;
    n->has_sinks = sinks != 0;
    n->scale = 1.0f;
    for (int id = 0; id < FASV_NT; id++) {
        fasv_tensor_contiguous(&n->t[id], (fasv_tid)id);
        if (!fasv_node_has(n, (fasv_tid)id)) continue;
        t->d.bytes[id] = n->t[id].buf_bytes;
        t->d.buf[id] = calloc(1, (size_t)n->t[id].buf_bytes);
    }
}

/* Store values (ne[0] of them) as row (i1, i2, i3) of tensor id. */
static inline void tnode_row(tnode *t, fasv_tid id, int64_t i1, int64_t i2, int64_t i3, const double *vals) {
    const fasv_tensor *x = &t->c.node.t[id];
    float tmp[1024];
    for (int64_t e = 0; e < x->ne[0]; e++) tmp[e] = (float)vals[e];
    fasv_quant_row(x->type, tmp, t->d.buf[id] + x->offset + i1 * x->nb[1] + i2 * x->nb[2] + i3 * x->nb[3], x->ne[0]);
}

/* Set mask entry (key j, query i, plane h2, s3); -INFINITY masks the key. */
static inline void tnode_mask(tnode *t, int64_t j, int64_t i, int64_t h2, int64_t s3, double v) {
    const fasv_tensor *x = &t->c.node.mask;
    fasv_wr16(t->d.buf[FASV_MASK] + x->offset + 2 * j + i * x->nb[1] + h2 * x->nb[2] + s3 * x->nb[3],
              fasv_f32_to_f16((float)v));
}

static inline void tnode_sink(tnode *t, int64_t h, double v) {
    float f = (float)v;
    memcpy(t->d.buf[FASV_SINKS] + 4 * h, &f, 4);
}

static inline void tnode_free(tnode *t) { fasv_data_free(&t->d); }

/* Run the reference (and check it against the single-loop version on the
 * way); out must hold fasv_out_count values. Returns 0 or -1. */
static inline int tnode_ref(tnode *t, double *out, fasv_row_stat *rows) {
    char err[256];
    fasv_oracle_opts o = {2, 0};
    return fasv_oracle_ref(&t->c.node, &t->d, &o, out, rows, err, sizeof err);
}

#endif
