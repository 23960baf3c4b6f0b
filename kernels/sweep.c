/* sweep.c — properties 1-3 on every class representative and device.
 * See kernels/sweep.h. Work is split over threads by chunks of class
 * indices; each worker keeps its own counts, merged in a fixed order, so the
 * result does not depend on the thread count or scheduling. */
#include "kernels/sweep.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 1024
#define INST_CACHE 128

typedef struct shared {
    const fasv_target *t;
    const fasv_sweep_opts *o;
    fasv_sweep_result *res;
    unsigned type_mask;
    int max_kept;
    int64_t space;
    atomic_llong next;
    atomic_llong done;
    atomic_int finished;
    atomic_int failed;
    pthread_mutex_t err_lock;
} shared;

typedef struct worker {
    shared *sh;
    pthread_t tid;
    int64_t classes, clean, outside, violations;
    fasv_sweep_cell *cells;
    fasv_sweep_keycount *keys; /* [n_dev][MAX_KEYS] */
    int *n_keys;
    int64_t *other_keys;
    short *inst_slot; /* [n_dev][INST_CACHE]: cached key slot of an instance index, -1 unknown */
    fasv_sweep_violation *viol;
    int n_viol, cap_viol;
} worker;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void count_key(worker *w, int dev, const fasv_route *r) {
    fasv_sweep_keycount *keys = w->keys + (size_t)dev * FASV_SWEEP_MAX_KEYS;
    short *cache = w->inst_slot + (size_t)dev * INST_CACHE;
    int slot = -1;
    if (r->instance >= 0 && r->instance < INST_CACHE && cache[r->instance] >= 0 &&
        strcmp(keys[cache[r->instance]].key, r->key) == 0)
        slot = cache[r->instance];
    if (slot < 0) {
        for (int i = 0; i < w->n_keys[dev]; i++)
            if (strcmp(keys[i].key, r->key) == 0) {
                slot = i;
                break;
            }
        if (slot < 0 && w->n_keys[dev] < FASV_SWEEP_MAX_KEYS) {
            slot = w->n_keys[dev]++;
            snprintf(keys[slot].key, sizeof keys[slot].key, "%s", r->key);
            keys[slot].count = 0;
        }
        if (slot >= 0 && r->instance >= 0 && r->instance < INST_CACHE) cache[r->instance] = (short)slot;
    }
    if (slot >= 0)
        keys[slot].count++;
    else
        w->other_keys[dev]++;
}

static void keep_violation(worker *w, int64_t idx, int dev, const fasv_class *c, const fasv_node *n,
                           const fasv_finding *f) {
    if (w->n_viol >= w->sh->max_kept) return;
    if (w->n_viol == w->cap_viol) {
        int cap = w->cap_viol ? 2 * w->cap_viol : 64;
        if (cap > w->sh->max_kept) cap = w->sh->max_kept;
        void *p = realloc(w->viol, (size_t)cap * sizeof *w->viol);
        if (!p) return;
        w->viol = p;
        w->cap_viol = cap;
    }
    fasv_sweep_violation *v = &w->viol[w->n_viol++];
    v->class_index = idx;
    v->device = dev;
    v->cls = *c;
    v->node = *n;
    v->finding = *f;
}

static void *work(void *arg) {
    worker *w = arg;
    shared *sh = w->sh;
    fasv_sweep_result *res = sh->res;
    int nd = res->n_devices;
    /* Counters live on this thread's stack: the workers' structs share cache lines. */
    int64_t classes = 0, clean = 0, outside = 0, violations = 0;
    for (;;) {
        if (atomic_load(&sh->failed)) break;
        int64_t begin = atomic_fetch_add(&sh->next, CHUNK);
        if (begin >= sh->space) break;
        int64_t end = begin + CHUNK < sh->space ? begin + CHUNK : sh->space;
        int64_t did = 0;
        for (int64_t idx = begin; idx < end; idx++) {
            fasv_class c;
            if (fasv_class_at(idx, &c) != 0) continue;
            if (!(sh->type_mask & (1u << c.tk)) || !(sh->type_mask & (1u << c.tv))) continue;
            fasv_node n;
            char why[256];
            if (fasv_class_repr(&c, &n) != 0 || fasv_node_check(&n, why, sizeof why) != FASV_LEGAL) {
                char cs[200];
                fasv_class_format(&c, cs, sizeof cs);
                pthread_mutex_lock(&sh->err_lock);
                if (!res->error[0])
                    snprintf(res->error, sizeof res->error, "representative of class %lld (%.120s) is not legal: %.100s",
                             (long long)idx, cs, why);
                pthread_mutex_unlock(&sh->err_lock);
                atomic_store(&sh->failed, 1);
                break;
            }
            classes++;
            did++;
            for (int dev = 0; dev < nd; dev++) {
                fasv_finding f;
                fasv_verdict v = fasv_check_route(sh->t, res->devices[dev], &n, &f);
                fasv_sweep_cell *cell = &w->cells[((size_t)dev * FASV_CL_HEADS + (size_t)c.head) * FASV_CL_NQ + (size_t)c.nq];
                if (v == FASV_CLEAN) {
                    clean++;
                    cell->routes[(unsigned)f.route.family < FASV_FAM_COUNT ? f.route.family : 0]++;
                    count_key(w, dev, &f.route);
                } else if (v == FASV_OUTSIDE) {
                    outside++;
                    cell->outside++;
                } else {
                    violations++;
                    cell->violations++;
                    keep_violation(w, idx, dev, &c, &n, &f);
                }
            }
        }
        atomic_fetch_add(&sh->done, did);
    }
    w->classes = classes;
    w->clean = clean;
    w->outside = outside;
    w->violations = violations;
    atomic_fetch_add(&sh->finished, 1);
    return NULL;
}

