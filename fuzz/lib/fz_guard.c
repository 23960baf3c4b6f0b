/* fz_guard.c — crash and hang isolation for fasv_fuzz_run. See fz_guard.h. */
#include "fz_guard.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fz_input.h"
#include "fz_target.h"

#define GUARD_JOBS 256
#define GUARD_FOUND 256

typedef struct gfind {
    char signature[FASV_SIG_LEN];
    int kind;
    char device[FASV_DEVICE_NAME_MAX];
    char detail[FASV_DETAIL_LEN];
    char path[1024];
    int64_t hits, first;
    fasv_case c;
} gfind;

/* Shared between the parent and one child at a time. */
typedef struct gshm {
    atomic_llong beats;            /* cases started by the fuzzing child */
    atomic_int have[GUARD_JOBS];   /* rec[w] holds worker w's current case */
    uint8_t rec[GUARD_JOBS][FASV_RECORD_SIZE];
    atomic_int confirm_device;     /* device the confirming child is planning for */
    int done, rc;
    char err[512];
    int64_t execs, rejected;
    double seconds;
    int classes, corpus_loaded, corpus_size, stopped, write_errors, n_found;
    gfind found[GUARD_FOUND];
} gshm;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void record(void *ctx, int worker, const fasv_case *c) {
    gshm *sh = ctx;
    if (worker >= 0 && worker < GUARD_JOBS) {
        atomic_store(&sh->have[worker], 0);
        fasv_record_encode(c, sh->rec[worker]);
        atomic_store(&sh->have[worker], 1);
    }
    atomic_fetch_add(&sh->beats, 1);
}

static void child_fuzz(gshm *sh, const fasv_fuzz_opts *o) {
    fasv_fuzz_opts co = *o;
    co.on_case = record;
    co.on_case_ctx = sh;
    fasv_fuzz_result r;
    sh->rc = fasv_fuzz_run(&co, &r, sh->err, sizeof sh->err);
    if (sh->rc == 0) {
        sh->execs = r.execs;
        sh->rejected = r.rejected;
        sh->seconds = r.seconds;
        sh->classes = r.classes;
        sh->corpus_loaded = r.corpus_loaded;
        sh->corpus_size = r.corpus_size;
        sh->stopped = r.stopped;
        sh->write_errors = r.write_errors;
        for (int i = 0; i < r.n_found && i < GUARD_FOUND; i++) {
            gfind *g = &sh->found[i];
            const fasv_fuzz_find *x = &r.found[i];
            memcpy(g->signature, x->signature, sizeof g->signature);
            g->kind = (int)x->kind;
            memcpy(g->device, x->device, sizeof g->device);
            memcpy(g->detail, x->detail, sizeof g->detail);
            memcpy(g->path, x->path, sizeof g->path);
            g->c = x->c;
            g->hits = x->hits;
            g->first = x->first;
        }
        sh->n_found = r.n_found < GUARD_FOUND ? r.n_found : GUARD_FOUND;
        fasv_fuzz_result_free(&r);
    }
    sh->done = 1;
    fflush(NULL);
    _exit(0);
}

/* How a child ended: 0 normally, the signal number when a signal killed it,
 * -N when it exited with status N != 0 (a sanitizer's report on a crash). */
static int outcome(int status) {
    if (WIFSIGNALED(status)) return WTERMSIG(status);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) return -WEXITSTATUS(status);
    return 0;
}

/* Plan c on every device in a child; 0 when it survives, else the signal
 * (SIGALRM: it hung), with the device it was planning for. */
static int confirm(gshm *sh, const fasv_target *t, const fasv_case *c, double hang_s, int *device) {
    atomic_store(&sh->confirm_device, -1);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        signal(SIGINT, SIG_IGN);
        alarm((unsigned)(hang_s + 0.999));
        int n;
        const fasv_device *devs = fasv_devices(&n);
        for (int i = 0; i < n; i++) {
            atomic_store(&sh->confirm_device, i);
            fasv_finding f;
            fasv_check_route(t, &devs[i], &c->node, &f);
        }
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    *device = atomic_load(&sh->confirm_device);
    return outcome(status);
}

