/* cmd_verify.c — `fasv verify`: the main job. Runs the phases in order
 * within a time budget, reduces every finding, and writes a report folder:
 *   summary.txt   what ran, what was found, where the reproducers are
 *   report.json   the same for machines
 *   routes.*      the route map, written by the sweep phase
 *   findings/     KIND-HASH.case (as found) and KIND-HASH.reduced.case
 * A phase is one function: the GPU issue adds its phase by adding one entry
 * to k_phases (the scenarios phase is one). Findings from every phase go through
 * verify_add_finding, so reduction and the report need no change.
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fasv/plugin.h"
#include "fasv/gpucheck.h"
#include "fasv/json.h"
#include "fz_reduce.h"
#include "fz_guard.h"
#include "fz_run.h"
#include "fz_target.h"
#include "kernels/sweep.h"
#include "fasv/scenario.h"
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *k_help =
    "usage: fasv verify [--time S] [--out DIR] [--planner LIB] [--jobs N] [--seed N] [--json]\n"
    "\n"
    "The main job: run every verification phase within a time budget, reduce\n"
    "every finding, and write a report folder.\n"
    "\n"
    "  --time S       total time budget in seconds (default 60)\n"
    "  --out DIR      report folder (default fasv-report)\n"
    "  --planner LIB  target: builtin (default), test:NAME, or a plugin library\n"
    "  --jobs N       fuzzing threads (default 1)\n"
    "  --seed N       fuzzing seed (default 1)\n"
    "  --phases LIST  run only these phases, comma-separated (default: all)\n"
    "  --sweep-types T[,T...]  K/V types the sweep covers (default: all eight)\n"
    "  --json         print report.json on stdout instead of the summary\n"
    "\n"
    "Phases:\n";

#define MAX_STATS 12

typedef struct phase_report {
    const char *status; /* "ok", "findings", "skipped", "error", "crashed" (a plugin died), "n/a" (nothing to run on this host) */
    char summary[512];
    double seconds;
    int n_stats;
    const char *stat_name[MAX_STATS];
    int64_t stat[MAX_STATS];
} phase_report;

typedef struct vfinding {
    char signature[FASV_SIG_LEN];
    fasv_prop kind;
    char device[FASV_DEVICE_NAME_MAX];
    char detail[FASV_DETAIL_LEN];
    const char *phase; /* the phase that found it first */
    char also[64];     /* other phases that found it too */
    fasv_case found;
    char found_path[1024], reduced_path[1024];
    char scenario_path[1024]; /* scenarios phase: the (reduced) scenario that reaches the node */
    char original_size[160], reduced_size[160];
    int reduced_ok;
} vfinding;

typedef struct verify_ctx {
    const fasv_target *target;
    const char *out_dir;
    double budget, t0;
    uint64_t seed;
    int jobs;
    unsigned sweep_types; /* K/V types the sweep covers (0 = all) */
    volatile sig_atomic_t *stop;
    vfinding *f;
    int nf, capf;
    const char *phase; /* the phase running */
} verify_ctx;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void stat_add(phase_report *r, const char *name, int64_t v) {
    if (r->n_stats < MAX_STATS) {
        r->stat_name[r->n_stats] = name;
        r->stat[r->n_stats++] = v;
    }
}

/* Every phase reports its findings here (deduplicated by signature). Returns
 * the new entry, or NULL for a signature already reported. */
static vfinding *verify_add_finding(verify_ctx *x, const char *signature, fasv_prop kind, const char *device,
                                    const char *detail, const fasv_case *c) {
    for (int i = 0; i < x->nf; i++)
        if (strcmp(x->f[i].signature, signature) == 0) {
            vfinding *v = &x->f[i];
            if (!strstr(v->also, x->phase) && strcmp(v->phase, x->phase) != 0)
                snprintf(v->also + strlen(v->also), sizeof v->also - strlen(v->also), "%s%s", v->also[0] ? "," : "",
                         x->phase);
            return NULL;
        }
    if (x->nf == x->capf) {
        int cap = x->capf ? 2 * x->capf : 16;
        vfinding *nf = realloc(x->f, (size_t)cap * sizeof *nf);
        if (!nf) return NULL;
        x->f = nf;
        x->capf = cap;
    }
    vfinding *v = &x->f[x->nf++];
    memset(v, 0, sizeof *v);
    snprintf(v->signature, sizeof v->signature, "%s", signature);
    v->kind = kind;
    snprintf(v->device, sizeof v->device, "%s", device);
    snprintf(v->detail, sizeof v->detail, "%s", detail);
    v->phase = x->phase;
    v->found = *c;
    return v;
}

