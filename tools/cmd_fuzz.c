/* cmd_fuzz.c — `fasv fuzz`: the built-in structure-aware fuzzer, for hosts
 * without clang. Options, signals and the summary; the run loop is
 * fasv_fuzz_run (fuzz/lib/fz_run.c). */
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fasv/plugin.h"
#include "fasv/gpucheck.h"
#include "fasv/json.h"
#include "fasv/scenario.h"
#include "fz_guard.h"
#include "fz_run.h"
#include "fz_target.h"

static const char *k_help =
    "usage: fasv fuzz [OPTIONS]\n"
    "\n"
    "Fuzz a route planner with structure-aware random cases: fresh legal cases\n"
    "from the generator and mutants of a corpus that keeps every case reaching a\n"
    "new route class (device, family, instance). Every case is planned on every\n"
    "modeled device and checked for totality, contract, determinism and\n"
    "well-formed routes. Each finding (one per signature) is written as a\n"
    "readable case file with its signature in a comment.\n"
    "\n"
    "  --planner LIB    target: builtin (default), test:NAME (below), or a plugin\n"
    "                   library (fasv/planner.h ABI; exit 2 when it cannot be loaded)\n"
    "  --max-time S     stop after S seconds\n"
    "  --runs N         stop after N cases\n"
    "                   (neither: run until Ctrl-C; SIGINT/SIGTERM stop cleanly and\n"
    "                   keep every file written)\n"
    "  --jobs N         worker threads (default 1; 1 is reproducible for a seed)\n"
    "  --seed N         random seed (default 1)\n"
    "  --corpus DIR     read seed inputs (case files, records, byte streams) and\n"
    "                   write new-class cases there as .case files\n"
    "  --artifacts DIR  where findings go (default fasv-findings)\n"
    "  --tiny           small cases only (as the oracle fuzzing uses)\n"
    "  --focus decode   lean the generator toward long-context decode (n_q = 1,\n"
    "                   512..32768 keys, mostly D 64/128/256 and f16/bf16/q8_0\n"
    "                   caches): the split-KV routes, rare in the general mix.\n"
    "                   With and without --gpu; not with --tiny or --scenarios\n"
    "  --json           print the summary as JSON on stdout\n"
    "  --quiet          no progress lines on stderr\n"
    "  --fork           check cases in a child process: a target that crashes or\n"
    "                   hangs (10 s without progress) becomes a 'crash' finding\n"
    "                   with the case that does it (confirmed in a fresh process),\n"
    "                   and fuzzing goes on in a new child. On by default for a\n"
    "                   plugin (it runs inside fasv); --no-fork turns it off\n"
    "  --hang-timeout S seconds without progress before --fork calls it a hang (10)\n"
    "  --scenarios      fuzz serving lifecycles instead of single nodes: random\n"
    "                   scenarios (model x server settings x requests, see\n"
    "                   fasv scenario --help) checked for the lifecycle property;\n"
    "                   each finding is reduced to a short event sequence and\n"
    "                   written as KIND-HASH.case (the node) and .scenario.\n"
    "                   Takes --planner (also test:lifecycle-NAME), --runs,\n"
    "                   --max-time, --seed, --artifacts, --json, --quiet\n"
    "  --gpu            differential GPU fuzzing on GPU 0 instead: random legal\n"
    "                   cases within a size budget, each run on the GPU with the\n"
    "                   built-in target and judged against the oracle as `fasv run`\n"
    "                   does; a fault or hang is isolated in a worker process,\n"
    "                   recorded with its reproducer (under --artifacts/gpu), and\n"
    "                   the GPU's health probed before going on. Takes --runs,\n"
    "                   --max-time, --seed, --focus, --artifacts, --json, --quiet.\n"
    "                   No GPU: exit 2.\n"
    "  --gpus LIST      the same with one worker per GPU (e.g. 0,1,2,3) over one\n"
    "                   shared stream of cases\n"
    "\n"
    "Test targets (planted holes, for checking the fuzzer itself):\n";

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) {
    (void)sig;
    g_stop = 1;
    /* a second Ctrl-C is not ignored */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

enum { O_PLANNER = 256, O_TIME, O_RUNS, O_JOBS, O_SEED, O_CORPUS, O_ART, O_TINY, O_JSON, O_QUIET, O_HELP, O_SCN, O_GPU, O_GPUS,
       O_FORK, O_NOFORK, O_HANG, O_FOCUS };
static const struct option k_opts[] = {
    {"planner", 1, 0, O_PLANNER}, {"max-time", 1, 0, O_TIME}, {"runs", 1, 0, O_RUNS},     {"jobs", 1, 0, O_JOBS},
    {"seed", 1, 0, O_SEED},       {"corpus", 1, 0, O_CORPUS}, {"artifacts", 1, 0, O_ART}, {"tiny", 0, 0, O_TINY},
    {"json", 0, 0, O_JSON},       {"quiet", 0, 0, O_QUIET},   {"help", 0, 0, O_HELP},     {"scenarios", 0, 0, O_SCN},
    {"gpu", 0, 0, O_GPU},         {"gpus", 1, 0, O_GPUS},     {"fork", 0, 0, O_FORK},     {"no-fork", 0, 0, O_NOFORK},
    {"hang-timeout", 1, 0, O_HANG}, {"focus", 1, 0, O_FOCUS}, {0, 0, 0, 0}};

/* `fasv fuzz --scenarios`: the loop is fasv_scenario_fuzz (scenario/scnfuzz.c). */
static int fuzz_scenarios(const char *planner, const fasv_fuzz_opts *fo, int json, int quiet) {
    char err[512];
    const fasv_target *t = fasv_target_resolve(planner, err, sizeof err);
    if (!t) return cli_usage_error("fuzz", "%s", err);
    fasv_scn_fuzz_opts o;
    memset(&o, 0, sizeof o);
    o.target = t;
    o.runs = fo->runs;
    o.max_time = fo->max_time;
    o.seed = fo->seed;
    o.reduce = true;
    o.artifacts_dir = fo->artifacts_dir;
    o.progress = quiet ? NULL : stderr;
    o.stop = &g_stop;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fasv_scn_fuzz_result res;
    int rc = fasv_scenario_fuzz(&o, &res, err, sizeof err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (rc != 0) return cli_usage_error("fuzz", "%s", err);
    double rate = res.seconds > 0 ? (double)res.runs / res.seconds : 0;
    if (json) {
        fasv_json j;
        fasv_json_init(&j, stdout, 1);
        fasv_json_obj(&j);
        fasv_json_kstr(&j, "mode", "scenarios");
        fasv_json_kstr(&j, "target", t->name);
        fasv_json_kint(&j, "seed", (int64_t)o.seed);
        fasv_json_kint(&j, "scenarios", res.runs);
        fasv_json_kint(&j, "graphs", res.graphs);
        fasv_json_kint(&j, "nodes", res.nodes);
        fasv_json_knum(&j, "seconds", res.seconds);
        fasv_json_knum(&j, "scenarios_per_s", rate);
        fasv_json_kint(&j, "errors", res.errors);
        fasv_json_key(&j, "findings");
        fasv_json_arr(&j);
        for (int i = 0; i < res.n_found; i++) {
            const fasv_scn_fuzz_find *x = &res.found[i];
            fasv_json_obj(&j);
            fasv_json_kstr(&j, "signature", x->finding.f.signature);
            fasv_json_kstr(&j, "property", fasv_prop_name(x->finding.f.kind));
            fasv_json_kstr(&j, "device", x->finding.at.device->name);
            fasv_json_kstr(&j, "detail", x->finding.f.detail);
            fasv_json_kstr(&j, "case", x->case_path);
            fasv_json_kstr(&j, "scenario", x->scenario_path);
            fasv_json_kint(&j, "reduced_events", x->reduced_ok ? x->reduced.n_ev : x->found.n_ev);
            fasv_json_kint(&j, "first", x->first_run);
            fasv_json_kint(&j, "scenarios_hit", x->runs_hit);
            fasv_json_end(&j);
        }
        fasv_json_end(&j);
        fasv_json_end(&j);
        fasv_json_done(&j);
    } else {
        printf("fasv fuzz --scenarios: target %s: %lld scenarios (%lld graphs, %lld nodes) in %.1f s (%.0f/s), "
               "%d findings\n",
               t->name, (long long)res.runs, (long long)res.graphs, (long long)res.nodes, res.seconds, rate,
               res.n_found);
        for (int i = 0; i < res.n_found; i++) {
            const fasv_scn_fuzz_find *x = &res.found[i];
            printf("  %s on %s: %s\n    node %s\n    scenario %s (%d events)  (%lld scenarios hit it)\n",
                   fasv_prop_name(x->finding.f.kind), x->finding.at.device->name, x->finding.f.signature,
                   x->case_path[0] ? x->case_path : "(not written)",
                   x->scenario_path[0] ? x->scenario_path : "(not written)",
                   x->reduced_ok ? x->reduced.n_ev : x->found.n_ev, (long long)x->runs_hit);
        }
    }
    if (res.errors)
        fprintf(stderr, "fasv fuzz --scenarios: warning: %d scenarios could not be run (a generator bug): %s\n",
                res.errors, res.first_error);
    int status = res.n_found ? FASV_EXIT_FINDING : FASV_EXIT_OK;
    fasv_scn_fuzz_result_free(&res);
    return status;
}

/* "0,1,3" -> ordinals; 0 or -1 after printing the error. */
static int parse_gpus(const char *s, int *out, int *n) {
    *n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 0 || v > 1023 || (*end && *end != ',') || *n >= 64) {
            cli_usage_error("fuzz", "--gpus: need a list of ordinals like 0,1,2, got '%s'", s);
            return -1;
        }
        out[(*n)++] = (int)v;
        p = *end ? end + 1 : end;
    }
    if (!*n) {
        cli_usage_error("fuzz", "--gpus: empty list");
        return -1;
    }
    return 0;
}