static const char *sig_name(int sig) {
    if (sig < 0) return "exit"; /* e.g. a sanitizer caught the fault and exited */
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGALRM: return "hang";
    default: return "signal";
    }
}

/* Add (or count) a finding in res. */
static fasv_fuzz_find *add_find(fasv_fuzz_result *res, int *cap, const char *sig) {
    for (int i = 0; i < res->n_found; i++)
        if (strcmp(res->found[i].signature, sig) == 0) return &res->found[i];
    if (res->n_found == *cap) {
        int nc = *cap ? 2 * *cap : 16;
        fasv_fuzz_find *nf = realloc(res->found, (size_t)nc * sizeof *nf);
        if (!nf) return NULL;
        res->found = nf;
        *cap = nc;
    }
    fasv_fuzz_find *x = &res->found[res->n_found++];
    memset(x, 0, sizeof *x);
    snprintf(x->signature, sizeof x->signature, "%s", sig);
    return x;
}

/* The child died (sig) or hung: find the case, write the crash finding. */
static void crash_finding(gshm *sh, const fasv_fuzz_opts *o, int sig, double hang_s, fasv_fuzz_result *res,
                          int *cap) {
    fasv_case cands[8];
    int nc = 0;
    for (int w = 0; w < GUARD_JOBS && nc < 8; w++)
        if (atomic_load(&sh->have[w]) && fasv_record_decode(sh->rec[w], FASV_RECORD_SIZE, &cands[nc]) == 0) nc++;
    if (nc == 0) return;
    int which = 0, dev = -1, csig = 0;
    for (int i = 0; i < nc && !csig; i++) {
        csig = confirm(sh, o->target, &cands[i], hang_s, &dev);
        if (csig) which = i;
    }
    int n;
    const fasv_device *devs = fasv_devices(&n);
    const fasv_device *d = dev >= 0 && dev < n ? &devs[dev] : &devs[0];
    int shown = csig ? csig : sig;
    fasv_finding f;
    memset(&f, 0, sizeof f);
    f.kind = FASV_PROP_CRASH;
    f.device = d;
    f.route.family = FASV_FAM_NONE;
    f.route.instance = -1;
    snprintf(f.route.reason, sizeof f.route.reason, "%s", sig_name(shown));
    if (shown == SIGALRM || shown == 0)
        snprintf(f.detail, sizeof f.detail, "target %s made no progress for %.0f s%s", o->target->name, hang_s,
                 csig ? " planning this node (it hangs again in a fresh process)" : "; not reproduced alone");
    else
        snprintf(f.detail, sizeof f.detail, "target %s died with %s (%s) planning this node on %s%s", o->target->name,
                 sig_name(shown), shown > 0 ? strsignal(shown) : "nonzero exit status", d->name,
                 csig ? "; reproduced in a fresh process" : "; not reproduced alone (another worker's case?)");
    /* A crash has no route to name, and the device is only the first one the
     * node was planned for: bucket by target, head sizes and signal. */
    snprintf(f.signature, sizeof f.signature, "crash/%s/d%lldx%lld/%s", o->target->name,
             (long long)fasv_dk(&cands[which].node), (long long)fasv_dv(&cands[which].node), sig_name(shown));
    fasv_fuzz_find *x = add_find(res, cap, f.signature);
    if (!x) return;
    x->hits++;
    if (x->hits > 1) return;
    x->kind = FASV_PROP_CRASH;
    snprintf(x->device, sizeof x->device, "%s", csig ? d->name : "?");
    snprintf(x->detail, sizeof x->detail, "%s", f.detail);
    fasv_finding_case(o->target, &f, &cands[which], &x->c);
    x->first = res->execs;
    if (o->artifacts_dir) {
        char name[128];
        if (mkdir(o->artifacts_dir, 0777) != 0 && errno != EEXIST) res->write_errors++;
        char *text = fasv_case_to_string(&x->c);
        fasv_finding_file_name(f.signature, FASV_PROP_CRASH, name, sizeof name);
        if (!text || fasv_write_atomic(o->artifacts_dir, name, text, x->path, sizeof x->path) != 0) res->write_errors++;
        free(text);
    }
    if (o->progress) {
        fprintf(o->progress, "fasv fuzz: NEW finding crash: %s\nfasv fuzz:   %s\n", f.signature, f.detail);
        if (x->path[0]) fprintf(o->progress, "fasv fuzz:   written to %s\n", x->path);
        fflush(o->progress);
    }
}