/* ---- phases ---------------------------------------------------------------- */

/* The sweep (kernels/sweep.c): every shape class on every device, through
 * the target; its violations are findings, and it writes the route map:
 * routes.html (one grid per device), sweep.json and sweep.txt. */
static int phase_sweep(verify_ctx *x, phase_report *r) {
    fasv_sweep_opts so;
    memset(&so, 0, sizeof so);
    so.type_mask = x->sweep_types;
    so.threads = x->jobs;
    so.progress = 1;
    fasv_sweep_result res;
    int rc = fasv_sweep_run(x->target, &so, &res);
    if (rc < 0) {
        r->status = "error";
        snprintf(r->summary, sizeof r->summary, "sweep failed: %.400s", res.error);
        fasv_sweep_free(&res);
        return -1;
    }
    static const char *files[] = {"routes.html", "sweep.json", "sweep.txt"};
    int written = 0;
    for (int i = 0; i < 3; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", x->out_dir, files[i]);
        FILE *f = fopen(path, "w");
        if (!f) continue;
        if (i == 0) fasv_sweep_write_map(f, &res);
        if (i == 1) fasv_sweep_write_json(f, &res);
        if (i == 2) fasv_sweep_print(f, &res, 20);
        written += fclose(f) == 0;
    }
    fasv_case *c = malloc(sizeof *c);
    for (int i = 0; c && i < res.n_viol; i++) {
        const fasv_sweep_violation *v = &res.viol[i];
        fasv_case_init(c);
        c->node = v->node;
        verify_add_finding(x, v->finding.signature, v->finding.kind, v->finding.device->name, v->finding.detail, c);
    }
    free(c);
    r->status = res.violations ? "findings" : "ok";
    snprintf(r->summary, sizeof r->summary,
             "%lld classes x %d devices: %lld clean, %lld outside the envelope, %lld violations; route map %s",
             (long long)res.classes, res.n_devices, (long long)res.clean, (long long)res.outside,
             (long long)res.violations, written == 3 ? "in routes.html" : "NOT fully written");
    stat_add(r, "classes", res.classes);
    stat_add(r, "checks", res.checks);
    stat_add(r, "clean", res.clean);
    stat_add(r, "outside", res.outside);
    stat_add(r, "violations", res.violations);
    fasv_sweep_free(&res);
    return written == 3 ? 0 : -1;
}

static int phase_fuzz(verify_ctx *x, phase_report *r) {
    double left = x->budget - (now_s() - x->t0);
    double reserve = fmax(1.0, 0.05 * x->budget); /* time for reduction and the report */
    double t = left - reserve;
    if (t < 0.5) {
        r->status = "skipped";
        snprintf(r->summary, sizeof r->summary, "not run: no time left in the budget");
        return 0;
    }
    fasv_fuzz_opts o;
    memset(&o, 0, sizeof o);
    o.target = x->target;
    o.max_time = t;
    o.jobs = x->jobs;
    o.seed = x->seed;
    o.progress = stderr;
    o.progress_every = 10;
    o.stop = x->stop;
    fasv_fuzz_result res;
    char err[512];
    /* a plugin runs inside fasv: fuzz it in a child, so a crash is a finding */
    int guarded = fasv_target_is_plugin(x->target);
    if ((guarded ? fasv_fuzz_guarded(&o, 10, &res, err, sizeof err) : fasv_fuzz_run(&o, &res, err, sizeof err)) != 0) {
        r->status = "error";
        snprintf(r->summary, sizeof r->summary, "%s", err);
        return -1;
    }
    for (int i = 0; i < res.n_found; i++) {
        const fasv_fuzz_find *f = &res.found[i];
        verify_add_finding(x, f->signature, f->kind, f->device, f->detail, &f->c);
    }
    r->status = res.n_found ? "findings" : "ok";
    snprintf(r->summary, sizeof r->summary, "%lld cases in %.1f s (%.0f/s), %d route classes, %d findings%s",
             (long long)res.execs, res.seconds, res.seconds > 0 ? (double)res.execs / res.seconds : 0.0, res.classes,
             res.n_found, res.stopped ? " (stopped early)" : "");
    stat_add(r, "cases", res.execs);
    stat_add(r, "classes", res.classes);
    stat_add(r, "findings", res.n_found);
    stat_add(r, "rejected", res.rejected);
    fasv_fuzz_result_free(&res);
    return 0;
}

