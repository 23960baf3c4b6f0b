/* kernels/gpu/check.c — one case on a real GPU, judged. See fasv/gpucheck.h.
 *
 * Owns: the sequence plan -> generate -> guarded upload -> poison -> run ->
 * guards/inputs/unwritten -> run again (identical bits) -> oracle compare,
 * and the rendering of its result.
 * Must not know: how the target plans, kernel internals, GPU runtimes (it
 * talks to the device only through fasv/gpu.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fasv/gpucheck.h"
#include "fasv/oracle.h"
#include "fasv/props.h"

/* A quiet NaN with a payload no arithmetic produces: an element still
 * holding it after a launch was never written. */
#define POISON 0x7FC0DEADu

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return 1e3 * (double)ts.tv_sec + 1e-6 * (double)ts.tv_nsec;
}

/* Plan n for dev and check the route properties (totality, contract,
 * determinism, well-formed route). Returns 0 with *r the route; 1 on a
 * violation (*kind = the property's name, why = the detail); 2 when the node
 * is outside the target's envelope (why says so). */
static int plan_checked(const fasv_target *t, const fasv_device *dev, const fasv_node *n, fasv_route *r, char *why,
                        size_t len, const char **kind) {
    fasv_finding f;
    memset(&f, 0, sizeof f);
    fasv_verdict v = fasv_check_route(t, dev, n, &f);
    *r = f.route;
    *kind = "";
    if (v == FASV_OUTSIDE) {
        snprintf(why, len, "%s", f.detail);
        return 2;
    }
    if (v == FASV_VIOLATION) {
        snprintf(why, len, "%s", f.detail);
        *kind = fasv_prop_name(f.kind);
        return 1;
    }
    return 0;
}

void fasv_gpu_check_opts_default(fasv_gpu_check_opts *o) {
    memset(o, 0, sizeof *o);
    o->timeout_s = 10.0;
    o->runs = 2;
}

static fasv_gpu_outcome finish(fasv_gpu_result *r, fasv_gpu_outcome oc, const char *kind, double t0) {
    r->outcome = oc;
    if (kind) snprintf(r->kind, sizeof r->kind, "%s", kind);
    r->total_ms = now_ms() - t0;
    return oc;
}

/* Map a launcher status to an outcome: faults of the kernel are findings,
 * faults of the environment are errors. */
static fasv_gpu_outcome gpu_fail(fasv_gpu_result *r, fasv_gpu_status s, const char *what, const char *err, double t0) {
    snprintf(r->detail, sizeof r->detail, "%s: %s", what, err);
    switch (s) {
    case FASV_GPU_EFAULT:
        r->device_lost = 1;
        return finish(r, FASV_GPU_FINDING, "fault", t0);
    case FASV_GPU_ETIMEOUT:
        r->device_lost = 1;
        return finish(r, FASV_GPU_FINDING, "timeout", t0);
    case FASV_GPU_ELAUNCH:
        return finish(r, FASV_GPU_FINDING, "launch", t0);
    case FASV_GPU_EROUTE:
        return finish(r, FASV_GPU_FINDING, "route", t0);
    case FASV_GPU_EGUARD:
        return finish(r, FASV_GPU_FINDING, "guard", t0);
    default:
        return finish(r, FASV_GPU_ERROR, fasv_gpu_status_name(s), t0);
    }
}

typedef struct bufs {
    fasv_gpu_buf *in[FASV_NT];
    fasv_gpu_buf *out, *scratch;
} bufs;

static void bufs_free(fasv_gpu *g, bufs *b) {
    for (int i = 0; i < FASV_NT; i++) fasv_gpu_free(g, b->in[i]);
    fasv_gpu_free(g, b->out);
    fasv_gpu_free(g, b->scratch);
    memset(b, 0, sizeof *b);
}