static int gpu_fuzz(const fasv_fuzz_opts *o, const int *gpus, int n, int json, int quiet) {
    char dir[1024], err[512];
    snprintf(dir, sizeof dir, "%s/gpu", o->artifacts_dir);
    if (cli_mkdirs(dir) != 0) return cli_usage_error("fuzz", "cannot create %s", dir);
    fasv_gpu_fuzz_opts g;
    memset(&g, 0, sizeof g);
    g.gpus = gpus;
    g.n_gpus = n;
    g.seed = o->seed;
    g.max_cases = o->runs;
    g.max_time_s = o->max_time;
    g.focus = o->mutate.rand.focus;
    g.findings_dir = dir;
    g.target = o->target;
    g.quiet = quiet;
    fasv_gpu_fuzz_stats st;
    int rc = fasv_gpu_fuzz(&g, &st, err, sizeof err);
    if (rc == 2) {
        fprintf(stderr, "fasv fuzz: %s\n", err);
        return FASV_EXIT_USAGE;
    }
    double rate = st.wall_s > 0 ? (double)st.cases / st.wall_s : 0;
    double busy = st.worker_s > 0 ? st.worker_s : 1;
    if (json) {
        fasv_json j;
        fasv_json_init(&j, stdout, 1);
        fasv_json_obj(&j);
        fasv_json_kstr(&j, "mode", "gpu");
        fasv_json_kint(&j, "seed", (int64_t)o->seed);
        fasv_json_kint(&j, "gpus", n);
        fasv_json_kint(&j, "cases", st.cases);
        fasv_json_kint(&j, "passed", st.passed);
        fasv_json_kint(&j, "skipped", st.skipped);
        fasv_json_kint(&j, "errors", st.errors);
        fasv_json_kint(&j, "findings", st.findings);
        fasv_json_kint(&j, "unique_findings", st.unique_findings);
        fasv_json_kint(&j, "restarts", st.restarts);
        fasv_json_knum(&j, "seconds", st.wall_s);
        fasv_json_knum(&j, "cases_per_s", rate);
        fasv_json_knum(&j, "share_oracle", st.oracle_s / busy);
        fasv_json_knum(&j, "share_kernel", st.kernel_s / busy);
        fasv_json_knum(&j, "share_generate", st.gen_s / busy);
        fasv_json_kstr(&j, "first_finding", st.first_finding);
        fasv_json_end(&j);
        fasv_json_done(&j);
    } else {
        printf("fasv fuzz --gpu: %lld cases in %.1f s (%.1f/s) on %d GPU(s): %lld passed, %lld outside the envelope, "
               "%lld not checked, %lld findings (%lld unique), %lld worker restarts\n",
               (long long)st.cases, st.wall_s, rate, n, (long long)st.passed, (long long)st.skipped,
               (long long)st.errors, (long long)st.findings, (long long)st.unique_findings, (long long)st.restarts);
        printf("  worker time: oracle %.0f%%, kernel launches %.1f%%, data generation %.0f%%\n", 100 * st.oracle_s / busy,
               100 * st.kernel_s / busy, 100 * st.gen_s / busy);
        if (st.first_finding[0]) printf("  first reproducer: %s\n", st.first_finding);
    }
    return rc == 1 ? FASV_EXIT_FINDING : FASV_EXIT_OK;
}