/* KIND-HASH.scenario: the name of the finding's case file (reduce_all), ending in .scenario. */
static void scenario_file_name(const char *signature, fasv_prop kind, char *out, size_t len) {
    fasv_finding_file_name(signature, kind, out, len);
    char *dot = strstr(out, ".case");
    if (dot) snprintf(dot, len - (size_t)(dot - out), ".scenario");
}

/* Serving lifecycles (fasv_scenario): the scenarios of corpus/scenarios (when
 * that folder is here) on every modeled device, then random scenarios, for
 * at most a fifth of the budget. A lifecycle finding's node does not show the
 * finding alone (it routes, or is a plain NONE): its reproducer is the
 * scenario, reduced to a short event sequence and written next to the case. */
static void scenario_finding(verify_ctx *x, const fasv_scn_finding *f, const fasv_scenario *s,
                             const fasv_scn_opts *so, double deadline) {
    vfinding *v = verify_add_finding(x, f->f.signature, f->f.kind, f->at.device->name, f->f.detail, &f->node);
    if (!v) return;
    char dir[1100], name[128], err[512];
    snprintf(dir, sizeof dir, "%s/findings", x->out_dir);
    if (cli_mkdirs(dir) != 0) return;
    fasv_scenario red;
    int runs = 0, reduced = now_s() < deadline && fasv_scenario_reduce(s, so, f->f.signature, &red, &runs) == 0;
    scenario_file_name(f->f.signature, f->f.kind, name, sizeof name);
    cli_path(v->scenario_path, sizeof v->scenario_path, dir, name);
    if (fasv_scenario_save(reduced ? &red : s, v->scenario_path, err, sizeof err)) v->scenario_path[0] = 0;
    if (reduced) fasv_scenario_free(&red);
}

