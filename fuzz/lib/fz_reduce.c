/* fz_reduce.c — signature-preserving reduction. See fz_reduce.h. */
#include "fz_reduce.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fz_edit.h"
#include "fz_target.h"

int64_t fasv_case_bytes(const fasv_case *c) {
    int64_t total = 0;
    for (int id = 0; id < FASV_NT; id++)
        if (fasv_node_has(&c->node, (fasv_tid)id) && c->node.t[id].buf == id) total += c->node.t[id].buf_bytes;
    return total;
}

void fasv_case_size_line(const fasv_case *c, char *out, size_t len) {
    const fasv_node *n = &c->node;
    snprintf(out, len, "n_head=%lld (kv %lld) n_seq=%lld (kv %lld) n_q=%lld n_kv=%lld Dk=%lld Dv=%lld%s%s, %lld bytes",
             (long long)fasv_nhead(n), (long long)fasv_nhead_kv(n), (long long)fasv_nseq(n),
             (long long)fasv_nseq_kv(n), (long long)fasv_nq(n), (long long)fasv_nkv(n), (long long)fasv_dk(n),
             (long long)fasv_dv(n), n->has_mask ? " mask" : "", n->has_sinks ? " sinks" : "",
             (long long)fasv_case_bytes(c));
}

typedef struct ctx {
    fasv_reduce_pred pred; /* does a candidate show the same bug? */
    void *pctx;
    fasv_case cand;        /* the candidate as a whole case (seed and dist kept) */
    int tries;
} ctx;

static int same_bug(ctx *x, const fasv_node *n) {
    x->tries++;
    if (fasv_node_check(n, NULL, 0) != FASV_LEGAL) return 0;
    x->cand.node = *n;
    return x->pred(x->pctx, &x->cand) == 1;
}

/* Keep cand when it shows the same bug. */
static int accept(ctx *x, fasv_node *cur, const fasv_node *cand) {
    if (!same_bug(x, cand)) return 0;
    *cur = *cand;
    return 1;
}

static int try_features(ctx *x, fasv_node *cur) {
    int steps = 0;
    fasv_node c;
    c = *cur;
    if (c.has_sinks && fasv_edit_sinks(&c, 0) == 0) steps += accept(x, cur, &c);
    c = *cur;
    if (c.softcap != 0) {
        c.softcap = 0;
        steps += accept(x, cur, &c);
    }
    c = *cur;
    if (c.max_bias != 0) {
        c.max_bias = 0;
        steps += accept(x, cur, &c);
    }
    c = *cur;
    if (c.has_mask && fasv_edit_mask(&c, 0, 0) == 0) steps += accept(x, cur, &c);
    c = *cur;
    if (c.prec != FASV_PREC_DEFAULT) {
        c.prec = FASV_PREC_DEFAULT;
        steps += accept(x, cur, &c);
    }
    c = *cur;
    float def = (float)(1.0 / sqrt((double)fasv_dk(&c)));
    if (c.scale != def) {
        c.scale = def;
        steps += accept(x, cur, &c);
    }
    if (cur->has_mask) {
        fasv_shape s;
        fasv_shape_get(cur, &s);
        int64_t *fields[] = {&s.m2, &s.m3, &s.mask_pad};
        for (int i = 0; i < 3; i++) {
            fasv_shape_get(cur, &s);
            int64_t want = i < 2 ? 1 : s.nq;
            if (*fields[i] == want) continue;
            *fields[i] = want;
            c = *cur;
            if (fasv_edit_reshape(&c, &s) == 0) steps += accept(x, cur, &c);
        }
    }
    return steps;
}

