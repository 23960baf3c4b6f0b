/* reduce.c — shrink a scenario to a short event sequence that still gives a
 * finding with the same signature.
 *
 * Owns: the reduction loop (remove runs of events, halving their length as
 * in delta debugging; then drop repetitions; then shrink each count by a
 * bisection that keeps the finding), repeated until nothing changes.
 * Settings are kept: they are the server the finding needs. Every candidate
 * is run lenient and stops at the first node with the signature.
 * Must not know: how findings are made (it asks fasv_scenario_run).
 */
#include <stdlib.h>
#include <string.h>

#include "fasv/scenario.h"

typedef struct red {
    const fasv_scn_opts *o;
    const char *sig;
    int runs;
} red;

static bool reproduces(red *x, const fasv_scenario *s) {
    fasv_scn_opts o = *x->o;
    o.expand.lenient = true;
    o.stop_signature = x->sig;
    o.max_findings = 256;
    fasv_scn_report r;
    x->runs++;
    int rc = fasv_scenario_run(s, &o, &r);
    bool hit = false;
    if (rc == 1)
        for (int i = 0; i < r.n_findings && !hit; i++) hit = strcmp(r.findings[i].f.signature, x->sig) == 0;
    fasv_scn_report_free(&r);
    return hit;
}

/* Try s without events [i, i+len); keep the change if it reproduces. */
static bool try_remove(red *x, fasv_scenario *s, int i, int len) {
    if (s->n_ev - len < 1) return false; /* keep at least one event */
    int n = s->n_ev;
    fasv_event *saved = malloc((size_t)n * sizeof *saved);
    if (!saved) return false;
    memcpy(saved, s->ev, (size_t)n * sizeof *saved);
    memmove(&s->ev[i], &s->ev[i + len], (size_t)(n - i - len) * sizeof *s->ev);
    s->n_ev = n - len;
    bool ok = reproduces(x, s);
    if (!ok) {
        memcpy(s->ev, saved, (size_t)n * sizeof *saved);
        s->n_ev = n;
    }
    free(saved);
    return ok;
}

/* The numbers of an event the reduction shrinks. */
typedef enum field { F_REPEAT, F_N, F_A, F_RESTORE_LEN } field;

static int64_t get_field(const fasv_event *e, field f) {
    switch (f) {
    case F_REPEAT:
        return e->repeat;
    case F_N:
        return e->n;
    case F_A:
        return e->a;
    default:
        return e->a - e->n; /* restore: positions MIN..MAX, shrink towards one position */
    }
}

static void set_field(fasv_event *e, field f, int64_t v) {
    switch (f) {
    case F_REPEAT:
        e->repeat = v;
        break;
    case F_N:
        e->n = v;
        break;
    case F_A:
        e->a = v;
        break;
    default:
        e->n = e->a - v;
        break;
    }
}

/* Smallest value in [lo, current] (by bisection) that still reproduces. */
static bool shrink(red *x, fasv_scenario *s, int i, field f, int64_t lo) {
    fasv_event *e = &s->ev[i];
    int64_t orig = get_field(e, f);
    if (orig <= lo) return false;
    set_field(e, f, lo);
    if (reproduces(x, s)) return true;
    int64_t good = orig;
    lo++;
    while (lo < good) {
        int64_t mid = lo + (good - lo) / 2;
        set_field(e, f, mid);
        if (reproduces(x, s))
            good = mid;
        else
            lo = mid + 1;
    }
    set_field(e, f, good);
    return good != orig;
}

int fasv_scenario_reduce(const fasv_scenario *s, const fasv_scn_opts *o, const char *signature, fasv_scenario *out,
                         int *runs) {
    red x = {o, signature, 0};
    if (fasv_scenario_copy(out, s)) return -1;
    if (!reproduces(&x, out)) {
        if (runs) *runs = x.runs;
        return -1;
    }
    for (int pass = 0; pass < 8; pass++) {
        bool changed = false;
        /* 1. remove runs of events, longest first */
        for (int len = out->n_ev / 2 > 0 ? out->n_ev / 2 : 1; len >= 1; len /= 2) {
            for (int i = 0; i + len <= out->n_ev;) {
                if (try_remove(&x, out, i, len))
                    changed = true;
                else
                    i++;
            }
            if (len == 1) break;
        }
        /* 2. repetitions, 3. counts */
        for (int i = 0; i < out->n_ev; i++) {
            changed |= shrink(&x, out, i, F_REPEAT, 1);
            switch (out->ev[i].type) {
            case FASV_EV_PREFILL:
            case FASV_EV_DECODE:
            case FASV_EV_SHIFT:
                changed |= shrink(&x, out, i, F_N, 1);
                if (out->ev[i].type == FASV_EV_SHIFT) changed |= shrink(&x, out, i, F_A, 0);
                break;
            case FASV_EV_DRAFT:
                changed |= shrink(&x, out, i, F_A, 0);
                changed |= shrink(&x, out, i, F_N, out->ev[i].a > 1 ? out->ev[i].a : 1);
                break;
            case FASV_EV_RESTORE:
                changed |= shrink(&x, out, i, F_RESTORE_LEN, 0);
                break;
            default:
                break;
            }
        }
        if (!changed) break;
    }
    if (runs) *runs = x.runs;
    return 0;
}