static int phase_scenarios(verify_ctx *x, phase_report *r) {
    double t0 = now_s(), left = x->budget - (t0 - x->t0);
    double share = fmin(0.2 * x->budget, left - fmax(1.0, 0.05 * x->budget));
    if (share < 0.5) {
        r->status = "skipped";
        snprintf(r->summary, sizeof r->summary, "not run: no time left in the budget");
        return 0;
    }
    double deadline = t0 + share;
    int64_t replays = 0, errors = 0;
    int before = x->nf, n_dev;
    const fasv_device *devs = fasv_devices(&n_dev);
    cli_files files = {0};
    struct stat sb;
    if (stat("corpus/scenarios", &sb) == 0 && S_ISDIR(sb.st_mode)) cli_collect("verify", "corpus/scenarios", ".scenario", &files);
    for (int i = 0; i < files.n && now_s() < deadline && !*x->stop; i++) {
        fasv_scenario s;
        char err[512];
        if (fasv_scenario_load(files.path[i], &s, err, sizeof err)) {
            fprintf(stderr, "fasv verify: %s\n", err);
            errors++;
            continue;
        }
        for (int d = 0; d < n_dev && now_s() < deadline; d++) {
            fasv_scn_opts so;
            memset(&so, 0, sizeof so);
            so.target = x->target;
            so.expand.device_override = &devs[d];
            fasv_scn_report rep;
            int rc = fasv_scenario_run(&s, &so, &rep);
            replays++;
            if (rc == 2) errors++;
            for (int k = 0; k < rep.n_findings; k++) scenario_finding(x, &rep.findings[k], &s, &so, deadline);
            fasv_scn_report_free(&rep);
        }
        fasv_scenario_free(&s);
    }
    cli_files_free(&files);
    fasv_scn_fuzz_result res;
    memset(&res, 0, sizeof res);
    double t = deadline - now_s();
    if (t > 0.2 && !*x->stop) {
        fasv_scn_fuzz_opts o;
        memset(&o, 0, sizeof o);
        o.target = x->target;
        o.max_time = t;
        o.seed = x->seed;
        o.reduce = true;
        o.stop = x->stop;
        char err[512];
        if (fasv_scenario_fuzz(&o, &res, err, sizeof err) == 0) {
            for (int k = 0; k < res.n_found; k++) {
                const fasv_scn_fuzz_find *ff = &res.found[k];
                vfinding *v = verify_add_finding(x, ff->finding.f.signature, ff->finding.f.kind,
                                                 ff->finding.at.device->name, ff->finding.f.detail, &ff->finding.node);
                if (!v) continue;
                char dir[1100], name[128];
                snprintf(dir, sizeof dir, "%s/findings", x->out_dir);
                scenario_file_name(ff->finding.f.signature, ff->finding.f.kind, name, sizeof name);
                cli_path(v->scenario_path, sizeof v->scenario_path, dir, name);
                if (cli_mkdirs(dir) != 0 ||
                    fasv_scenario_save(ff->reduced_ok ? &ff->reduced : &ff->found, v->scenario_path, err, sizeof err))
                    v->scenario_path[0] = 0;
            }
            errors += res.errors;
        }
    }
    int found = x->nf - before;
    r->status = errors ? "error" : found ? "findings" : "ok";
    snprintf(r->summary, sizeof r->summary,
             "%lld corpus replays (scenario x device), %lld random scenarios (%lld graphs) in %.1f s, %d findings%s",
             (long long)replays, (long long)res.runs, (long long)res.graphs, now_s() - t0, found,
             errors ? ", some scenarios could not be run" : "");
    stat_add(r, "corpus_replays", replays);
    stat_add(r, "random_scenarios", res.runs);
    stat_add(r, "findings", found);
    stat_add(r, "errors", errors);
    fasv_scn_fuzz_result_free(&res);
    return errors ? -1 : 0;
}

/* GPU findings become verify findings: route properties keep their kind,
 * a fault, hang or crash is CRASH, everything the oracle or the buffers
 * caught is NUMERICS. */
static void gpu_finding(void *ctx, const fasv_case *c, const fasv_gpu_result *r, const char *path, const char *sig) {
    verify_ctx *x = ctx;
    fasv_prop kind = FASV_PROP_NUMERICS;
    for (int p = 1; p < FASV_PROP_COUNT; p++)
        if (strcmp(r->kind, fasv_prop_name((fasv_prop)p)) == 0) kind = (fasv_prop)p;
    if (!strcmp(r->kind, "fault") || !strcmp(r->kind, "timeout") || !strcmp(r->kind, "crash") || !strcmp(r->kind, "hang"))
        kind = FASV_PROP_CRASH;
    char s[FASV_SIG_LEN], d[FASV_DETAIL_LEN];
    snprintf(s, sizeof s, "gpu/%s", sig);
    snprintf(d, sizeof d, "%.300s (reproducer %.180s)", r->detail, path);
    verify_add_finding(x, s, kind, r->model, d, c);
}

/* Differential GPU fuzzing against the oracle, one worker per GPU, for half
 * of the time left (the planner fuzzing takes the rest). Skipped, and said
 * so, where there is no GPU. */