static int try_layout(ctx *x, fasv_node *cur) {
    static const fasv_tid order[] = {FASV_V, FASV_K, FASV_Q, FASV_MASK, FASV_SINKS};
    int steps = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        fasv_tid id = order[i];
        if (!fasv_node_has(cur, id) || fasv_is_contiguous(cur, id)) continue;
        fasv_node c = *cur;
        if (fasv_edit_contiguous(&c, id) == 0 && accept(x, cur, &c)) {
            steps++;
            continue;
        }
        /* the bug needs part of the layout: undo the rest piece by piece */
        c = *cur;
        if (c.t[id].offset && fasv_edit_offset(&c, id, -c.t[id].offset) == 0) steps += accept(x, cur, &c);
        int ord[3];
        int64_t gap[3];
        for (int p = 0; p < 3; p++) {
            fasv_layout_get(&cur->t[id], ord, gap);
            c = *cur;
            if (gap[p] && fasv_edit_gap(&c, id, p, -gap[p]) == 0) steps += accept(x, cur, &c);
        }
        static const int natural[3] = {1, 2, 3};
        fasv_layout_get(&cur->t[id], ord, gap);
        c = *cur;
        if (memcmp(ord, natural, sizeof ord) != 0 && fasv_edit_order(&c, id, natural) == 0) steps += accept(x, cur, &c);
        c = *cur;
        if (c.t[id].buf == (int)id && fasv_edit_slack(&c, id, 0) == 0 && c.t[id].buf_bytes != cur->t[id].buf_bytes)
            steps += accept(x, cur, &c);
    }
    return steps;
}

/* The logical sizes the reducer shrinks, each read and written through a
 * shape. */
enum { D_NSEQ_K, D_SEQ_RATIO, D_NHEAD_KV, D_GQA, D_NQ, D_NKV, D_MASK_PAD, D_COUNT };

static int64_t dim_get(const fasv_shape *s, int d) {
    switch (d) {
    case D_NSEQ_K: return s->nseq_k;
    case D_SEQ_RATIO: return s->nseq / s->nseq_k;
    case D_NHEAD_KV: return s->nhead_kv;
    case D_GQA: return s->nhead / s->nhead_kv;
    case D_NQ: return s->nq;
    case D_NKV: return s->nkv;
    default: return s->mask_pad;
    }
}

static void dim_set(fasv_shape *s, int d, int64_t v) {
    int64_t ratio = s->nseq / s->nseq_k, gqa = s->nhead / s->nhead_kv;
    switch (d) {
    case D_NSEQ_K: s->nseq_k = v, s->nseq = v * ratio; break;
    case D_SEQ_RATIO: s->nseq = s->nseq_k * v; break;
    case D_NHEAD_KV: s->nhead_kv = v, s->nhead = v * gqa; break;
    case D_GQA: s->nhead = s->nhead_kv * v; break;
    case D_NQ: s->nq = v; break;
    case D_NKV: s->nkv = v; break;
    default: s->mask_pad = v;
    }
    if (s->m2 < 1 || s->nhead % s->m2) s->m2 = 1;
    if (s->m3 < 1 || s->nseq % s->m3) s->m3 = 1;
    if (d != D_MASK_PAD && s->mask_pad < s->nq) s->mask_pad = s->nq;
}

static int try_dims(ctx *x, fasv_node *cur) {
    int steps = 0;
    for (int d = 0; d < D_COUNT; d++) {
        if (d == D_MASK_PAD && !cur->has_mask) continue;
        fasv_shape s;
        fasv_shape_get(cur, &s);
        int64_t v = dim_get(&s, d);
        int64_t lo = d == D_MASK_PAD ? s.nq : 1;
        /* candidates, smallest first: lo, then v - 2^k for k from high to low */
        int64_t cand[66];
        int n = 0;
        if (lo < v) cand[n++] = lo;
        for (int k = 62; k >= 0; k--) {
            int64_t c = v - ((int64_t)1 << k);
            if (c > lo && c < v && (n == 0 || c > cand[n - 1])) cand[n++] = c;
        }
        for (int i = 0; i < n; i++) {
            fasv_shape t;
            fasv_shape_get(cur, &t);
            dim_set(&t, d, cand[i]);
            fasv_node c = *cur;
            if (fasv_edit_reshape(&c, &t) == 0 && accept(x, cur, &c)) {
                steps++;
                break; /* the fixpoint loop tries this dim again from its new value */
            }
        }
    }
    return steps;
}

/* The route predicate: the same signature on the same device. */
typedef struct route_pred {
    const fasv_target *t;
    const fasv_device *dev;
    char sig[FASV_SIG_LEN];
    fasv_finding f; /* the last finding that matched */
} route_pred;

