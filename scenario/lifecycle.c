/* lifecycle.c — the lifecycle property (DESIGN §3.4) on an expanded scenario.
 *
 * Owns: which (part, layer kind, shard) classes the target supported at
 * reserve time, the scratch each GPU reserved at allocation, the verdict of
 * every compute node (totality, contract, determinism and bad-route through
 * fasv_check_route, then lifecycle: supported at reserve => routes at
 * compute, and within the reserved scratch), findings bucketed by signature,
 * the routes histogram.
 * Must not know: how the target decides; how events become nodes (expand.c).
 */
#include <stdlib.h>
#include <string.h>

#include "fasv/scenario.h"

enum { CLASS_UNSEEN = 0, CLASS_SUPPORTED = 1, CLASS_UNSUPPORTED = -1 };

/* Memo of compute nodes: identical (class, shape) gives the identical verdict. */
typedef struct memo_key {
    int32_t part, kind, shard, zero; /* zero: keeps the key free of padding bytes */
    int64_t n_q, n_kv, n_stream, stream0, capacity;
} memo_key;

typedef struct memo_val {
    int route;   /* index into the routes histogram, -1 none */
    int finding; /* index of the finding it gave, -1 none */
    int outside;
} memo_val;

typedef struct run {
    const fasv_scenario *s;
    const fasv_scn_opts *o;
    fasv_scn_report *r;
    int cls[FASV_PART_COUNT][FASV_SCN_MAX_KINDS][FASV_SCN_MAX_DEVICES];
    bool alloc_done;
    memo_key *keys;
    memo_val *vals;
    uint8_t *used;
    size_t cap, count;
    char err[512];
} run;

static uint64_t hash_key(const memo_key *k) {
    const unsigned char *p = (const unsigned char *)k;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof *k; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static int memo_grow(run *m) {
    size_t cap = m->cap ? m->cap * 2 : 1024;
    memo_key *k = calloc(cap, sizeof *k);
    memo_val *v = calloc(cap, sizeof *v);
    uint8_t *u = calloc(cap, 1);
    if (!k || !v || !u) {
        free(k);
        free(v);
        free(u);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->used[i]) continue;
        size_t j = hash_key(&m->keys[i]) & (cap - 1);
        while (u[j]) j = (j + 1) & (cap - 1);
        k[j] = m->keys[i];
        v[j] = m->vals[i];
        u[j] = 1;
    }
    free(m->keys);
    free(m->vals);
    free(m->used);
    m->keys = k;
    m->vals = v;
    m->used = u;
    m->cap = cap;
    return 0;
}