static int phase_gpu(verify_ctx *x, phase_report *r) {
    int n = fasv_gpu_count_isolated(); /* never touch the GPU runtime before forking workers */
    if (n <= 0) {
        /* not a gap in the report: this host has nothing to run it on */
        r->status = "n/a";
        snprintf(r->summary, sizeof r->summary, "not applicable: no GPU (this build's GPU backend: %s)", fasv_gpu_backend());
        return 0;
    }
    double left = x->budget - (now_s() - x->t0);
    double t = 0.5 * (left - fmax(1.0, 0.05 * x->budget));
    if (t < 1.0) {
        r->status = "skipped";
        snprintf(r->summary, sizeof r->summary, "not run: no time left in the budget");
        return 0;
    }
    int gpus[64];
    if (n > 64) n = 64;
    for (int i = 0; i < n; i++) gpus[i] = i;
    char dir[1100], err[512];
    snprintf(dir, sizeof dir, "%s/gpu-findings", x->out_dir);
    cli_mkdirs(dir);
    fasv_gpu_fuzz_opts o;
    memset(&o, 0, sizeof o);
    o.gpus = gpus;
    o.n_gpus = n;
    o.seed = x->seed;
    o.max_time_s = t;
    o.findings_dir = dir;
    o.target = x->target;
    o.stop = (volatile int *)x->stop;
    o.on_finding = gpu_finding;
    o.ctx = x;
    fasv_gpu_fuzz_stats st;
    int rc = fasv_gpu_fuzz(&o, &st, err, sizeof err);
    if (rc == 2) {
        r->status = "error";
        snprintf(r->summary, sizeof r->summary, "%s", err);
        return -1;
    }
    r->status = st.findings ? "findings" : "ok";
    snprintf(r->summary, sizeof r->summary,
             "%lld cases on %d GPU(s) in %.1f s (%.1f/s): %lld passed, %lld outside the envelope, %lld findings (%lld unique)",
             (long long)st.cases, n, st.wall_s, st.wall_s > 0 ? st.cases / st.wall_s : 0.0, (long long)st.passed,
             (long long)st.skipped, (long long)st.findings, (long long)st.unique_findings);
    stat_add(r, "cases", st.cases);
    stat_add(r, "passed", st.passed);
    stat_add(r, "findings", st.findings);
    stat_add(r, "restarts", st.restarts);
    return 0;
}

typedef struct verify_phase {
    const char *name;
    const char *what;
    int (*run)(verify_ctx *x, phase_report *r);
} verify_phase;

static const verify_phase k_phases[] = {
    {"sweep", "the grid of the shape space on every device; writes the route map", phase_sweep},
    {"scenarios", "serving lifecycles: corpus/scenarios on every device, random scenarios", phase_scenarios},
    {"gpu", "differential GPU fuzzing against the oracle (half the time left; n/a without a GPU)", phase_gpu},
    {"fuzz", "structure-aware fuzzing for the rest of the budget", phase_fuzz},
};
#define N_PHASES ((int)(sizeof k_phases / sizeof k_phases[0]))

/* ---- isolation of plugin targets ------------------------------------------ */

/* A plugin runs inside this process, and may crash. For a plugin, a phase (and
 * the reduction) runs in a forked child, which hands its phase report and the
 * whole findings list back through a temporary file: the report's strings
 * point at static text, the same in both processes after fork. A child that
 * dies leaves the phase "crashed" (the fuzz phase isolates crashes per case
 * and writes their reproducers). Returns the phase function's result, or -1. */
static void reduce_all(verify_ctx *x);

