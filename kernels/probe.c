/* probe.c — boundary probing of an opaque target. See kernels/probe.h. */
#include "kernels/probe.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fasv/build.h"
#include "kernels/classes.h"

typedef enum { AX_NQ, AX_NKV, AX_GQA, AX_NH, AX_NSEQ, AX_MASKPAD, AX_KVPAD, AX_COUNT } axis;
static const char *k_axis[AX_COUNT] = {"n_q", "n_kv", "gqa", "n_head_kv", "n_seq", "mask_pad", "kv_row_pad"};
static const int64_t k_axis_max[AX_COUNT] = {4096, 65536, 64, 64, 8, 64, 64};

#define MAX_PROBES 256

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The probe set of an axis: small values, powers of two and multiples of the
 * strides planners use, each with its neighbours; sorted, unique, in range. */
static int probe_set(axis a, int64_t *out) {
    int n = 0;
    int64_t lo = (a == AX_MASKPAD || a == AX_KVPAD) ? 0 : 1, hi = k_axis_max[a];
    if (a == AX_MASKPAD || a == AX_KVPAD) { /* extra rows / bytes: every even value */
        for (int64_t v = 0; v <= hi; v += 2) out[n++] = v;
        return n;
    }
    for (int64_t v = lo; v <= 17 && v <= hi; v++) out[n++] = v;
    for (int64_t p = 32; p <= hi; p *= 2)
        for (int d = -1; d <= 1; d++) out[n++] = p + d;
    static const int64_t strides[] = {16, 32, 64, 128, 256, 512};
    for (size_t s = 0; s < sizeof strides / sizeof strides[0]; s++)
        for (int64_t m = 1; m <= 8; m++)
            for (int d = -1; d <= 1; d++) {
                int64_t v = strides[s] * m + d;
                if (v >= lo && v <= hi && n < MAX_PROBES) out[n++] = v;
            }
    qsort(out, (size_t)n, sizeof *out, cmp64);
    int u = 0;
    for (int i = 0; i < n; i++)
        if (out[i] >= lo && out[i] <= hi && (u == 0 || out[u - 1] != out[i])) out[u++] = out[i];
    return u;
}

static void set_axis(fasv_build *b, axis a, int64_t v) {
    switch (a) {
    case AX_NQ: b->nb = v; break;
    case AX_NKV: b->kv = v; break;
    case AX_GQA: b->gqa = v; break;
    case AX_NH: b->nh = v; break;
    case AX_NSEQ: b->nr3 = b->nr3_kv = v; break;
    case AX_MASKPAD: b->mask_pad = b->nb + v; break;
    case AX_KVPAD: b->pad_k = b->pad_v = v; break;
    default: break;
    }
}

/* A legal node for the base with axis a at v, or -1. */
static int node_at(const fasv_build *base, axis a, int64_t v, fasv_node *n) {
    fasv_build b = *base;
    set_axis(&b, a, v);
    fasv_case c;
    char err[160];
    if (fasv_build_case(&b, &c, err, sizeof err) != 0) return -1;
    if (fasv_node_check(&c.node, err, sizeof err) != FASV_LEGAL) return -1;
    *n = c.node;
    return 0;
}

/* What distinguishes routes: the family and the instance (NONE is one route). */
typedef struct route_id {
    int family;
    char key[FASV_KEY_LEN];
} route_id;

static void ident(const fasv_target *t, const fasv_device *d, const fasv_node *n, route_id *id) {
    fasv_route r;
    memset(&r, 0, sizeof r);
    t->plan(t->ctx, d, n, &r);
    id->family = (int)r.family;
    if (r.family == FASV_FAM_NONE)
        id->key[0] = 0;
    else
        memcpy(id->key, r.key, sizeof id->key);
    id->key[sizeof id->key - 1] = 0;
}

static int same_id(const route_id *a, const route_id *b) { return a->family == b->family && strcmp(a->key, b->key) == 0; }

typedef struct run {
    const fasv_target *t;
    fasv_probe_result *res;
    int max_kept;
    int oom;
} run;

static void describe(const fasv_build *b, axis a, char *out, size_t len) {
    snprintf(out, len, "Dk=%lld Dv=%lld K=%s V=%s n_q=%lld n_kv=%lld gqa=%lld n_head_kv=%lld mask, probing %s",
             (long long)b->hsk, (long long)b->hsv, fasv_type_name(b->type_k), fasv_type_name(b->type_v),
             (long long)b->nb, (long long)b->kv, (long long)b->gqa, (long long)b->nh, k_axis[a]);
}

