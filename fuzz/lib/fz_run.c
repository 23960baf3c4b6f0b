/* fz_run.c — the built-in fuzzer. See fz_run.h.
 *
 * Threads: each worker owns its rng (seeded from (seed, job)), a local copy
 * of the class set (so the shared one is locked only on news) and its own
 * case buffers. Shared state (class set, corpus, findings, files) lives
 * under one mutex; counters are atomics. The main thread prints progress
 * and watches the clock and the stop flag.
 */
#include "fz_run.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fz_input.h"
#include "fz_target.h"

#define CORPUS_MAX 16384

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
    const uint8_t *b = (const uint8_t *)p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}
#define FNV0 0xcbf29ce484222325ull

/* ---- a set of 64-bit keys ------------------------------------------------ */

typedef struct kset {
    uint64_t *k;
    size_t cap, n;
} kset;

static int kset_add(kset *s, uint64_t key) { /* 1 new, 0 present, -1 no memory */
    if (key == 0) key = 1;
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        uint64_t *k = calloc(cap, sizeof *k);
        if (!k) return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->k[i]) {
                size_t j = s->k[i] & (cap - 1);
                while (k[j]) j = (j + 1) & (cap - 1);
                k[j] = s->k[i];
            }
        free(s->k);
        s->k = k;
        s->cap = cap;
    }
    size_t j = key & (s->cap - 1);
    while (s->k[j]) {
        if (s->k[j] == key) return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->k[j] = key;
    s->n++;
    return 1;
}