static void merge_child(const gshm *sh, fasv_fuzz_result *res, int *cap) {
    res->execs += sh->execs;
    res->rejected += sh->rejected;
    if (sh->classes > res->classes) res->classes = sh->classes;
    res->corpus_loaded += sh->corpus_loaded;
    res->corpus_size = sh->corpus_size;
    res->stopped |= sh->stopped;
    res->write_errors += sh->write_errors;
    for (int i = 0; i < sh->n_found; i++) {
        const gfind *g = &sh->found[i];
        fasv_fuzz_find *x = add_find(res, cap, g->signature);
        if (!x) continue;
        if (x->hits == 0) {
            x->kind = (fasv_prop)g->kind;
            memcpy(x->device, g->device, sizeof x->device);
            memcpy(x->detail, g->detail, sizeof x->detail);
            memcpy(x->path, g->path, sizeof x->path);
            x->c = g->c;
            x->first = res->execs - sh->execs + g->first;
        }
        x->hits += g->hits;
    }
}

int fasv_fuzz_guarded(const fasv_fuzz_opts *o, double hang_s, fasv_fuzz_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    if (hang_s <= 0) hang_s = 10;
    gshm *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        snprintf(err, errlen, "cannot map shared memory for the crash guard: %s", strerror(errno));
        return -1;
    }
    double t0 = now_s();
    int cap = 0, rc = 0;
    for (int round = 0;; round++) {
        fasv_fuzz_opts co = *o;
        co.seed = o->seed + (uint64_t)round * 0x9E3779B97F4A7C15ull;
        if (o->runs > 0) {
            co.runs = o->runs - res->execs;
            if (co.runs <= 0) break;
        }
        if (o->max_time > 0) {
            co.max_time = o->max_time - (now_s() - t0);
            if (co.max_time <= 0.05) break;
        }
        if (round > 0) co.corpus_dir = o->corpus_dir; /* the corpus on disk carries over */
        memset(sh, 0, sizeof *sh);
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            snprintf(err, errlen, "fork failed: %s", strerror(errno));
            rc = -1;
            break;
        }
        if (pid == 0) child_fuzz(sh, &co);
        int status = 0, forwarded = 0, hung = 0;
        long long last = -1;
        double last_t = now_s();
        for (;;) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) break;
            if (w < 0 && errno != EINTR) break;
            if (o->stop && *o->stop && !forwarded) {
                kill(pid, SIGINT);
                forwarded = 1;
            }
            long long b = atomic_load(&sh->beats);
            double t = now_s();
            if (b != last) {
                last = b;
                last_t = t;
            } else if (t - last_t > hang_s) {
                kill(pid, SIGKILL);
                hung = 1;
            }
            usleep(20000);
        }
        if (WIFEXITED(status) && sh->done) {
            if (sh->rc != 0) {
                snprintf(err, errlen, "%s", sh->err);
                rc = -1;
                break;
            }
            merge_child(sh, res, &cap);
            break; /* the child used the whole budget, or was stopped */
        }
        /* crashed or hung: the cases it had started count as executions */
        res->execs += atomic_load(&sh->beats);
        crash_finding(sh, o, hung ? SIGALRM : outcome(status), hang_s, res, &cap);
        if (o->stop && *o->stop) {
            res->stopped = 1;
            break;
        }
    }
    res->seconds = now_s() - t0;
    munmap(sh, sizeof *sh);
    return rc;
}