/* Check guards of every buffer and that no input byte changed. */
static int check_buffers(fasv_gpu *g, const fasv_data *d, bufs *b, fasv_gpu_result *r, fasv_gpu_status *st,
                         char *err, size_t errlen) {
    static const char *names[] = {"q", "k", "v", "mask", "sinks"};
    for (int i = 0; i < FASV_NT + 2; i++) {
        fasv_gpu_buf *x = i < FASV_NT ? b->in[i] : i == FASV_NT ? b->out : b->scratch;
        if (!x) continue;
        const char *name = i < FASV_NT ? names[i] : i == FASV_NT ? "out" : "scratch";
        *st = fasv_gpu_check_guards(g, x, err, errlen);
        if (*st) {
            char tmp[768];
            snprintf(tmp, sizeof tmp, "%s buffer: %.400s", name, err);
            snprintf(err, errlen, "%.450s", tmp);
            return -1;
        }
    }
    for (int i = 0; i < FASV_NT; i++) {
        if (!b->in[i]) continue;
        uint8_t *h = malloc((size_t)d->bytes[i] + 1);
        if (!h) {
            snprintf(err, errlen, "out of host memory");
            *st = FASV_GPU_EOOM;
            return -1;
        }
        *st = fasv_gpu_download(g, b->in[i], h, d->bytes[i], err, errlen);
        if (*st) {
            free(h);
            return -1;
        }
        for (int64_t k = 0; k < d->bytes[i]; k++)
            if (h[k] != d->buf[i][k]) {
                snprintf(r->detail, sizeof r->detail, "the kernel wrote into input buffer %s at byte %lld (0x%02x -> 0x%02x)",
                         names[i], (long long)k, d->buf[i][k], h[k]);
                free(h);
                *st = FASV_GPU_OK;
                return 1;
            }
        free(h);
    }
    return 0;
}

static fasv_gpu_status launch_once(fasv_gpu *g, const fasv_node *n, const fasv_route *rt, bufs *b, double timeout,
                                   float *host_out, int64_t count, double *ms, char *err, size_t errlen) {
    fasv_gpu_status st = fasv_gpu_fill32(g, b->out, POISON, err, errlen);
    if (st) return st;
    fasv_gpu_launch l;
    memset(&l, 0, sizeof l);
    l.node = n;
    l.route = rt;
    for (int i = 0; i < FASV_NT; i++) l.buf[i] = b->in[i];
    l.out = b->out;
    l.scratch = b->scratch;
    l.timeout_s = timeout;
    st = fasv_gpu_run(g, &l, ms, err, errlen);
    if (st) return st;
    return fasv_gpu_download(g, b->out, host_out, count * 4, err, errlen);
}

static void at_text(const fasv_node *n, int64_t idx, char *buf, size_t len) {
    int64_t dv = fasv_dv(n), nh = fasv_nhead(n), nq = fasv_nq(n);
    int64_t d = idx % dv, h = (idx / dv) % nh, i = (idx / dv / nh) % nq, s = idx / dv / nh / nq;
    snprintf(buf, len, "out[d=%lld, h=%lld, i=%lld, s=%lld]", (long long)d, (long long)h, (long long)i, (long long)s);
}