int cmd_fuzz(int argc, char **argv) {
    fasv_fuzz_opts o;
    memset(&o, 0, sizeof o);
    o.jobs = 1;
    o.seed = 1;
    o.artifacts_dir = "fasv-findings";
    const char *planner = NULL;
    int json = 0, quiet = 0, scenarios = 0, gpus[64], n_gpus = 0, fork_mode = -1; /* -1: for plugins */
    double hang_s = 10;
    int64_t v;
    float t;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", k_opts, NULL)) != -1) {
        switch (c) {
        case 'h':
        case O_HELP:
            fputs(k_help, stdout);
            fasv_test_targets_print(stdout);
            fputs("\nExit 0 when nothing was found, 1 when something was, 2 on bad usage or a\n"
                  "target that cannot be loaded.\n",
                  stdout);
            return FASV_EXIT_OK;
        case O_PLANNER: planner = optarg; break;
        case O_TIME:
            if (cli_f32("fuzz", "--max-time", optarg, &t)) return FASV_EXIT_USAGE;
            if (!(t > 0)) return cli_usage_error("fuzz", "--max-time: must be positive, got '%s'", optarg);
            o.max_time = t;
            break;
        case O_RUNS:
            if (cli_i64("fuzz", "--runs", optarg, &v)) return FASV_EXIT_USAGE;
            if (v < 1) return cli_usage_error("fuzz", "--runs: must be at least 1, got '%s'", optarg);
            o.runs = v;
            break;
        case O_JOBS:
            if (cli_i64("fuzz", "--jobs", optarg, &v)) return FASV_EXIT_USAGE;
            if (v < 1 || v > 256) return cli_usage_error("fuzz", "--jobs: must lie in [1, 256], got '%s'", optarg);
            o.jobs = (int)v;
            break;
        case O_SEED:
            if (cli_u64("fuzz", "--seed", optarg, &o.seed)) return FASV_EXIT_USAGE;
            break;
        case O_CORPUS: o.corpus_dir = optarg; break;
        case O_ART: o.artifacts_dir = optarg; break;
        case O_TINY: o.mutate.rand.tiny = true; break;
        case O_JSON: json = 1; break;
        case O_QUIET: quiet = 1; break;
        case O_FORK: fork_mode = 1; break;
        case O_NOFORK: fork_mode = 0; break;
        case O_HANG:
            if (cli_f32("fuzz", "--hang-timeout", optarg, &t)) return FASV_EXIT_USAGE;
            if (!(t > 0)) return cli_usage_error("fuzz", "--hang-timeout: must be positive, got '%s'", optarg);
            hang_s = t;
            break;
        case O_SCN: scenarios = 1; break;
        case O_FOCUS:
            if (!strcmp(optarg, "decode")) o.mutate.rand.focus = FASV_FOCUS_DECODE;
            else if (!strcmp(optarg, "none")) o.mutate.rand.focus = FASV_FOCUS_NONE;
            else return cli_usage_error("fuzz", "--focus: 'decode' or 'none', got '%s'", optarg);
            break;
        case O_GPU:
            gpus[0] = 0;
            n_gpus = 1;
            break;
        case O_GPUS:
            if (parse_gpus(optarg, gpus, &n_gpus)) return FASV_EXIT_USAGE;
            break;
        case ':': return cli_usage_error("fuzz", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("fuzz", "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("fuzz", "unexpected argument '%s' (see --help)", argv[optind]);
    if (o.mutate.rand.focus && (scenarios || o.mutate.rand.tiny))
        return cli_usage_error("fuzz", "--focus shapes single-node cases: not with --scenarios or --tiny");
    if (scenarios) {
        if (o.corpus_dir || o.mutate.rand.tiny || o.jobs != 1)
            return cli_usage_error("fuzz", "--scenarios takes no --corpus, --tiny or --jobs");
        return fuzz_scenarios(planner, &o, json, quiet);
    }
    char err[512];
    o.target = fasv_target_resolve(planner, err, sizeof err);
    if (!o.target) return cli_usage_error("fuzz", "%s", err);
    o.progress = quiet ? NULL : stderr;
    o.stop = &g_stop;
    if (n_gpus) {
        if (scenarios || o.corpus_dir || o.mutate.rand.tiny || o.jobs != 1)
            return cli_usage_error("fuzz", "--gpu/--gpus take no --scenarios, --corpus, --tiny or --jobs");
        return gpu_fuzz(&o, gpus, n_gpus, json, quiet);
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    fasv_fuzz_result res;
    if (fork_mode < 0) fork_mode = fasv_target_is_plugin(o.target);
    int rc = fork_mode ? fasv_fuzz_guarded(&o, hang_s, &res, err, sizeof err) : fasv_fuzz_run(&o, &res, err, sizeof err);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (rc != 0) return cli_usage_error("fuzz", "%s", err);

    double rate = res.seconds > 0 ? (double)res.execs / res.seconds : 0;
    if (json) {
        fasv_json j;
        fasv_json_init(&j, stdout, 1);
        fasv_json_obj(&j);
        fasv_json_kstr(&j, "target", o.target->name);
        fasv_json_kint(&j, "seed", (int64_t)o.seed);
        fasv_json_kint(&j, "jobs", o.jobs);
        fasv_json_kint(&j, "execs", res.execs);
        fasv_json_knum(&j, "seconds", res.seconds);
        fasv_json_knum(&j, "execs_per_s", rate);
        fasv_json_kint(&j, "classes", res.classes);
        fasv_json_kint(&j, "corpus_loaded", res.corpus_loaded);
        fasv_json_kint(&j, "corpus_size", res.corpus_size);
        fasv_json_kint(&j, "rejected", res.rejected);
        fasv_json_kint(&j, "write_errors", res.write_errors);
        fasv_json_kbool(&j, "stopped", res.stopped);
        fasv_json_key(&j, "findings");
        fasv_json_arr(&j);
        for (int i = 0; i < res.n_found; i++) {
            const fasv_fuzz_find *x = &res.found[i];
            fasv_json_obj(&j);
            fasv_json_kstr(&j, "signature", x->signature);
            fasv_json_kstr(&j, "property", fasv_prop_name(x->kind));
            fasv_json_kstr(&j, "device", x->device);
            fasv_json_kstr(&j, "detail", x->detail);
            fasv_json_kstr(&j, "path", x->path);
            fasv_json_kint(&j, "hits", x->hits);
            fasv_json_kint(&j, "first", x->first);
            fasv_json_end(&j);
        }
        fasv_json_end(&j);
        fasv_json_end(&j);
        fasv_json_done(&j);
    } else {
        printf("fasv fuzz: target %s: %lld cases in %.1f s (%.0f/s, each on every device), %d route classes, "
               "%d findings%s\n",
               o.target->name, (long long)res.execs, res.seconds, rate, res.classes, res.n_found,
               res.stopped ? " (stopped)" : "");
        for (int i = 0; i < res.n_found; i++) {
            const fasv_fuzz_find *x = &res.found[i];
            printf("  %s on %s: %s\n    %s  (%lld hits)\n", fasv_prop_name(x->kind), x->device, x->signature,
                   x->path[0] ? x->path : "(not written)", (long long)x->hits);
        }
    }
    if (res.rejected) fprintf(stderr, "fasv fuzz: warning: %lld generated cases were illegal (a mutator bug)\n",
                              (long long)res.rejected);
    if (res.write_errors) fprintf(stderr, "fasv fuzz: warning: %d files could not be written\n", res.write_errors);
    int status = res.n_found ? FASV_EXIT_FINDING : FASV_EXIT_OK;
    fasv_fuzz_result_free(&res);
    return status;
}