static void check(run *rn, int dev, const fasv_build *base, axis a, int64_t v) {
    fasv_node n;
    if (v < (a == AX_MASKPAD || a == AX_KVPAD ? 0 : 1) || v > k_axis_max[a]) return;
    if (node_at(base, a, v, &n) != 0) return;
    fasv_finding f;
    fasv_probe_result *res = rn->res;
    fasv_verdict vd = fasv_check_route(rn->t, res->devices[dev], &n, &f);
    res->checks++;
    if (vd == FASV_CLEAN) {
        res->clean++;
        return;
    }
    if (vd == FASV_OUTSIDE) {
        res->outside++;
        return;
    }
    res->violations++;
    if (res->n_viol >= rn->max_kept) return;
    if (res->n_viol % 64 == 0) {
        void *p = realloc(res->viol, sizeof *res->viol * (size_t)(res->n_viol + 64));
        if (!p) {
            rn->oom = 1;
            return;
        }
        res->viol = p;
    }
    fasv_probe_violation *pv = &res->viol[res->n_viol++];
    pv->device = dev;
    pv->axis = k_axis[a];
    pv->value = v;
    describe(base, a, pv->base, sizeof pv->base);
    pv->node = n;
    pv->finding = f;
}

/* Scan one axis from one base on one device. */
static void scan(run *rn, int dev, const fasv_build *base, axis a, const int64_t *probes, int np) {
    const fasv_device *d = rn->res->devices[dev];
    route_id prev = {0, ""}, cur;
    int64_t prev_v = -1;
    for (int i = 0; i < np; i++) {
        fasv_node n;
        int64_t v = probes[i];
        if (node_at(base, a, v, &n) != 0) continue;
        check(rn, dev, base, a, v);
        ident(rn->t, d, &n, &cur);
        if (prev_v >= 0 && !same_id(&prev, &cur)) {
            /* bisect (prev_v, v] for the first value routed like v */
            int64_t lo = prev_v, hi = v;
            while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                fasv_node m;
                route_id mid_id;
                if (node_at(base, a, mid, &m) != 0) break;
                ident(rn->t, d, &m, &mid_id);
                if (same_id(&mid_id, &cur))
                    hi = mid;
                else
                    lo = mid;
            }
            rn->res->boundaries++;
            for (int64_t w = hi - 1; w <= hi + 1; w++)
                if (w != v) check(rn, dev, base, a, w);
        }
        prev = cur;
        prev_v = v;
    }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int fasv_probe_run(const fasv_target *t, const fasv_sweep_opts *o, fasv_probe_result *res) {
    memset(res, 0, sizeof *res);
    double t0 = now_s();
    if (o->devices && o->n_devices > 0) {
        res->n_devices = o->n_devices < FASV_SWEEP_MAX_DEVICES ? o->n_devices : FASV_SWEEP_MAX_DEVICES;
        for (int i = 0; i < res->n_devices; i++) res->devices[i] = o->devices[i];
    } else {
        int n;
        const fasv_device *d = fasv_devices(&n);
        res->n_devices = n < FASV_SWEEP_MAX_DEVICES ? n : FASV_SWEEP_MAX_DEVICES;
        for (int i = 0; i < res->n_devices; i++) res->devices[i] = &d[i];
    }
    unsigned mask = o->type_mask ? o->type_mask : 0xFFu;
    run rn = {t, res, o->max_kept > 0 ? o->max_kept : 10000, 0};
    int64_t probes[AX_COUNT][MAX_PROBES];
    int np[AX_COUNT];
    for (int a = 0; a < AX_COUNT; a++) np[a] = probe_set((axis)a, probes[a]);

    int nheads;
    const fasv_head_class *heads = fasv_head_classes(&nheads);
    static const int64_t base_nq[] = {1, 3, 11, 64};
    static const int64_t base_nkv[] = {256, 1807};
    for (int dev = 0; dev < res->n_devices; dev++) {
        if (t->supports_device && !t->supports_device(t->ctx, res->devices[dev])) continue;
        for (int h = 0; h < nheads; h++)
            for (int ty = 0; ty < FASV_TYPE_COUNT; ty++) {
                if (!(mask & (1u << ty))) continue;
                if (fasv_type_get((fasv_type)ty)->is_quant && (heads[h].dk % 32 || heads[h].dv % 32)) continue;
                fasv_build b;
                fasv_build_defaults(&b);
                b.hsk = heads[h].dk;
                b.hsv = heads[h].dv;
                b.type_k = b.type_v = (fasv_type)ty;
                b.nh = 4;
                b.gqa = 2;
                b.mask = true;
                for (int qi = 0; qi < 4; qi++)
                    for (int ki = 0; ki < 2; ki++) {
                        b.nb = base_nq[qi];
                        b.kv = base_nkv[ki];
                        res->bases++;
                        /* each axis from the bases that do not vary along it */
                        if (ki == 1) scan(&rn, dev, &b, AX_NKV, probes[AX_NKV], np[AX_NKV]);
                        if (qi == 0) scan(&rn, dev, &b, AX_NQ, probes[AX_NQ], np[AX_NQ]);
                        if (ki == 1 && (qi == 0 || qi == 2))
                            for (int a = AX_GQA; a < AX_COUNT; a++) scan(&rn, dev, &b, (axis)a, probes[a], np[a]);
                    }
            }
    }
    res->seconds = now_s() - t0;
    if (rn.oom) return -1;
    return res->violations ? 1 : 0;
}