static int cmp_viol(const void *a, const void *b) {
    const fasv_sweep_violation *x = a, *y = b;
    if (x->device != y->device) return x->device < y->device ? -1 : 1;
    if (x->class_index != y->class_index) return x->class_index < y->class_index ? -1 : 1;
    return 0;
}

static int64_t count_classes(unsigned mask) {
    /* Legal classes within the type mask, for progress: per head class, the
     * type pairs that fit, times the other axes. */
    int64_t per = (int64_t)FASV_CL_GQA * FASV_CL_NQ * FASV_CL_NKV * FASV_CL_OCC * FASV_CL_ALIGN * FASV_CL_PREC;
    int64_t total = 0;
    const fasv_head_class *h = fasv_head_classes(NULL);
    for (int i = 0; i < FASV_CL_HEADS; i++)
        for (int tk = 0; tk < FASV_CL_TYPES; tk++)
            for (int tv = 0; tv < FASV_CL_TYPES; tv++) {
                if (!(mask & (1u << tk)) || !(mask & (1u << tv))) continue;
                if (fasv_type_get((fasv_type)tk)->is_quant && h[i].dk % 32) continue;
                if (fasv_type_get((fasv_type)tv)->is_quant && h[i].dv % 32) continue;
                total += per;
            }
    return total;
}