static int isolated(verify_ctx *x, phase_report *r, int (*fn)(verify_ctx *, phase_report *)) {
    FILE *tf = tmpfile();
    if (!tf) return fn(x, r);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fclose(tf);
        return fn(x, r);
    }
    if (pid == 0) {
        int rc = fn(x, r);
        int ok = fwrite(&rc, sizeof rc, 1, tf) == 1 && fwrite(r, sizeof *r, 1, tf) == 1 &&
                 fwrite(&x->nf, sizeof x->nf, 1, tf) == 1 &&
                 (x->nf == 0 || fwrite(x->f, sizeof *x->f, (size_t)x->nf, tf) == (size_t)x->nf);
        ok &= fflush(tf) == 0;
        fflush(NULL);
        _exit(ok ? 0 : 3);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    int rc = -1, nf = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && fseek(tf, 0, SEEK_SET) == 0 &&
        fread(&rc, sizeof rc, 1, tf) == 1 && fread(r, sizeof *r, 1, tf) == 1 && fread(&nf, sizeof nf, 1, tf) == 1 &&
        nf >= x->nf) {
        vfinding *f = nf ? malloc((size_t)nf * sizeof *f) : NULL;
        if (nf == 0 || (f && fread(f, sizeof *f, (size_t)nf, tf) == (size_t)nf)) {
            free(x->f);
            x->f = f;
            x->nf = x->capf = nf;
            fclose(tf);
            return rc;
        }
        free(f);
    }
    fclose(tf);
    r->status = "crashed";
    if (WIFSIGNALED(status))
        snprintf(r->summary, sizeof r->summary,
                 "the target %s died with signal %d (%s) in this phase; the fuzz phase isolates crashes and writes "
                 "their reproducers",
                 x->target->name, WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(r->summary, sizeof r->summary, "the phase's child process failed (exit %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}

static int reduce_phase(verify_ctx *x, phase_report *r) {
    (void)r;
    reduce_all(x);
    return 0;
}

/* ---- reduction and the report ---------------------------------------------- */

static void reduce_all(verify_ctx *x) {
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/findings", x->out_dir);
    if (x->nf && cli_mkdirs(dir) != 0) {
        fprintf(stderr, "fasv verify: cannot create %s\n", dir);
        return;
    }
    fasv_reduce_result *rr = malloc(sizeof *rr);
    if (!rr) return;
    for (int i = 0; i < x->nf; i++) {
        vfinding *v = &x->f[i];
        char name[96], err[512];
        fasv_finding_file_name(v->signature, v->kind, name, sizeof name);
        char *text = fasv_case_to_string(&v->found);
        if (text) fasv_write_atomic(dir, name, text, v->found_path, sizeof v->found_path);
        free(text);
        if (v->kind == FASV_PROP_CRASH) continue; /* replaying it would crash this process again */
        const fasv_device *d = fasv_device_find(v->device);
        if (fasv_reduce(x->target, &v->found, d, rr, err, sizeof err) == 0 &&
            strcmp(rr->finding.signature, v->signature) == 0) {
            char *dot = strstr(name, ".case");
            if (dot) snprintf(dot, sizeof name - (size_t)(dot - name), ".reduced.case");
            text = fasv_case_to_string(&rr->reduced);
            if (text) fasv_write_atomic(dir, name, text, v->reduced_path, sizeof v->reduced_path);
            free(text);
            snprintf(v->original_size, sizeof v->original_size, "%s", rr->original_size);
            snprintf(v->reduced_size, sizeof v->reduced_size, "%s", rr->reduced_size);
            v->reduced_ok = 1;
        }
    }
    free(rr);
}

static void write_json(FILE *out, verify_ctx *x, phase_report *pr, double seconds, int complete) {
    fasv_json j;
    fasv_json_init(&j, out, 1);
    fasv_json_obj(&j);
    fasv_json_kstr(&j, "target", x->target->name);
    fasv_json_knum(&j, "time_budget", x->budget);
    fasv_json_knum(&j, "seconds", seconds);
    fasv_json_kint(&j, "seed", (int64_t)x->seed);
    fasv_json_kbool(&j, "complete", complete);
    fasv_json_key(&j, "phases");
    fasv_json_arr(&j);
    for (int i = 0; i < N_PHASES; i++) {
        fasv_json_obj(&j);
        fasv_json_kstr(&j, "name", k_phases[i].name);
        fasv_json_kstr(&j, "status", pr[i].status ? pr[i].status : "not reached");
        fasv_json_kstr(&j, "summary", pr[i].summary);
        fasv_json_knum(&j, "seconds", pr[i].seconds);
        for (int s = 0; s < pr[i].n_stats; s++) fasv_json_kint(&j, pr[i].stat_name[s], pr[i].stat[s]);
        fasv_json_end(&j);
    }
    fasv_json_end(&j);
    fasv_json_key(&j, "findings");
    fasv_json_arr(&j);
    for (int i = 0; i < x->nf; i++) {
        vfinding *v = &x->f[i];
        fasv_json_obj(&j);
        fasv_json_kstr(&j, "signature", v->signature);
        fasv_json_kstr(&j, "property", fasv_prop_name(v->kind));
        fasv_json_kstr(&j, "device", v->device);
        fasv_json_kstr(&j, "phase", v->phase);
        fasv_json_kstr(&j, "also_found_by", v->also);
        fasv_json_kstr(&j, "detail", v->detail);
        fasv_json_kstr(&j, "case", v->found_path);
        fasv_json_kstr(&j, "reduced", v->reduced_ok ? v->reduced_path : "");
        fasv_json_kstr(&j, "scenario", v->scenario_path);
        fasv_json_kstr(&j, "original_size", v->original_size);
        fasv_json_kstr(&j, "reduced_size", v->reduced_size);
        fasv_json_end(&j);
    }
    fasv_json_end(&j);
    fasv_json_end(&j);
    fasv_json_done(&j);
}

static void write_summary(FILE *f, verify_ctx *x, phase_report *pr, double seconds, int complete) {
    fprintf(f, "fasv verify report\n");
    fprintf(f, "target: %s\nbudget: %.0f s, used %.1f s, seed %llu\n", x->target->name, x->budget, seconds,
            (unsigned long long)x->seed);
    fprintf(f, "complete: %s\n\nphases:\n", complete ? "yes" : "NO (a phase was skipped or failed; see below)");
    for (int i = 0; i < N_PHASES; i++)
        fprintf(f, "  %-10s %-9s %5.1fs  %s\n", k_phases[i].name, pr[i].status ? pr[i].status : "not reached",
                pr[i].seconds, pr[i].summary);
    fprintf(f, "\nfindings: %d\n", x->nf);
    for (int i = 0; i < x->nf; i++) {
        vfinding *v = &x->f[i];
        fprintf(f, "\n%d. %s on %s (%s phase%s%s)\n   signature: %s\n   detail: %s\n", i + 1,
                fasv_prop_name(v->kind), v->device, v->phase, v->also[0] ? ", also " : "", v->also, v->signature,
                v->detail);
        if (v->original_size[0])
            fprintf(f, "   found:   %s\n           %s\n", v->found_path, v->original_size);
        else
            fprintf(f, "   found:   %s\n", v->found_path);
        if (v->kind == FASV_PROP_CRASH)
            fprintf(f, "   (a crash is not reduced in-process; replay it in isolation: fasv plan %s --planner LIB)\n",
                    v->found_path);
        else if (v->reduced_ok)
            fprintf(f, "   reduced: %s\n           %s\n   replay:  fasv replay %s\n", v->reduced_path, v->reduced_size,
                    v->reduced_path);
        else if (!v->scenario_path[0])
            fprintf(f, "   reduced: (reduction did not keep the signature)\n");
        if (v->scenario_path[0])
            fprintf(f, "   scenario: %s\n   replay:  fasv scenario --lenient --planner %s %s\n", v->scenario_path,
                    x->target->name, v->scenario_path);
    }
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

enum { O_TIME = 256, O_OUT, O_PLANNER, O_JOBS, O_SEED, O_PHASES, O_STYPES, O_JSON, O_HELP };
static const struct option k_opts[] = {
    {"time", 1, 0, O_TIME},     {"out", 1, 0, O_OUT},            {"planner", 1, 0, O_PLANNER},
    {"jobs", 1, 0, O_JOBS},     {"seed", 1, 0, O_SEED},          {"phases", 1, 0, O_PHASES},
    {"sweep-types", 1, 0, O_STYPES}, {"json", 0, 0, O_JSON},     {"help", 0, 0, O_HELP},
    {0, 0, 0, 0}};

/* "a,b,c" -> bit i set when k_phases[i].name is listed; -1 on an unknown name. */
static int parse_phases(const char *list, unsigned *out) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *out = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int found = -1;
        for (int i = 0; i < N_PHASES; i++)
            if (strcmp(tok, k_phases[i].name) == 0) found = i;
        if (found < 0) return -1;
        *out |= 1u << found;
    }
    return *out ? 0 : -1;
}

static int parse_types(const char *list, unsigned *out) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    *out = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        fasv_type t;
        if (fasv_type_parse(tok, &t) != 0) return -1;
        *out |= 1u << t;
    }
    return *out ? 0 : -1;
}