static int route_same(void *p, const fasv_case *c) {
    route_pred *rp = (route_pred *)p;
    fasv_finding f;
    if (fasv_check_route(rp->t, rp->dev, &c->node, &f) != FASV_VIOLATION || strcmp(f.signature, rp->sig) != 0)
        return 0;
    rp->f = f;
    return 1;
}

int fasv_reduce_generic(const fasv_case *in, fasv_reduce_pred pred, void *pctx, fasv_case *out, int *steps,
                        int *tries) {
    ctx *x = malloc(sizeof *x);
    if (!x) return -1;
    x->pred = pred;
    x->pctx = pctx;
    x->cand = *in;
    x->tries = 0;
    fasv_node cur = in->node;
    int total = 0;
    for (;;) {
        int n = try_features(x, &cur);
        n += try_layout(x, &cur);
        n += try_dims(x, &cur);
        total += n;
        if (!n) break;
    }
    *out = *in;
    out->node = cur;
    if (steps) *steps = total;
    if (tries) *tries = x->tries;
    free(x);
    return 0;
}

void fasv_reduce_annotate(fasv_case *r, const fasv_case *in) {
    /* drop annotations of an earlier finding or reduction; keep the rest */
    char old[FASV_COMMENTS_MAX];
    snprintf(old, sizeof old, "%s", in->comments);
    r->comments[0] = 0;
    const char *p = old;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        static const char *drop[] = {"# signature:", "# property:", "# detail:", "# reduced", "# original",
                                     "# relation:"};
        int keep = 1;
        for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
            if (strncmp(p, drop[i], strlen(drop[i])) == 0) keep = 0;
        if (keep) {
            size_t skip = l > 0 && p[0] == '#' ? 1 : 0;
            if (l > skip && p[skip] == ' ') skip++;
            char line[FASV_COMMENTS_MAX];
            snprintf(line, sizeof line, "%.*s", (int)(l - skip), p + skip);
            if (line[0]) fasv_case_add_comment(r, line);
        }
        p += l + (e ? 1 : 0);
    }
}

int fasv_reduce(const fasv_target *t, const fasv_case *in, const fasv_device *dev, fasv_reduce_result *out, char *err,
                size_t errlen) {
    char why[512];
    memset(out, 0, sizeof *out);
    if (fasv_node_check(&in->node, why, sizeof why) != FASV_LEGAL) {
        snprintf(err, errlen, "the case is not a legal node: %s", why);
        return -1;
    }
    fasv_finding f;
    int found = 0;
    if (dev) {
        found = fasv_check_route(t, dev, &in->node, &f) == FASV_VIOLATION;
    } else {
        if (in->device[0]) {
            const fasv_device *d = fasv_device_find(in->device);
            if (!d) {
                snprintf(err, errlen, "unknown device '%s'", in->device);
                return -1;
            }
            found = fasv_check_route(t, d, &in->node, &f) == FASV_VIOLATION;
        }
        if (!found) found = fasv_check_devices(t, &in->node, NULL, &f);
    }
    if (!found) return 1;

    route_pred rp;
    rp.t = t;
    rp.dev = f.device;
    rp.f = f;
    snprintf(rp.sig, sizeof rp.sig, "%s", f.signature);
    fasv_case *r = &out->reduced;
    if (fasv_reduce_generic(in, route_same, &rp, r, &out->steps, &out->tries) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    out->finding = rp.f;
    fasv_reduce_annotate(r, in);
    fasv_finding_case(t, &out->finding, r, r);
    fasv_case_size_line(in, out->original_size, sizeof out->original_size);
    fasv_case_size_line(r, out->reduced_size, sizeof out->reduced_size);
    char line[400];
    snprintf(line, sizeof line, "original: %s", out->original_size);
    fasv_case_add_comment(r, line);
    snprintf(line, sizeof line, "reduced:  %s (fasv reduce, %d edits)", out->reduced_size, out->steps);
    fasv_case_add_comment(r, line);
    return 0;
}