void fasv_probe_free(fasv_probe_result *res) {
    free(res->viol);
    memset(res, 0, sizeof *res);
}

void fasv_probe_print(FILE *f, const fasv_probe_result *r, int limit) {
    fprintf(f, "\nfasv sweep, boundary probing: %lld base nodes, %lld checks, %lld route boundaries located, %.2f s\n",
            (long long)r->bases, (long long)r->checks, (long long)r->boundaries, r->seconds);
    fprintf(f, "  %lld clean, %lld outside the envelope, %lld violation%s\n", (long long)r->clean,
            (long long)r->outside, (long long)r->violations, r->violations == 1 ? "" : "s");
    if (!r->n_viol) return;
    /* distinct signatures, in order of first appearance */
    fprintf(f, "\nprobe violations by signature:\n");
    for (int i = 0; i < r->n_viol; i++) {
        int seen = 0, count = 0;
        for (int j = 0; j < i && !seen; j++) seen = strcmp(r->viol[j].finding.signature, r->viol[i].finding.signature) == 0;
        if (seen) continue;
        for (int j = i; j < r->n_viol; j++) count += strcmp(r->viol[j].finding.signature, r->viol[i].finding.signature) == 0;
        fprintf(f, "  %6d  %s\n          e.g. %s %s=%lld from base %s\n", count, r->viol[i].finding.signature,
                r->devices[r->viol[i].device]->name, r->viol[i].axis, (long long)r->viol[i].value, r->viol[i].base);
    }
    int shown = limit > 0 && limit < r->n_viol ? limit : r->n_viol;
    for (int i = 0; i < shown; i++) {
        const fasv_probe_violation *v = &r->viol[i];
        fprintf(f, "\nprobe violation %d: %s at %s=%lld: %s\n", i + 1, r->devices[v->device]->name, v->axis,
                (long long)v->value, v->finding.detail);
        fasv_explain(f, r->devices[v->device], &v->node, &v->finding.route);
    }
}

void fasv_probe_write_json(fasv_json *j, const fasv_probe_result *r) {
    fasv_json_obj(j);
    fasv_json_kint(j, "bases", r->bases);
    fasv_json_kint(j, "checks", r->checks);
    fasv_json_kint(j, "boundaries", r->boundaries);
    fasv_json_kint(j, "clean", r->clean);
    fasv_json_kint(j, "outside", r->outside);
    fasv_json_kint(j, "violations", r->violations);
    fasv_json_knum(j, "seconds", r->seconds);
    fasv_json_key(j, "kept");
    fasv_json_arr(j);
    for (int i = 0; i < r->n_viol; i++) {
        const fasv_probe_violation *v = &r->viol[i];
        fasv_json_obj(j);
        fasv_json_kstr(j, "device", r->devices[v->device]->name);
        fasv_json_kstr(j, "axis", v->axis);
        fasv_json_kint(j, "value", v->value);
        fasv_json_kstr(j, "property", fasv_prop_name(v->finding.kind));
        fasv_json_kstr(j, "signature", v->finding.signature);
        fasv_json_kstr(j, "detail", v->finding.detail);
        fasv_json_kstr(j, "base", v->base);
        fasv_json_end(j);
    }
    fasv_json_end(j);
    fasv_json_end(j);
}
