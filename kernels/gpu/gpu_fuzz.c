/* kernels/gpu/gpu_fuzz.c — GPU differential fuzzing: fasv_gpu_fuzz().
 *
 * Owns: the worker processes (one per GPU, forked before any GPU runtime is
 * touched in the parent), the shared stream of random legal cases they take
 * from (case n = fasv_random_case seeded by (seed, n), so every finding is
 * reproducible from two numbers and is also written out as a .case file),
 * isolation of faults (a worker that faults, hangs or dies is killed and
 * restarted; the case it held is recorded as a finding), the health probe a
 * restarted worker must pass before it takes more cases, and the statistics
 * (cases per second, time in generation, kernel and oracle).
 * Must not know: how the target plans; kernel internals; GPU runtimes (each
 * worker uses fasv/gpucheck.h).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fasv/build.h"
#include "fasv/gpucheck.h"

#define MAX_WORKERS 64
#define PROBE_INDEX UINT64_MAX

typedef struct msg_hello {
    int ok;
    fasv_gpu_info info;
    char err[256];
} msg_hello;

typedef struct msg_result {
    uint64_t index;
    fasv_gpu_result res;
} msg_result;

typedef struct worker {
    int gpu;
    pid_t pid;
    int to_fd, from_fd; /* parent writes requests to to_fd, reads results from from_fd */
    int busy;
    uint64_t index; /* case in flight */
    double since;   /* when it was handed out */
    int dead;       /* retired after a failed start or probe */
    int probing;
    char name[192];
    char model[32]; /* modeled device of the worker's GPU */
} worker;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n) {
    char *c = p;
    while (n) {
        ssize_t r = read(fd, c, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        c += r;
        n -= (size_t)r;
    }
    return 0;
}

/* The probe: a small legal case a healthy GPU runs to completion. n_kv is a
 * multiple of every kv_tile, so a fault in the KV tail (a real one, or the
 * planted FASV_GPU_FAULT=kv-tail) does not touch it. */
static void probe_case(fasv_case *c, const char *model) {
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = b.hsv = 128;
    b.nh = 2;
    b.gqa = 2;
    b.kv = 256;
    b.nb = 3;
    b.mask = true;
    b.type_k = b.type_v = FASV_TYPE_F16;
    b.seed = 1;
    if (model) snprintf(b.device, sizeof b.device, "%s", model);
    char err[160];
    if (fasv_build_case(&b, c, err, sizeof err) != 0) fasv_case_init(c);
}

static void fuzz_case(const fasv_gpu_fuzz_opts *o, uint64_t index, const char *model, fasv_case *c) {
    if (index == PROBE_INDEX) {
        probe_case(c, model);
        return;
    }
    fasv_rng r;
    fasv_rng_seed3(&r, o->seed, 0x67707566757a7aull /* "gpufuzz" */, index);
    fasv_rand_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.max_bytes = o->max_bytes > 0 ? o->max_bytes : (int64_t)64 << 20;
    ro.max_work = o->max_work > 0 ? o->max_work : (int64_t)1 << 28;
    ro.device = model;
    ro.focus = (fasv_focus)o->focus;
    fasv_random_case(&r, &ro, c);
}

/* Worker main: never returns. */
static void worker_main(const fasv_gpu_fuzz_opts *o, int gpu, int in_fd, int out_fd) {
    msg_hello h;
    memset(&h, 0, sizeof h);
    fasv_gpu *g = NULL;
    fasv_gpu_status s = fasv_gpu_open(gpu, &g, h.err, sizeof h.err);
    h.ok = s == FASV_GPU_OK;
    if (h.ok) h.info = *fasv_gpu_get_info(g);
    if (write_all(out_fd, &h, sizeof h) || !h.ok) _exit(h.ok ? 3 : 4);
    fasv_gpu_check_opts co;
    fasv_gpu_check_opts_default(&co);
    co.target = o->target;
    co.timeout_s = o->timeout_s > 0 ? o->timeout_s : 10.0;
    co.oracle_threads = o->n_gpus > 1 ? (int)(sysconf(_SC_NPROCESSORS_ONLN) / o->n_gpus) : 0; /* share the CPUs */
    if (o->n_gpus > 1 && co.oracle_threads < 1) co.oracle_threads = 1;
    /* the data generator's threads share the CPUs the same way, unless the
     * user set FASV_GEN_THREADS (this is the worker's own environment) */
    if (o->n_gpus > 1 && !getenv("FASV_GEN_THREADS")) {
        char nt[16];
        snprintf(nt, sizeof nt, "%d", co.oracle_threads);
        setenv("FASV_GEN_THREADS", nt, 1);
    }
    for (;;) {
        uint64_t index;
        if (read_all(in_fd, &index, sizeof index)) _exit(0);
        fasv_case c;
        fuzz_case(o, index, h.info.model, &c);
        msg_result m;
        memset(&m, 0, sizeof m);
        m.index = index;
        fasv_gpu_check_case(g, &c, &co, &m.res);
        if (write_all(out_fd, &m, sizeof m)) _exit(3);
        if (m.res.device_lost) _exit(5); /* the context is gone: let the parent restart us */
    }
}

static int start_worker(const fasv_gpu_fuzz_opts *o, worker *w, FILE *log) {
    int req[2], rep[2];
    if (pipe(req) || pipe(rep)) {
        fprintf(log, "gpu %d: pipe: %s\n", w->gpu, strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(log, "gpu %d: fork: %s\n", w->gpu, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        close(req[1]);
        close(rep[0]);
        worker_main(o, w->gpu, req[0], rep[1]);
    }
    close(req[0]);
    close(rep[1]);
    w->pid = pid;
    w->to_fd = req[1];
    w->from_fd = rep[0];
    w->busy = 0;
    msg_hello h;
    /* the hello comes once the runtime is up; bounded by the hang limit */
    struct pollfd pf = {w->from_fd, POLLIN, 0};
    int pr = poll(&pf, 1, (int)(1000 * (o->hang_s > 0 ? o->hang_s : 300)));
    if (pr <= 0 || read_all(w->from_fd, &h, sizeof h) || !h.ok) {
        fprintf(log, "gpu %d: worker did not start: %s\n", w->gpu, pr <= 0 ? "no answer" : h.ok ? "?" : h.err);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(w->to_fd);
        close(w->from_fd);
        return -1;
    }
    snprintf(w->model, sizeof w->model, "%s", h.info.model);
    snprintf(w->name, sizeof w->name, "%.80s (%.20s, modeled as %.20s)", h.info.name, h.info.arch,
             h.info.model[0] ? h.info.model : "nothing");
    return 0;
}

static void stop_worker(worker *w) {
    if (w->pid > 0) {
        kill(w->pid, SIGKILL);
        waitpid(w->pid, NULL, 0);
    }
    close(w->to_fd);
    close(w->from_fd);
    w->pid = 0;
    w->busy = 0;
}

/* Findings: deduplicated by kind + instance + model; every one written. */
typedef struct seen {
    char sig[128];
} seen;

static int record_finding(const fasv_gpu_fuzz_opts *o, fasv_gpu_fuzz_stats *st, seen **sv, int *nsv,
                          uint64_t index, const char *model, const fasv_gpu_result *r, FILE *log) {
    char sig[128];
    snprintf(sig, sizeof sig, "%s/%s/%s", r->kind, model, r->route.key[0] ? r->route.key : "-");
    int fresh = 1;
    for (int i = 0; i < *nsv; i++)
        if (strcmp((*sv)[i].sig, sig) == 0) fresh = 0;
    st->findings++;
    if (fresh) {
        seen *n = realloc(*sv, sizeof(seen) * (size_t)(*nsv + 1));
        if (n) {
            *sv = n;
            snprintf(n[*nsv].sig, sizeof n[*nsv].sig, "%s", sig);
            (*nsv)++;
        }
        st->unique_findings++;
    }
    fasv_case c;
    fuzz_case(o, index, model, &c);
    char line[1024];
    snprintf(line, sizeof line, "gpu fuzz finding: %s on %s (seed %llu, case %llu)", r->kind, model,
             (unsigned long long)o->seed, (unsigned long long)index);
    fasv_case_add_comment(&c, line);
    char rt[512];
    fasv_route_format(&r->route, rt, sizeof rt);
    snprintf(line, sizeof line, "route: %s", rt);
    fasv_case_add_comment(&c, line);
    /* the detail, one comment line per line */
    const char *p = r->detail;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        snprintf(line, sizeof line, "%.*s", (int)(len < 900 ? len : 900), p);
        fasv_case_add_comment(&c, line);
        p += len + (e ? 1 : 0);
    }
    /* the oracle's figures, one comment line each */
    if (r->has_verdict) {
        const char *q = r->verdict_text;
        while (*q) {
            const char *e = strchr(q, '\n');
            size_t len = e ? (size_t)(e - q) : strlen(q);
            while (len && *q == ' ') q++, len--;
            if (len) {
                snprintf(line, sizeof line, "%.*s", (int)(len < 900 ? len : 900), q);
                fasv_case_add_comment(&c, line);
            }
            q += len + (e ? 1 : 0);
        }
    }
    fasv_case_add_comment(&c, "replay: fasv run THIS.case --gpu 0");
    const char *dir = o->findings_dir ? o->findings_dir : "findings/gpu";
    char path[1024], err[256];
    mkdir(dir, 0777); /* one level; the caller creates parents */
    snprintf(path, sizeof path, "%s/%s-%llu-%llu.case", dir, r->kind, (unsigned long long)o->seed,
             (unsigned long long)index);
    if (fasv_case_save(&c, path, err, sizeof err) != 0) fprintf(log, "cannot write reproducer: %s\n", err);
    else if (!st->first_finding[0]) snprintf(st->first_finding, sizeof st->first_finding, "%.500s", path);
    fprintf(log, "FINDING %s%s: %s\n  %s\n  reproducer: %s\n", sig, fresh ? "" : " (seen before)", r->detail, rt, path);
    if (fresh && r->has_verdict) fputs(r->verdict_text, log);
    if (fresh && o->on_finding) o->on_finding(o->ctx, &c, r, path, sig);
    fflush(log);
    return fresh;
}

int fasv_gpu_count_isolated(void) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        int n = fasv_gpu_count();
        _exit(n > 250 ? 250 : n);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return 0;
    return WEXITSTATUS(status);
}

static volatile sig_atomic_t g_stop = 0;
static void on_sigint(int s) {
    (void)s;
    g_stop = 1;
}

int fasv_gpu_fuzz(const fasv_gpu_fuzz_opts *o, fasv_gpu_fuzz_stats *st, char *err, size_t errlen) {
    memset(st, 0, sizeof *st);
    FILE *log = o->log ? o->log : stderr;
    int nw = o->n_gpus > 0 ? o->n_gpus : 1;
    if (nw > MAX_WORKERS) nw = MAX_WORKERS;
    worker w[MAX_WORKERS];
    memset(w, 0, sizeof w);
    int alive = 0;
    for (int i = 0; i < nw; i++) {
        w[i].gpu = o->n_gpus > 0 ? o->gpus[i] : 0;
        if (start_worker(o, &w[i], log) == 0) {
            alive++;
            if (!o->quiet) fprintf(log, "gpu %d: %s\n", w[i].gpu, w[i].name);
        } else {
            w[i].dead = 1;
        }
    }
    if (!alive) {
        snprintf(err, errlen, "no GPU worker could start (see above)");
        return 2;
    }
    struct sigaction sa, old_int, old_pipe;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old_int);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old_pipe);
    g_stop = 0;

    seen *sv = NULL;
    int nsv = 0;
    const double t0 = now_s(), hang = o->hang_s > 0 ? o->hang_s : 300.0;
    double last_report = t0;
    uint64_t next = 0;
    for (;;) {
        double t = now_s();
        int out_of_budget = g_stop || (o->stop && *o->stop) || (o->max_time_s > 0 && t - t0 >= o->max_time_s) ||
                            (o->max_cases > 0 && (int64_t)next >= o->max_cases);
        /* hand out work */
        int busy = 0;
        for (int i = 0; i < nw; i++) {
            if (w[i].dead) continue;
            if (!w[i].busy && (!out_of_budget || w[i].probing)) {
                uint64_t idx = w[i].probing ? PROBE_INDEX : next;
                if (write_all(w[i].to_fd, &idx, sizeof idx) == 0) {
                    w[i].busy = 1;
                    w[i].index = idx;
                    w[i].since = t;
                    if (!w[i].probing) next++;
                }
            }
            busy += w[i].busy;
        }
        if (!busy) break;
        struct pollfd pf[MAX_WORKERS];
        int map[MAX_WORKERS], np = 0;
        for (int i = 0; i < nw; i++)
            if (!w[i].dead && w[i].busy) {
                pf[np].fd = w[i].from_fd;
                pf[np].events = POLLIN;
                pf[np].revents = 0;
                map[np++] = i;
            }
        int pr = poll(pf, (nfds_t)np, 1000);
        if (pr < 0 && errno != EINTR) break;
        t = now_s();
        for (int k = 0; k < np; k++) {
            worker *x = &w[map[k]];
            int died = 0;
            msg_result m;
            if (pf[k].revents & (POLLIN | POLLHUP | POLLERR)) {
                if (read_all(x->from_fd, &m, sizeof m) == 0) {
                    x->busy = 0;
                    if (x->probing) {
                        /* healthy = the device runs a launch to completion and
                         * answers; wrong numbers on the probe say the kernel is
                         * wrong (reported, not a reason to stop), a fault, a
                         * timeout or an unusable device retire the GPU */
                        x->probing = 0;
                        if (m.res.device_lost || m.res.outcome == FASV_GPU_ERROR) {
                            fprintf(log, "gpu %d: health probe failed after restart (%s: %s); retiring it\n", x->gpu,
                                    m.res.kind, m.res.detail);
                            stop_worker(x);
                            x->dead = 1;
                        } else if (m.res.outcome == FASV_GPU_FINDING) {
                            fprintf(log, "gpu %d: the device is up, but the health probe's output is wrong (%s): the kernels are suspect; continuing\n",
                                    x->gpu, m.res.kind);
                        } else if (!o->quiet) {
                            fprintf(log, "gpu %d: health probe passed, continuing\n", x->gpu);
                        }
                        continue;
                    }
                    st->cases++;
                    st->gen_s += m.res.gen_ms / 1e3;
                    st->kernel_s += m.res.kernel_ms / 1e3;
                    st->oracle_s += m.res.oracle_ms / 1e3;
                    st->worker_s += m.res.total_ms / 1e3;
                    switch (m.res.outcome) {
                    case FASV_GPU_PASS: st->passed++; break;
                    case FASV_GPU_SKIP: st->skipped++; break;
                    case FASV_GPU_ERROR:
                        st->errors++;
                        if (!o->quiet) fprintf(log, "case %llu: not checked: %s: %s\n", (unsigned long long)m.index, m.res.kind, m.res.detail);
                        break;
                    default:
                        record_finding(o, st, &sv, &nsv, m.index, m.res.model, &m.res, log);
                    }
                    if (m.res.device_lost) died = 1; /* the worker exits; restart it */
                } else {
                    died = 1;
                    fasv_gpu_result r;
                    memset(&r, 0, sizeof r);
                    snprintf(r.kind, sizeof r.kind, "crash");
                    snprintf(r.detail, sizeof r.detail, "the worker process on gpu %d died while checking this case", x->gpu);
                    if (x->probing) {
                        fprintf(log, "gpu %d: worker died in the health probe; retiring it\n", x->gpu);
                        stop_worker(x);
                        x->dead = 1;
                        continue;
                    }
                    st->cases++;
                    record_finding(o, st, &sv, &nsv, x->index, x->model, &r, log);
                }
            } else if (x->busy && t - x->since > hang) {
                died = 1;
                fasv_gpu_result r;
                memset(&r, 0, sizeof r);
                snprintf(r.kind, sizeof r.kind, "hang");
                snprintf(r.detail, sizeof r.detail, "the worker on gpu %d gave no answer for %.0f s", x->gpu, hang);
                if (!x->probing) {
                    st->cases++;
                    record_finding(o, st, &sv, &nsv, x->index, x->model, &r, log);
                }
            }
            if (died) {
                stop_worker(x);
                st->restarts++;
                if (start_worker(o, x, log) == 0) {
                    x->probing = 1;
                } else {
                    x->dead = 1;
                }
            }
        }
        if (!o->quiet && t - last_report >= 30.0) {
            fprintf(log, "[%.0f s] %lld cases, %lld passed, %lld skipped, %lld errors, %lld findings (%lld unique), %.1f cases/s\n",
                    t - t0, (long long)st->cases, (long long)st->passed, (long long)st->skipped, (long long)st->errors,
                    (long long)st->findings, (long long)st->unique_findings, st->cases / (t - t0));
            fflush(log);
            last_report = t;
        }
        int any = 0;
        for (int i = 0; i < nw; i++) any |= !w[i].dead;
        if (!any) {
            fprintf(log, "every GPU worker is retired; stopping\n");
            break;
        }
    }
    for (int i = 0; i < nw; i++)
        if (!w[i].dead && w[i].pid) stop_worker(&w[i]);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    free(sv);
    st->wall_s = now_s() - t0;
    return st->findings ? 1 : 0;
}