/* Find or insert; *found tells which. NULL on out-of-memory. */
static memo_val *memo_get(run *m, const memo_key *k, bool *found) {
    if ((m->count + 1) * 2 > m->cap && memo_grow(m)) return NULL;
    size_t j = hash_key(k) & (m->cap - 1);
    while (m->used[j]) {
        if (memcmp(&m->keys[j], k, sizeof *k) == 0) {
            *found = true;
            return &m->vals[j];
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->used[j] = 1;
    m->keys[j] = *k;
    m->count++;
    *found = false;
    return &m->vals[j];
}

static int route_index(fasv_scn_report *r, const fasv_route *rt) {
    char key[sizeof r->routes[0].key];
    if (rt->family == FASV_FAM_NONE)
        snprintf(key, sizeof key, "none");
    else
        snprintf(key, sizeof key, "%s", rt->key[0] ? rt->key : fasv_family_name(rt->family));
    for (int i = 0; i < r->n_routes; i++)
        if (strcmp(r->routes[i].key, key) == 0) return i;
    if (r->n_routes == r->cap_routes) {
        int cap = r->cap_routes ? r->cap_routes * 2 : 16;
        fasv_scn_route_count *p = realloc(r->routes, (size_t)cap * sizeof *p);
        if (!p) return -1;
        r->routes = p;
        r->cap_routes = cap;
    }
    memset(&r->routes[r->n_routes], 0, sizeof r->routes[0]);
    snprintf(r->routes[r->n_routes].key, sizeof r->routes[0].key, "%s", key);
    return r->n_routes++;
}

static void describe(const fasv_scenario *s, const fasv_scn_node *sn, fasv_case *c) {
    char t[512], ev[128] = "";
    const fasv_scn_settings *st = &s->set;
    if (sn->event >= 0) fasv_event_format(&s->ev[sn->event], ev, sizeof ev);
    if (sn->phase == FASV_PHASE_RESERVE)
        snprintf(t, sizeof t, "scenario %s: reserve graph %s of the %s", s->name[0] ? s->name : "-",
                 fasv_graph_name(sn->graph), fasv_part_name(sn->part));
    else if (s->ev && sn->event >= 0 && s->ev[sn->event].line > 0)
        snprintf(t, sizeof t, "scenario %s line %d '%s' (repetition %d, graph %d): %s graph of the %s",
                 s->name[0] ? s->name : "-", s->ev[sn->event].line, ev, sn->rep + 1, sn->step + 1,
                 fasv_graph_name(sn->graph), fasv_part_name(sn->part));
    else
        snprintf(t, sizeof t, "scenario %s event %d '%s' (repetition %d, graph %d): %s graph of the %s",
                 s->name[0] ? s->name : "-", sn->event + 1, ev, sn->rep + 1, sn->step + 1,
                 fasv_graph_name(sn->graph), fasv_part_name(sn->part));
    fasv_case_add_comment(c, t);
    const fasv_model *m = sn->part == FASV_PART_DRAFT ? st->draft_model : &s->model;
    snprintf(t, sizeof t, "model %s, layer kind %s (%d layers%s), heads %d..%d of %d, KV heads %d..%d of %d",
             m && m->name ? m->name : "?", sn->lk->name, sn->lk->n_layers,
             sn->lk->window ? ", sliding window" : "", sn->head0, sn->head0 + sn->n_head - 1, sn->lk->n_head,
             sn->kv_head0, sn->kv_head0 + sn->n_head_kv - 1, sn->lk->n_head_kv);
    fasv_case_add_comment(c, t);
    snprintf(t, sizeof t, "GPU %d of %d (%s, split %s), n_q %lld, n_kv %lld (used %lld, kv-pad %lld), %lld cells per stream",
             sn->shard, st->n_dev, sn->device->name, fasv_split_name(st->split), (long long)sn->n_q,
             (long long)sn->n_kv, (long long)sn->used, (long long)st->kv_pad, (long long)sn->capacity);
    fasv_case_add_comment(c, t);
}

static int add_finding(run *m, const fasv_finding *f, const fasv_scn_node *sn, const fasv_case *c) {
    fasv_scn_report *r = m->r;
    for (int i = 0; i < r->n_findings; i++)
        if (strcmp(r->findings[i].f.signature, f->signature) == 0) {
            r->findings[i].hits++;
            return i;
        }
    int maxf = m->o->max_findings > 0 ? m->o->max_findings : 64;
    if (r->n_findings >= maxf) return -1;
    if (r->n_findings == r->cap_findings) {
        int cap = r->cap_findings ? r->cap_findings * 2 : 4;
        fasv_scn_finding *p = realloc(r->findings, (size_t)cap * sizeof *p);
        if (!p) return -1;
        r->findings = p;
        r->cap_findings = cap;
    }
    fasv_scn_finding *x = &r->findings[r->n_findings];
    memset(x, 0, sizeof *x);
    x->f = *f;
    x->phase = sn->phase;
    x->at = *sn;
    x->node = *c;
    x->hits = 1;
    char t[FASV_DETAIL_LEN + 32];
    snprintf(t, sizeof t, "finding: %s", f->signature);
    fasv_case_add_comment(&x->node, t);
    return r->n_findings++;
}

static bool want_stop(run *m, int fi) {
    if (fi < 0 || !m->o->stop_signature) return false;
    return strcmp(m->r->findings[fi].f.signature, m->o->stop_signature) == 0;
}

static void finish_alloc(run *m) {
    if (m->alloc_done) return;
    m->alloc_done = true;
    for (int p = 0; p < FASV_PART_COUNT; p++)
        for (int k = 0; k < FASV_SCN_MAX_KINDS; k++)
            for (int d = 0; d < FASV_SCN_MAX_DEVICES; d++)
                if (m->cls[p][k][d] == CLASS_UNSEEN) m->cls[p][k][d] = CLASS_UNSUPPORTED;
}

static int visit(void *ctx, const fasv_scn_node *sn) {
    run *m = ctx;
    fasv_scn_report *r = m->r;
    const fasv_target *t = m->o->target;
    int *cls = &m->cls[sn->part][sn->kind][sn->shard];

    if (sn->phase == FASV_PHASE_RESERVE) {
        r->reserve_nodes++;
        fasv_case c;
        char err[256];
        if (fasv_scn_node_case(m->s, sn, &c, err, sizeof err)) {
            snprintf(m->err, sizeof m->err, "internal: the reserve node cannot be built: %s", err);
            return 1;
        }
        fasv_finding f;
        fasv_verdict v = fasv_check_route(t, sn->device, &c.node, &f);
        r->checked++;
        bool routed = f.route.family != FASV_FAM_NONE;
        if (*cls == CLASS_UNSEEN) *cls = CLASS_SUPPORTED;
        if (!routed) *cls = CLASS_UNSUPPORTED;
        if (routed && f.route.scratch_bytes > r->scratch[sn->shard])
            r->scratch[sn->shard] = f.route.scratch_bytes;
        if (v == FASV_VIOLATION) {
            describe(m->s, sn, &c);
            if (want_stop(m, add_finding(m, &f, sn, &c))) {
                r->stopped = true;
                return 1;
            }
        }
        return 0;
    }

    finish_alloc(m);
    r->compute_nodes++;
    memo_key k;
    memset(&k, 0, sizeof k);
    k.part = sn->part;
    k.kind = sn->kind;
    k.shard = sn->shard;
    k.n_q = sn->n_q;
    k.n_kv = sn->n_kv;
    k.n_stream = sn->n_stream;
    k.stream0 = sn->stream0;
    k.capacity = sn->capacity;
    bool found;
    memo_val *mv = memo_get(m, &k, &found);
    if (!mv) {
        snprintf(m->err, sizeof m->err, "out of memory");
        return 1;
    }
    if (found) {
        if (mv->route >= 0) r->routes[mv->route].count++;
        if (mv->finding >= 0) r->findings[mv->finding].hits++;
        r->outside += mv->outside;
        return 0;
    }
    mv->route = mv->finding = -1;
    mv->outside = 0;

    fasv_case c;
    char err[256];
    if (fasv_scn_node_case(m->s, sn, &c, err, sizeof err)) {
        snprintf(m->err, sizeof m->err, "internal: the compute node cannot be built: %s", err);
        return 1;
    }
    fasv_finding f;
    fasv_verdict v = fasv_check_route(t, sn->device, &c.node, &f);
    r->checked++;
    mv->route = route_index(r, &f.route);
    if (mv->route >= 0) r->routes[mv->route].count++;
    if (f.route.family != FASV_FAM_NONE && (unsigned)f.route.family < FASV_FAM_COUNT) r->family[f.route.family]++;
    bool supported = *cls == CLASS_SUPPORTED;
    bool report = false;
    char detail[FASV_DETAIL_LEN];
    if (v == FASV_VIOLATION) {
        report = true;
        if (f.kind == FASV_PROP_TOTALITY && supported) {
            snprintf(detail, sizeof detail,
                     "supported at reserve, no kernel at compute (n_q %lld, n_kv %lld): %.300s", (long long)sn->n_q,
                     (long long)sn->n_kv, f.route.reason);
            f.kind = FASV_PROP_LIFECYCLE;
            snprintf(f.detail, sizeof f.detail, "%s", detail);
            fasv_signature(FASV_PROP_LIFECYCLE, sn->device, &c.node, &f.route, f.route.reason, f.signature,
                           sizeof f.signature);
        }
    } else if (f.route.family == FASV_FAM_NONE) {
        /* outside the envelope and no route */
        if (supported) {
            report = true;
            f.kind = FASV_PROP_LIFECYCLE;
            snprintf(detail, sizeof detail,
                     "supported at reserve, outside the envelope and no kernel at compute (n_q %lld, n_kv %lld): %.300s",
                     (long long)sn->n_q, (long long)sn->n_kv, f.detail);
            snprintf(f.detail, sizeof f.detail, "%s", detail);
            fasv_signature(FASV_PROP_LIFECYCLE, sn->device, &c.node, &f.route, f.route.reason, f.signature,
                           sizeof f.signature);
        } else {
            mv->outside = 1;
            r->outside++;
        }
    } else if (supported && f.route.scratch_bytes > r->scratch[sn->shard]) {
        report = true;
        char why[160];
        snprintf(why, sizeof why, "compute needs %lld bytes of scratch, allocation reserved %lld",
                 (long long)f.route.scratch_bytes, (long long)r->scratch[sn->shard]);
        f.kind = FASV_PROP_LIFECYCLE;
        snprintf(f.detail, sizeof f.detail, "scratch sized at allocation does not cover compute (n_q %lld, n_kv %lld): %s",
                 (long long)sn->n_q, (long long)sn->n_kv, why);
        fasv_signature(FASV_PROP_LIFECYCLE, sn->device, &c.node, &f.route, why, f.signature, sizeof f.signature);
    }
    if (report) {
        describe(m->s, sn, &c);
        mv->finding = add_finding(m, &f, sn, &c);
        if (want_stop(m, mv->finding)) {
            r->stopped = true;
            return 1;
        }
    }
    return 0;
}

static int cmp_routes(const void *a, const void *b) {
    const fasv_scn_route_count *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->key, y->key);
}

int fasv_scenario_run(const fasv_scenario *s, const fasv_scn_opts *o, fasv_scn_report *r) {
    memset(r, 0, sizeof *r);
    run *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(r->error, sizeof r->error, "out of memory");
        return 2;
    }
    m->s = s;
    m->o = o;
    m->r = r;
    char err[512] = "";
    int rc = fasv_scenario_expand(s, &o->expand, visit, m, &r->st, err, sizeof err);
    finish_alloc(m);
    free(m->keys);
    free(m->vals);
    free(m->used);
    int status;
    if (m->err[0]) {
        snprintf(r->error, sizeof r->error, "%s", m->err);
        status = 2;
    } else if (rc < 0) {
        snprintf(r->error, sizeof r->error, "%s", err);
        status = 2;
    } else {
        status = r->n_findings ? 1 : 0;
    }
    free(m);
    if (r->n_routes > 1) qsort(r->routes, (size_t)r->n_routes, sizeof r->routes[0], cmp_routes);
    return status;
}

void fasv_scn_report_free(fasv_scn_report *r) {
    free(r->routes);
    free(r->findings);
    memset(r, 0, sizeof *r);
}