static int kset_has(const kset *s, uint64_t key) {
    if (key == 0) key = 1;
    if (!s->cap) return 0;
    size_t j = key & (s->cap - 1);
    while (s->k[j]) {
        if (s->k[j] == key) return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

/* ---- files --------------------------------------------------------------- */

void fasv_finding_file_name(const char *signature, fasv_prop kind, char *out, size_t len) {
    uint64_t h = fnv1a(FNV0, signature, strlen(signature));
    snprintf(out, len, "%s-%016llx.case", fasv_prop_name(kind), (unsigned long long)h);
}

int fasv_write_atomic(const char *dir, const char *name, const char *text, char *path_out, size_t path_len) {
    char path[1024], tmp[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp%ld", dir, name, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return -1;
    size_t len = strlen(text);
    int bad = fwrite(text, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    if (path_out) snprintf(path_out, path_len, "%s", path);
    return 0;
}

static int ensure_dir(const char *dir) {
    char tmp[1024];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof tmp) return -1;
    memcpy(tmp, dir, len + 1);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST) return -1;
    struct stat st;
    return stat(tmp, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* ---- shared state -------------------------------------------------------- */

typedef struct shared {
    const fasv_fuzz_opts *o;
    pthread_mutex_t mu;
    kset classes;
    uint8_t (*corpus)[FASV_RECORD_SIZE];
    atomic_int corpus_n;
    fasv_fuzz_result *res;
    int found_cap;
    atomic_llong issued, execs, rejected;
    atomic_int stop, finished;
    int ndev;
    const fasv_device *devs;
} shared;

static int should_stop(shared *S) { return atomic_load(&S->stop) || (S->o->stop && *S->o->stop); }

/* (device, family, instance); the instance key names the instance only for
 * targets that give no instance number. */
static uint64_t class_key(int dev, const fasv_route *r) {
    uint64_t k = ((uint64_t)(unsigned)dev << 40) ^ ((uint64_t)(unsigned)r->family << 32) ^ (uint32_t)r->instance;
    if (r->instance < 0) k = fnv1a(k * 0x100000001b3ull, r->key, strnlen(r->key, sizeof r->key));
    return k;
}

/* Keep a case in the corpus (and on disk); caller holds the lock. */
static void corpus_add(shared *S, const fasv_case *c) {
    int n = atomic_load(&S->corpus_n);
    if (n >= CORPUS_MAX) return;
    fasv_record_encode(c, S->corpus[n]);
    atomic_store(&S->corpus_n, n + 1);
    if (S->o->corpus_dir) {
        char name[64];
        uint64_t h = fnv1a(FNV0, S->corpus[n], FASV_RECORD_SIZE);
        snprintf(name, sizeof name, "%016llx.case", (unsigned long long)h);
        char *text = fasv_case_to_string(c);
        if (!text || fasv_write_atomic(S->o->corpus_dir, name, text, NULL, 0) != 0) S->res->write_errors++;
        free(text);
    }
}

static void record_finding(shared *S, const fasv_finding *f, const fasv_case *c, int64_t exec) {
    fasv_fuzz_result *res = S->res;
    pthread_mutex_lock(&S->mu);
    for (int i = 0; i < res->n_found; i++)
        if (strcmp(res->found[i].signature, f->signature) == 0) {
            res->found[i].hits++;
            pthread_mutex_unlock(&S->mu);
            return;
        }
    if (res->n_found == S->found_cap) {
        int cap = S->found_cap ? 2 * S->found_cap : 16;
        fasv_fuzz_find *nf = realloc(res->found, (size_t)cap * sizeof *nf);
        if (!nf) {
            pthread_mutex_unlock(&S->mu);
            return;
        }
        res->found = nf;
        S->found_cap = cap;
    }
    fasv_fuzz_find *x = &res->found[res->n_found++];
    memset(x, 0, sizeof *x);
    snprintf(x->signature, sizeof x->signature, "%s", f->signature);
    x->kind = f->kind;
    snprintf(x->device, sizeof x->device, "%s", f->device->name);
    snprintf(x->detail, sizeof x->detail, "%s", f->detail);
    fasv_finding_case(S->o->target, f, c, &x->c);
    x->hits = 1;
    x->first = exec;
    if (S->o->artifacts_dir && ensure_dir(S->o->artifacts_dir) != 0) {
        res->write_errors++;
    } else if (S->o->artifacts_dir) {
        char name[64];
        fasv_finding_file_name(x->signature, x->kind, name, sizeof name);
        char *text = fasv_case_to_string(&x->c);
        if (!text || fasv_write_atomic(S->o->artifacts_dir, name, text, x->path, sizeof x->path) != 0)
            res->write_errors++;
        free(text);
    }
    if (S->o->progress) {
        fprintf(S->o->progress, "fasv fuzz: NEW finding %s on %s: %s\n", fasv_prop_name(x->kind), x->device,
                x->signature);
        if (x->path[0]) fprintf(S->o->progress, "fasv fuzz:   written to %s\n", x->path);
        fflush(S->o->progress);
    }
    pthread_mutex_unlock(&S->mu);
}

/* Check one legal case on every device; returns 1 when it reached a class
 * no worker had reached before. */
static int check_case(shared *S, kset *local, const fasv_case *c, int64_t exec) {
    int fresh = 0;
    fasv_finding f;
    for (int i = 0; i < S->ndev; i++) {
        fasv_verdict v = fasv_check_route(S->o->target, &S->devs[i], &c->node, &f);
        if (v == FASV_VIOLATION) record_finding(S, &f, c, exec);
        if (f.route.family == FASV_FAM_NONE) continue;
        uint64_t key = class_key(i, &f.route);
        if (kset_has(local, key)) continue;
        kset_add(local, key);
        pthread_mutex_lock(&S->mu);
        if (kset_add(&S->classes, key) == 1) fresh = 1;
        pthread_mutex_unlock(&S->mu);
    }
    return fresh;
}

typedef struct worker {
    shared *S;
    int job;
    pthread_t th;
} worker;

static void *work(void *arg) {
    worker *w = (worker *)arg;
    shared *S = w->S;
    const fasv_fuzz_opts *o = S->o;
    fasv_rng r;
    fasv_rng_seed3(&r, o->seed, (uint64_t)w->job, 0x66757a7a);
    kset local = {0};
    fasv_case *c = malloc(sizeof *c);
    if (!c) return NULL;
    fasv_case_init(c);
    int64_t pending = 0;
    while (!should_stop(S)) {
        int64_t i = atomic_fetch_add(&S->issued, 1);
        if (o->runs > 0 && i >= o->runs) break;
        int n = atomic_load(&S->corpus_n);
        if (n > 0 && fasv_rng_chance(&r, 50)) {
            uint8_t rec[FASV_RECORD_SIZE];
            pthread_mutex_lock(&S->mu);
            memcpy(rec, S->corpus[fasv_rng_below(&r, (uint64_t)n)], sizeof rec);
            pthread_mutex_unlock(&S->mu);
            fasv_record_decode(rec, sizeof rec, c);
            fasv_mutate(c, &r, &o->mutate);
        } else {
            fasv_random_case(&r, &o->mutate.rand, c);
        }
        if (fasv_node_check(&c->node, NULL, 0) != FASV_LEGAL) {
            atomic_fetch_add(&S->rejected, 1);
            continue;
        }
        if (o->on_case) o->on_case(o->on_case_ctx, w->job, c);
        if (check_case(S, &local, c, i)) {
            pthread_mutex_lock(&S->mu);
            corpus_add(S, c);
            pthread_mutex_unlock(&S->mu);
        }
        if (++pending == 64) {
            atomic_fetch_add(&S->execs, pending);
            pending = 0;
        }
    }
    atomic_fetch_add(&S->execs, pending);
    free(local.k);
    free(c);
    atomic_fetch_add(&S->finished, 1);
    return NULL;
}

/* Seeds: every file of corpus_dir that decodes to a legal case within the
 * bounds, checked once (so their classes count) and kept. */
static int load_corpus(shared *S, char *err, size_t errlen) {
    const char *dir = S->o->corpus_dir;
    if (ensure_dir(dir) != 0) {
        snprintf(err, errlen, "%s: cannot create or open the corpus directory: %s", dir, strerror(errno));
        return -1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: cannot read the corpus directory: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    char **names = NULL;
    int n = 0, cap = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, (size_t)cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        names[n] = strdup(e->d_name);
        if (names[n]) n++;
    }
    closedir(d);
    /* sorted, so a run is reproducible whatever order the directory lists */
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && strcmp(names[b], names[b - 1]) < 0; b--) {
            char *t = names[b];
            names[b] = names[b - 1];
            names[b - 1] = t;
        }
    kset local = {0};
    fasv_case *c = malloc(sizeof *c);
    for (int i = 0; i < n && c; i++) {
        char path[2048], ferr[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        uint8_t *data;
        size_t size;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && fasv_read_file(path, &data, &size, ferr, sizeof ferr) == 0) {
            fasv_case_init(c);
            fasv_input_form f = fasv_input_decode(data, size, &S->o->mutate.rand, c, NULL, 0);
            free(data);
            if (f != FASV_INPUT_BAD && fasv_node_check(&c->node, NULL, 0) == FASV_LEGAL &&
                fasv_mutate_within(c, &S->o->mutate)) {
                if (S->o->on_case) S->o->on_case(S->o->on_case_ctx, 0, c);
                check_case(S, &local, c, -1);
                int m = atomic_load(&S->corpus_n);
                if (m < CORPUS_MAX) {
                    fasv_record_encode(c, S->corpus[m]);
                    atomic_store(&S->corpus_n, m + 1);
                    S->res->corpus_loaded++;
                }
            }
        }
        free(names[i]);
    }
    for (int i = 0; i < n && !c; i++) free(names[i]);
    free(names);
    free(local.k);
    free(c);
    return 0;
}

int fasv_fuzz_run(const fasv_fuzz_opts *o, fasv_fuzz_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    if (err && errlen) err[0] = 0;
    shared *S = calloc(1, sizeof *S);
    if (!S) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    S->o = o;
    S->res = res;
    S->devs = fasv_devices(&S->ndev);
    pthread_mutex_init(&S->mu, NULL);
    S->corpus = malloc((size_t)CORPUS_MAX * FASV_RECORD_SIZE);
    int rc = 0;
    if (!S->corpus) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
        goto out;
    }
    struct stat st;
    if (o->artifacts_dir && stat(o->artifacts_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: exists and is not a directory", o->artifacts_dir);
        rc = -1;
        goto out;
    }
    double t0 = now_s();
    if (o->corpus_dir && load_corpus(S, err, errlen) != 0) {
        rc = -1;
        goto out;
    }
    int jobs = o->jobs > 0 ? o->jobs : 1;
    worker *ws = calloc((size_t)jobs, sizeof *ws);
    if (!ws) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
        goto out;
    }
    int started = 0;
    for (int j = 0; j < jobs; j++) {
        ws[j].S = S;
        ws[j].job = j;
        if (pthread_create(&ws[j].th, NULL, work, &ws[j]) == 0) started++;
        else break;
    }
    double every = o->progress_every > 0 ? o->progress_every : 1.0, next = t0 + every;
    int64_t last_execs = 0;
    double last_t = t0;
    for (;;) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        double t = now_s();
        int done = atomic_load(&S->finished) == started;
        if (o->max_time > 0 && t - t0 >= o->max_time) {
            atomic_store(&S->stop, 1);
            done = 1;
        }
        if (o->progress && (t >= next || done)) {
            int64_t e = atomic_load(&S->execs);
            double rate = t > last_t ? (double)(e - last_execs) / (t - last_t) : 0;
            pthread_mutex_lock(&S->mu);
            fprintf(o->progress, "fasv fuzz: #%lld execs  %.0f/s  classes %zu  corpus %d  findings %d  %.0fs\n",
                    (long long)e, rate, S->classes.n, atomic_load(&S->corpus_n), res->n_found, t - t0);
            fflush(o->progress);
            pthread_mutex_unlock(&S->mu);
            last_execs = e;
            last_t = t;
            next = t + every;
        }
        if (done) break;
    }
    for (int j = 0; j < started; j++) pthread_join(ws[j].th, NULL);
    free(ws);
    res->stopped = o->stop && *o->stop;
    res->seconds = now_s() - t0;
    res->execs = atomic_load(&S->execs);
    res->rejected = atomic_load(&S->rejected);
    res->classes = (int)S->classes.n;
    res->corpus_size = atomic_load(&S->corpus_n);
out:
    pthread_mutex_destroy(&S->mu);
    free(S->classes.k);
    free(S->corpus);
    free(S);
    return rc;
}

void fasv_fuzz_result_free(fasv_fuzz_result *res) {
    free(res->found);
    memset(res, 0, sizeof *res);
}