int cmd_verify(int argc, char **argv) {
    verify_ctx x;
    memset(&x, 0, sizeof x);
    x.budget = 60;
    x.out_dir = "fasv-report";
    x.seed = 1;
    x.jobs = 1;
    const char *planner = NULL;
    int json = 0;
    unsigned phases = ~0u;
    float t;
    int64_t v;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", k_opts, NULL)) != -1) {
        switch (c) {
        case 'h':
        case O_HELP:
            fputs(k_help, stdout);
            for (int i = 0; i < N_PHASES; i++) printf("  %-10s %s\n", k_phases[i].name, k_phases[i].what);
            fputs("\nExit 0 when nothing was found, 1 when something was, 2 on bad usage.\n", stdout);
            return FASV_EXIT_OK;
        case O_TIME:
            if (cli_f32("verify", "--time", optarg, &t)) return FASV_EXIT_USAGE;
            if (!(t > 0)) return cli_usage_error("verify", "--time: must be positive, got '%s'", optarg);
            x.budget = t;
            break;
        case O_OUT: x.out_dir = optarg; break;
        case O_PLANNER: planner = optarg; break;
        case O_JOBS:
            if (cli_i64("verify", "--jobs", optarg, &v)) return FASV_EXIT_USAGE;
            if (v < 1 || v > 256) return cli_usage_error("verify", "--jobs: must lie in [1, 256], got '%s'", optarg);
            x.jobs = (int)v;
            break;
        case O_SEED:
            if (cli_u64("verify", "--seed", optarg, &x.seed)) return FASV_EXIT_USAGE;
            break;
        case O_PHASES:
            if (parse_phases(optarg, &phases) != 0)
                return cli_usage_error("verify", "--phases: expected phase names from --help, got '%s'", optarg);
            break;
        case O_STYPES:
            if (parse_types(optarg, &x.sweep_types) != 0)
                return cli_usage_error("verify", "--sweep-types: expected types such as f16,q8_0, got '%s'", optarg);
            break;
        case O_JSON: json = 1; break;
        case ':': return cli_usage_error("verify", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("verify", "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("verify", "unexpected argument '%s' (see --help)", argv[optind]);
    char err[512];
    x.target = fasv_target_resolve(planner, err, sizeof err);
    if (!x.target) return cli_usage_error("verify", "%s", err);
    if (cli_mkdirs(x.out_dir) != 0) return cli_usage_error("verify", "%s: cannot create the report folder", x.out_dir);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    x.stop = &g_stop;

    phase_report pr[N_PHASES];
    memset(pr, 0, sizeof pr);
    x.t0 = now_s();
    int complete = 1, errors = 0;
    for (int i = 0; i < N_PHASES; i++) {
        if (g_stop) {
            complete = 0;
            break;
        }
        x.phase = k_phases[i].name;
        if (!(phases & (1u << i))) {
            pr[i].status = "skipped";
            snprintf(pr[i].summary, sizeof pr[i].summary, "not run: not in --phases");
            complete = 0;
            continue;
        }
        fprintf(stderr, "fasv verify: phase %s\n", x.phase);
        double p0 = now_s();
        /* a plugin may crash: every phase but fuzz (which guards each case itself) runs in a child */
        int isolate = fasv_target_is_plugin(x.target) && k_phases[i].run != phase_fuzz;
        if ((isolate ? isolated(&x, &pr[i], k_phases[i].run) : k_phases[i].run(&x, &pr[i])) != 0) errors++;
        pr[i].seconds = now_s() - p0;
        if (!pr[i].status || strcmp(pr[i].status, "skipped") == 0 || strcmp(pr[i].status, "error") == 0 ||
            strcmp(pr[i].status, "crashed") == 0)
            complete = 0;
        fprintf(stderr, "fasv verify: phase %s: %s: %s\n", x.phase, pr[i].status, pr[i].summary);
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (fasv_target_is_plugin(x.target)) {
        phase_report rr;
        memset(&rr, 0, sizeof rr);
        isolated(&x, &rr, reduce_phase);
    } else {
        reduce_all(&x);
    }
    double seconds = now_s() - x.t0;

    char path[1200];
    snprintf(path, sizeof path, "%s/report.json", x.out_dir);
    FILE *f = fopen(path, "w");
    if (f) {
        write_json(f, &x, pr, seconds, complete);
        fclose(f);
    } else {
        errors++;
    }
    snprintf(path, sizeof path, "%s/summary.txt", x.out_dir);
    f = fopen(path, "w");
    if (f) {
        write_summary(f, &x, pr, seconds, complete);
        fclose(f);
    } else {
        errors++;
    }
    if (json)
        write_json(stdout, &x, pr, seconds, complete);
    else
        write_summary(stdout, &x, pr, seconds, complete);
    fprintf(stderr, "fasv verify: report in %s/\n", x.out_dir);
    int status = errors ? FASV_EXIT_USAGE : x.nf ? FASV_EXIT_FINDING : FASV_EXIT_OK;
    free(x.f);
    return status;
}