fasv_gpu_outcome fasv_gpu_check_case(fasv_gpu *g, const fasv_case *c, const fasv_gpu_check_opts *o_in,
                                     fasv_gpu_result *res) {
    double t0 = now_ms();
    fasv_gpu_check_opts o;
    if (o_in)
        o = *o_in;
    else
        fasv_gpu_check_opts_default(&o);
    if (o.runs < 1) o.runs = 2;
    if (o.timeout_s <= 0) o.timeout_s = 10.0;
    const fasv_target *t = o.target ? o.target : fasv_builtin_target();
    memset(res, 0, sizeof *res);
    res->route.instance = -1;
    const fasv_node *n = &c->node;
    char why[512], err[512];

    if (fasv_node_check(n, why, sizeof why) != FASV_LEGAL) {
        snprintf(res->detail, sizeof res->detail, "illegal node: %s", why);
        return finish(res, FASV_GPU_ERROR, "illegal", t0);
    }
    const fasv_gpu_info *info = fasv_gpu_get_info(g);
    const fasv_device *dev = info ? fasv_device_find(info->model) : NULL;
    if (!dev) {
        snprintf(res->detail, sizeof res->detail, "GPU %s (%s) maps to no modeled device", info ? info->name : "?",
                 info ? info->arch : "?");
        return finish(res, FASV_GPU_ERROR, "unmodeled", t0);
    }
    snprintf(res->model, sizeof res->model, "%s", dev->name);

    /* plan: the route properties first (totality, contract, determinism) */
    const char *pkind = NULL;
    int rv = plan_checked(t, dev, n, &res->route, why, sizeof why, &pkind);
    if (rv == 2) {
        snprintf(res->detail, sizeof res->detail, "outside the envelope on %s: %s", dev->name, why);
        return finish(res, FASV_GPU_SKIP, "outside", t0);
    }
    if (rv == 1) {
        snprintf(res->detail, sizeof res->detail, "%s", why);
        return finish(res, FASV_GPU_FINDING, pkind, t0);
    }
    if (fasv_gpu_has_instance(&res->route, why, sizeof why) != 0) {
        snprintf(res->detail, sizeof res->detail, "route %s: %s", res->route.key, why);
        return finish(res, FASV_GPU_FINDING, "missing-kernel", t0);
    }

    /* data */
    double tg = now_ms();
    fasv_data d;
    if (fasv_gen(c, &d, o.max_bytes, err, sizeof err) != 0) {
        snprintf(res->detail, sizeof res->detail, "generate: %s", err);
        return finish(res, FASV_GPU_ERROR, "generate", t0);
    }
    res->gen_ms = now_ms() - tg;
    const int64_t count = fasv_out_count(n);
    res->out_count = count;
    float *o1 = malloc(sizeof(float) * (size_t)count), *o2 = malloc(sizeof(float) * (size_t)count);
    double *cand = malloc(sizeof(double) * (size_t)count);
    bufs b;
    memset(&b, 0, sizeof b);
    fasv_gpu_outcome oc = FASV_GPU_PASS;
    fasv_gpu_status st = FASV_GPU_OK;
    if (!o1 || !o2 || !cand) {
        snprintf(res->detail, sizeof res->detail, "out of host memory for %lld outputs", (long long)count);
        oc = finish(res, FASV_GPU_ERROR, "oom", t0);
        goto done;
    }
    for (int i = 0; i < FASV_NT; i++) {
        if (!d.buf[i]) continue;
        if ((st = fasv_gpu_alloc(g, d.bytes[i], &b.in[i], err, sizeof err)) ||
            (st = fasv_gpu_upload(g, b.in[i], d.buf[i], d.bytes[i], err, sizeof err))) {
            oc = gpu_fail(res, st, "upload", err, t0);
            goto done;
        }
    }
    if ((st = fasv_gpu_alloc(g, count * 4, &b.out, err, sizeof err))) {
        oc = gpu_fail(res, st, "output", err, t0);
        goto done;
    }
    if (res->route.scratch_bytes > 0 && (st = fasv_gpu_alloc(g, res->route.scratch_bytes, &b.scratch, err, sizeof err))) {
        oc = gpu_fail(res, st, "scratch", err, t0);
        goto done;
    }

    /* first run: guards, inputs, every element written */
    double ms = 0;
    if ((st = launch_once(g, n, &res->route, &b, o.timeout_s, o1, count, &ms, err, sizeof err))) {
        oc = gpu_fail(res, st, "run 1", err, t0);
        goto done;
    }
    res->kernel_ms = ms;
    int cb = check_buffers(g, &d, &b, res, &st, err, sizeof err);
    if (cb < 0) {
        oc = gpu_fail(res, st, "after run 1", err, t0);
        goto done;
    }
    if (cb > 0) {
        oc = finish(res, FASV_GPU_FINDING, "input-write", t0);
        goto done;
    }
    {
        int64_t unwritten = 0, first = -1;
        for (int64_t k = 0; k < count; k++) {
            uint32_t u;
            memcpy(&u, &o1[k], 4);
            if (u == POISON) {
                if (first < 0) first = k;
                unwritten++;
            }
        }
        if (unwritten) {
            char at[128];
            at_text(n, first, at, sizeof at);
            snprintf(res->detail, sizeof res->detail, "%lld of %lld output elements never written, first %s",
                     (long long)unwritten, (long long)count, at);
            oc = finish(res, FASV_GPU_FINDING, "unwritten", t0);
            goto done;
        }
    }
    /* determinism: identical bits on every run */
    for (int run = 2; run <= o.runs; run++) {
        if ((st = launch_once(g, n, &res->route, &b, o.timeout_s, o2, count, &ms, err, sizeof err))) {
            char what[32];
            snprintf(what, sizeof what, "run %d", run);
            oc = gpu_fail(res, st, what, err, t0);
            goto done;
        }
        if (ms < res->kernel_ms) res->kernel_ms = ms;
        if (memcmp(o1, o2, sizeof(float) * (size_t)count) != 0) {
            int64_t k = 0, nd = 0;
            for (int64_t x = 0; x < count; x++)
                if (memcmp(&o1[x], &o2[x], 4)) {
                    if (!nd) k = x;
                    nd++;
                }
            char at[128];
            at_text(n, k, at, sizeof at);
            snprintf(res->detail, sizeof res->detail, "run %d differs from run 1 in %lld elements, first %s: %.9g vs %.9g",
                     run, (long long)nd, at, o1[k], o2[k]);
            oc = finish(res, FASV_GPU_FINDING, "nondeterministic", t0);
            goto done;
        }
    }
    /* numerics */
    {
        double to = now_ms();
        fasv_oracle_opts oo = {o.oracle_threads, 0};
        fasv_oracle_result ref;
        if (fasv_oracle_prepare(n, &d, &oo, &ref, err, sizeof err) != 0) {
            snprintf(res->detail, sizeof res->detail, "oracle: %s", err);
            oc = finish(res, FASV_GPU_ERROR, "oracle", t0);
            goto done;
        }
        for (int64_t k = 0; k < count; k++) cand[k] = o1[k];
        fasv_tol tol;
        fasv_tol_default(&tol, n->prec);
        fasv_judgement v;
        int pass = fasv_compare(n, ref.ref, ref.row, ref.naive, cand, &tol, &v);
        res->has_verdict = 1;
        res->verdict_pass = pass;
        snprintf(res->gate, sizeof res->gate, "%s", pass ? "pass" : fasv_gate_name(v.first));
        res->err_max = v.err_max;
        res->worst_ratio = v.worst_ratio;
        res->max_abs = v.max_abs;
        res->nmse = v.nmse;
        char *text = NULL;
        size_t tlen = 0;
        FILE *mf = open_memstream(&text, &tlen);
        if (mf) {
            fasv_judgement_print(mf, &v, "  ");
            fclose(mf);
            snprintf(res->verdict_text, sizeof res->verdict_text, "%s", text ? text : "");
            free(text);
        }
        fasv_oracle_result_free(&ref);
        res->oracle_ms = now_ms() - to;
        if (!pass) {
            snprintf(res->detail, sizeof res->detail, "output outside the tolerance (gate %s)", res->gate);
            oc = finish(res, FASV_GPU_FINDING, "numerics", t0);
            goto done;
        }
    }
    oc = finish(res, FASV_GPU_PASS, "pass", t0);
done:
    bufs_free(g, &b); /* after a fault the launcher frees only host bookkeeping */
    free(o1);
    free(o2);
    free(cand);
    fasv_data_free(&d);
    return oc;
}