int fasv_sweep_run(const fasv_target *t, const fasv_sweep_opts *o, fasv_sweep_result *res) {
    memset(res, 0, sizeof *res);
    res->target = t->name;
    if (o->devices) {
        res->n_devices = o->n_devices < FASV_SWEEP_MAX_DEVICES ? o->n_devices : FASV_SWEEP_MAX_DEVICES;
        for (int i = 0; i < res->n_devices; i++) res->devices[i] = o->devices[i];
    } else {
        int n;
        const fasv_device *d = fasv_devices(&n);
        res->n_devices = n < FASV_SWEEP_MAX_DEVICES ? n : FASV_SWEEP_MAX_DEVICES;
        for (int i = 0; i < res->n_devices; i++) res->devices[i] = &d[i];
    }
    int nd = res->n_devices;
    int nthreads = o->threads;
    if (nthreads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = c < 1 ? 1 : c > 8 ? 8 : (int)c;
    }
    if (nthreads > 64) nthreads = 64;
    res->threads = nthreads;
    res->space = fasv_class_space();
    size_t ncells = (size_t)nd * FASV_CL_HEADS * FASV_CL_NQ;
    res->cells = calloc(ncells ? ncells : 1, sizeof *res->cells);
    res->keys = calloc((size_t)(nd ? nd : 1) * FASV_SWEEP_MAX_KEYS, sizeof *res->keys);
    if (!res->cells || !res->keys) {
        snprintf(res->error, sizeof res->error, "out of memory");
        return -1;
    }

    shared sh;
    memset(&sh, 0, sizeof sh);
    sh.t = t;
    sh.o = o;
    sh.res = res;
    sh.type_mask = o->type_mask ? o->type_mask : 0xFFu;
    sh.max_kept = o->max_kept > 0 ? o->max_kept : 10000;
    sh.space = res->space;
    atomic_init(&sh.next, 0);
    atomic_init(&sh.done, 0);
    atomic_init(&sh.finished, 0);
    atomic_init(&sh.failed, 0);
    pthread_mutex_init(&sh.err_lock, NULL);
    int64_t expected = count_classes(sh.type_mask);

    worker *ws = calloc((size_t)nthreads, sizeof *ws);
    if (!ws) {
        snprintf(res->error, sizeof res->error, "out of memory");
        return -1;
    }
    double t0 = now_s();
    int started = 0, oom = 0;
    for (int i = 0; i < nthreads; i++) {
        worker *w = &ws[i];
        w->sh = &sh;
        w->cells = calloc(ncells ? ncells : 1, sizeof *w->cells);
        w->keys = calloc((size_t)(nd ? nd : 1) * FASV_SWEEP_MAX_KEYS, sizeof *w->keys);
        w->n_keys = calloc((size_t)(nd ? nd : 1), sizeof *w->n_keys);
        w->other_keys = calloc((size_t)(nd ? nd : 1), sizeof *w->other_keys);
        w->inst_slot = malloc((size_t)(nd ? nd : 1) * INST_CACHE * sizeof *w->inst_slot);
        if (!w->cells || !w->keys || !w->n_keys || !w->other_keys || !w->inst_slot) {
            oom = 1;
            break;
        }
        memset(w->inst_slot, 0xff, (size_t)(nd ? nd : 1) * INST_CACHE * sizeof *w->inst_slot);
        if (pthread_create(&w->tid, NULL, work, w) != 0) break;
        started++;
    }
    if (started == 0 && !oom) { /* no threads: run in this one */
        ws[0].sh = &sh;
        work(&ws[0]);
        started = -1;
    }
    /* Progress after the first second: a line rewritten in place on a
     * terminal, a line every 2 s otherwise (logs). */
    int shown = 0, tty = isatty(2);
    double next_report = 1.0;
    if (started > 0) {
        while (atomic_load(&sh.finished) < started) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
            double el = now_s() - t0;
            if (o->progress && el > next_report) {
                long long done = (long long)atomic_load(&sh.done);
                fprintf(stderr, "%sfasv sweep: %lld/%lld classes x %d device%s (%d%%) %.1fs%s", tty ? "\r" : "", done,
                        (long long)expected, nd, nd == 1 ? "" : "s", expected ? (int)(100 * done / expected) : 100, el,
                        tty ? " " : "\n");
                fflush(stderr);
                shown = tty;
                next_report = el + (tty ? 0.2 : 2.0);
            }
        }
        for (int i = 0; i < started; i++) pthread_join(ws[i].tid, NULL);
    }
    if (shown) fprintf(stderr, "\n");
    res->seconds = now_s() - t0;

    /* Merge in worker order; violations are sorted afterwards. */
    int nw = started < 0 ? 1 : started;
    int64_t total_viol = 0;
    for (int i = 0; i < nw; i++) total_viol += ws[i].n_viol;
    res->viol = calloc(total_viol ? (size_t)total_viol : 1, sizeof *res->viol);
    for (int i = 0; i < nw; i++) {
        worker *w = &ws[i];
        res->classes += w->classes;
        res->clean += w->clean;
        res->outside += w->outside;
        res->violations += w->violations;
        for (size_t c = 0; c < ncells; c++) {
            for (int f = 0; f < FASV_FAM_COUNT; f++) res->cells[c].routes[f] += w->cells[c].routes[f];
            res->cells[c].outside += w->cells[c].outside;
            res->cells[c].violations += w->cells[c].violations;
        }
        for (int d = 0; d < nd; d++) {
            res->other_keys[d] += w->other_keys[d];
            for (int k = 0; k < w->n_keys[d]; k++) {
                const fasv_sweep_keycount *src = &w->keys[(size_t)d * FASV_SWEEP_MAX_KEYS + k];
                fasv_sweep_keycount *dst = res->keys + (size_t)d * FASV_SWEEP_MAX_KEYS;
                int j = 0;
                while (j < res->n_keys[d] && strcmp(dst[j].key, src->key) != 0) j++;
                if (j == res->n_keys[d]) {
                    if (j == FASV_SWEEP_MAX_KEYS) {
                        res->other_keys[d] += src->count;
                        continue;
                    }
                    dst[j] = *src;
                    dst[j].count = 0;
                    res->n_keys[d]++;
                }
                dst[j].count += src->count;
            }
        }
        if (res->viol && w->n_viol) {
            memcpy(res->viol + res->n_viol, w->viol, (size_t)w->n_viol * sizeof *w->viol);
            res->n_viol += w->n_viol;
        }
    }
    for (int i = 0; i < nthreads; i++) {
        worker *w = &ws[i];
        free(w->cells);
        free(w->keys);
        free(w->n_keys);
        free(w->other_keys);
        free(w->inst_slot);
        free(w->viol);
    }
    free(ws);
    pthread_mutex_destroy(&sh.err_lock);
    if (res->n_viol > 1) qsort(res->viol, (size_t)res->n_viol, sizeof *res->viol, cmp_viol);
    if (res->n_viol > sh.max_kept) res->n_viol = sh.max_kept;
    /* Instance histogram: most used first, ties by key. */
    for (int d = 0; d < nd; d++) {
        fasv_sweep_keycount *k = res->keys + (size_t)d * FASV_SWEEP_MAX_KEYS;
        for (int a = 1; a < res->n_keys[d]; a++)
            for (int b = a; b > 0 && (k[b].count > k[b - 1].count ||
                                      (k[b].count == k[b - 1].count && strcmp(k[b].key, k[b - 1].key) < 0));
                 b--) {
                fasv_sweep_keycount tmp = k[b];
                k[b] = k[b - 1];
                k[b - 1] = tmp;
            }
    }
    res->checks = res->classes * nd;
    if (oom) snprintf(res->error, sizeof res->error, "out of memory");
    if (res->error[0]) return -1;
    return res->violations ? 1 : 0;
}

void fasv_sweep_free(fasv_sweep_result *res) {
    free(res->cells);
    free(res->keys);
    free(res->viol);
    res->cells = NULL;
    res->keys = NULL;
    res->viol = NULL;
}