static const char *outcome_name(fasv_gpu_outcome o) {
    switch (o) {
    case FASV_GPU_PASS: return "PASS";
    case FASV_GPU_FINDING: return "FAIL";
    case FASV_GPU_SKIP: return "SKIP";
    default: return "ERROR";
    }
}

void fasv_gpu_result_print(FILE *f, const fasv_case *c, const fasv_gpu_result *r) {
    char rt[512];
    fasv_route_format(&r->route, rt, sizeof rt);
    fprintf(f, "%s %s", outcome_name(r->outcome), r->kind);
    if (r->model[0]) fprintf(f, " on %s", r->model);
    fprintf(f, "\n  route: %s\n", r->route.family != FASV_FAM_NONE || r->route.reason[0] ? rt : "(not planned)");
    if (r->detail[0]) fprintf(f, "  %s\n", r->detail);
    if (r->has_verdict) fputs(r->verdict_text, f);
    fprintf(f, "  time: kernel %.3f ms, generate %.1f ms, oracle %.1f ms, total %.1f ms\n", r->kernel_ms, r->gen_ms,
            r->oracle_ms, r->total_ms);
    (void)c;
}

void fasv_gpu_result_json(fasv_json *j, const fasv_gpu_result *r) {
    char rt[512];
    fasv_route_format(&r->route, rt, sizeof rt);
    fasv_json_obj(j);
    fasv_json_kstr(j, "outcome", outcome_name(r->outcome));
    fasv_json_kstr(j, "kind", r->kind);
    fasv_json_kstr(j, "model", r->model);
    fasv_json_kstr(j, "route", rt);
    fasv_json_kstr(j, "instance", r->route.key);
    fasv_json_kstr(j, "detail", r->detail);
    fasv_json_kbool(j, "device_lost", r->device_lost);
    fasv_json_knum(j, "kernel_ms", r->kernel_ms);
    fasv_json_knum(j, "gen_ms", r->gen_ms);
    fasv_json_knum(j, "oracle_ms", r->oracle_ms);
    fasv_json_knum(j, "total_ms", r->total_ms);
    if (r->has_verdict) {
        fasv_json_key(j, "verdict");
        fasv_json_obj(j);
        fasv_json_kbool(j, "pass", r->verdict_pass);
        fasv_json_kstr(j, "gate", r->gate);
        fasv_json_knum(j, "err_max", r->err_max);
        fasv_json_knum(j, "worst_ratio", r->worst_ratio);
        fasv_json_knum(j, "max_abs", r->max_abs);
        fasv_json_knum(j, "nmse", r->nmse);
        fasv_json_end(j);
    }
    fasv_json_end(j);
}
