/* cmd_replay.c — `fasv replay`: corpus regression. Every case is checked
 * on every modeled device (CPU properties, always) and compared with the
 * known-failure ledger (fuzz/lib/fz_ledger.c). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fasv/json.h"
#include "fasv/oracle.h"
#include "fz_input.h"
#include "fz_ledger.h"
#include "fz_target.h"

static const char *k_help =
    "usage: fasv replay [--planner LIB] [--ledger FILE] [--device NAME] [--json] PATH...\n"
    "\n"
    "Replay regression cases: every *.case under each directory (files named\n"
    "directly may also be raw fuzzer inputs), each planned on every modeled\n"
    "device (or --device) and checked for totality, contract, determinism and\n"
    "well-formed routes.\n"
    "\n"
    "  --planner LIB  target: builtin (default), test:NAME, or a plugin library\n"
    "  --ledger FILE  known failures (TARGET CASE SIGNATURE REFERENCE REASON...):\n"
    "                 a listed finding is a known failure; a listed finding that\n"
    "                 no longer happens is an UNEXPECTED PASS and fails the run\n"
    "  --device NAME  one device only\n"
    "  --oracle       check the oracle's metamorphic relations on each case instead\n"
    "                 of routes; a broken relation is the finding oracle/RELATION of\n"
    "                 the target \"oracle\" (cases too large for the oracle are skipped)\n"
    "  --json         one JSON report on stdout\n"
    "\n"
    "GPU checks run where a GPU is present (not in this build: the GPU hook is\n"
    "reported as not built).\n"
    "Exit 0 when every case is clean or a known failure, 1 on a new failure or an\n"
    "unexpected pass, 2 on an unreadable or illegal case or bad usage.\n";

/* INTEGRATION POINT (GPU issue): run the case on a present GPU through the
 * kernel launcher and check numerics against the oracle (property 5),
 * returning findings like the CPU checks. This build has no GPU support. */
static const char *replay_gpu_status(void) { return "not built"; }

/* The second field of a signature is the device's architecture family. */
static int same_arch(const char *sig, const fasv_device *d, const fasv_node *n) {
    char mine[FASV_SIG_LEN];
    fasv_signature(FASV_PROP_OK, d, n, NULL, "", mine, sizeof mine);
    const char *a = strchr(sig, '/'), *b = strchr(mine, '/');
    if (!a || !b) return 0;
    const char *ae = strchr(a + 1, '/'), *be = strchr(b + 1, '/');
    return ae && be && ae - a == be - b && memcmp(a, b, (size_t)(ae - a)) == 0;
}

typedef struct tally {
    int cases, clean, known, failed, unexpected, bad, skipped;
} tally;

enum { O_PLANNER = 256, O_LEDGER, O_DEV, O_ORACLE, O_JSON, O_HELP };
static const struct option k_opts[] = {{"planner", 1, 0, O_PLANNER}, {"ledger", 1, 0, O_LEDGER},
                                       {"device", 1, 0, O_DEV},      {"oracle", 0, 0, O_ORACLE},
                                       {"json", 0, 0, O_JSON},       {"help", 0, 0, O_HELP},
                                       {0, 0, 0, 0}};

/* Ledger entries for (target, case) that nothing reproduced: each is an
 * unexpected pass (reported, and counted). */
static int unexpected_passes(fasv_ledger *led, const char *target, const char *path, const fasv_device *only,
                             const fasv_node *n, fasv_json *j) {
    char real[4096];
    int count = 0;
    if (!led || !fasv_ledger_names(led, target, path) || !realpath(path, real)) return 0;
    for (int i = 0; i < led->n; i++) {
        fasv_ledger_entry *e = &led->e[i];
        if (e->seen || strcmp(e->target, target) != 0 || strcmp(e->case_real, real) != 0) continue;
        if (only && !same_arch(e->signature, only, n)) continue; /* another device's entry */
        e->seen = 1;
        count++;
        if (j) {
            fasv_json_obj(j);
            fasv_json_kstr(j, "signature", e->signature);
            fasv_json_kstr(j, "reference", e->reference);
            fasv_json_kint(j, "ledger_line", e->line);
            fasv_json_end(j);
        } else {
            printf("%s: UNEXPECTED PASS: ledger line %d expects %s [%s]; the bug looks fixed: retire the entry\n",
                   path, e->line, e->signature, e->reference);
        }
    }
    return count;
}

/* Load a case that must be a legal node; on failure report it and return -1. */
static int load_legal(const char *path, fasv_case *c, fasv_json *j, tally *ty) {
    char err[640], why[512];
    int bad = 0;
    if (fasv_input_load(path, c, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        bad = 1;
    } else if (fasv_node_check(&c->node, why, sizeof why) != FASV_LEGAL) {
        snprintf(err, sizeof err, "%s: illegal node: %s", path, why);
        fprintf(stderr, "%s\n", err);
        bad = 1;
    }
    if (!bad) return 0;
    ty->bad++;
    if (j) {
        fasv_json_obj(j);
        fasv_json_kstr(j, "path", path);
        fasv_json_kstr(j, "verdict", "bad");
        fasv_json_kstr(j, "error", err);
        fasv_json_end(j);
    }
    return -1;
}

/* --oracle: the oracle's metamorphic relations instead of routes; a broken
 * relation is the finding "oracle/RELATION" of the target "oracle". Cases too
 * large for the oracle are skipped. */
/* 1 a relation is broken (sig "oracle/RELATION", why), 0 every relation
 * holds, -1 the case cannot be run (too large; why says). The relations'
 * choices come from seed 0, so a replay is reproducible. */
static int replay_oracle_check(const fasv_case *c, char *sig, size_t siglen, char *why, size_t whylen) {
    fasv_rng r;
    fasv_rng_seed(&r, 0);
    int rc = fasv_oracle_metamorphic(c, &r, why, whylen);
    if (rc == 1) {
        char name[64];
        fasv_oracle_relation_name(why, name, sizeof name);
        snprintf(sig, siglen, "oracle/%s", name);
    }
    return rc;
}

static void replay_one_oracle(const char *path, fasv_ledger *led, fasv_json *j, tally *ty) {
    fasv_case *c = malloc(sizeof *c);
    if (!c) return;
    ty->cases++;
    if (load_legal(path, c, j, ty) != 0) {
        free(c);
        return;
    }
    char sig[FASV_SIG_LEN], why[1024];
    int rc = replay_oracle_check(c, sig, sizeof sig, why, sizeof why);
    fasv_ledger_entry *e = rc == 1 && led ? fasv_ledger_match(led, "oracle", path, sig) : NULL;
    if (j) {
        fasv_json_obj(j);
        fasv_json_kstr(j, "path", path);
        fasv_json_key(j, "findings");
        fasv_json_arr(j);
        if (rc == 1) {
            fasv_json_obj(j);
            fasv_json_kstr(j, "property", "oracle");
            fasv_json_kstr(j, "signature", sig);
            fasv_json_kstr(j, "detail", why);
            fasv_json_kbool(j, "known", e != NULL);
            if (e) fasv_json_kstr(j, "reference", e->reference);
            fasv_json_end(j);
        }
        fasv_json_end(j);
        fasv_json_key(j, "unexpected_passes");
        fasv_json_arr(j);
    } else if (rc == 1 && e) {
        printf("%s: known failure: %s [%s] (ledger line %d)\n", path, sig, e->reference, e->line);
    } else if (rc == 1) {
        printf("%s: FAIL: %s\n  %s\n", path, sig, why);
    } else if (rc < 0) {
        printf("%s: skipped: %s\n", path, why);
    }
    int n_unexp = unexpected_passes(led, "oracle", path, NULL, &c->node, j);
    if (!j && rc == 0 && !n_unexp) printf("%s: clean (every metamorphic relation holds)\n", path);
    const char *verdict = rc == 1 && !e ? "fail" : n_unexp ? "unexpected-pass" : rc == 1 ? "known" : rc < 0 ? "skipped" : "clean";
    if (j) {
        fasv_json_end(j);
        fasv_json_kstr(j, "verdict", verdict);
        if (rc < 0) fasv_json_kstr(j, "skipped", why);
        fasv_json_end(j);
    }
    if (rc == 1 && !e) ty->failed++;
    else if (n_unexp) ty->unexpected++;
    else if (rc == 1) ty->known++;
    else if (rc < 0) ty->skipped++;
    else ty->clean++;
    free(c);
}

static void replay_one(const fasv_target *t, const char *path, fasv_ledger *led, const fasv_device *only,
                       fasv_json *j, tally *ty) {
    fasv_case *c = malloc(sizeof *c);
    if (!c) return;
    ty->cases++;
    if (load_legal(path, c, j, ty) != 0) {
        free(c);
        return;
    }
    int ndev, routed = 0, outside = 0, checked = 0, n_new = 0, n_known = 0, n_unexp = 0;
    const fasv_device *devs = fasv_devices(&ndev);
    if (j) {
        fasv_json_obj(j);
        fasv_json_kstr(j, "path", path);
        fasv_json_key(j, "findings");
        fasv_json_arr(j);
    }
    for (int i = 0; i < ndev; i++) {
        if (only && &devs[i] != only) continue;
        checked++;
        fasv_finding f;
        fasv_verdict v = fasv_check_route(t, &devs[i], &c->node, &f);
        if (v == FASV_OUTSIDE) outside++;
        if (v != FASV_VIOLATION) {
            if (v == FASV_CLEAN) routed++;
            continue;
        }
        fasv_ledger_entry *e = led ? fasv_ledger_match(led, t->name, path, f.signature) : NULL;
        if (e) {
            n_known++;
            if (!j) printf("%s: known failure on %s: %s [%s] (ledger line %d)\n", path, devs[i].name, f.signature,
                           e->reference, e->line);
        } else {
            n_new++;
            if (!j) {
                printf("%s: FAIL: %s on %s: %s\n  %s\n", path, fasv_prop_name(f.kind), devs[i].name, f.signature,
                       f.detail);
                fasv_explain(stdout, f.device, &c->node, &f.route);
            }
        }
        if (j) {
            fasv_json_obj(j);
            fasv_json_kstr(j, "device", devs[i].name);
            fasv_json_kstr(j, "property", fasv_prop_name(f.kind));
            fasv_json_kstr(j, "signature", f.signature);
            fasv_json_kstr(j, "detail", f.detail);
            fasv_json_kbool(j, "known", e != NULL);
            if (e) fasv_json_kstr(j, "reference", e->reference);
            fasv_json_end(j);
        }
    }
    if (j) {
        fasv_json_end(j);
        fasv_json_key(j, "unexpected_passes");
        fasv_json_arr(j);
    }
    n_unexp = unexpected_passes(led, t->name, path, only, &c->node, j);
    const char *verdict = n_new ? "fail" : n_unexp ? "unexpected-pass" : n_known ? "known" : "clean";
    if (j) {
        fasv_json_end(j);
        fasv_json_kstr(j, "verdict", verdict);
        fasv_json_kint(j, "devices", checked);
        fasv_json_kint(j, "routed", routed);
        fasv_json_kint(j, "outside", outside);
        fasv_json_kstr(j, "gpu", replay_gpu_status());
        fasv_json_end(j);
    } else if (!n_new && !n_unexp && !n_known) {
        printf("%s: clean (%d devices: %d routed, %d outside the envelope)\n", path, checked, routed, outside);
    }
    if (n_new) ty->failed++;
    else if (n_unexp) ty->unexpected++;
    else if (n_known) ty->known++;
    else ty->clean++;
    free(c);
}

int cmd_replay(int argc, char **argv) {
    const char *planner = NULL, *ledger_path = NULL, *dev_name = NULL;
    int json = 0, oracle = 0;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", k_opts, NULL)) != -1) {
        switch (c) {
        case 'h':
        case O_HELP: fputs(k_help, stdout); return FASV_EXIT_OK;
        case O_PLANNER: planner = optarg; break;
        case O_LEDGER: ledger_path = optarg; break;
        case O_DEV: dev_name = optarg; break;
        case O_ORACLE: oracle = 1; break;
        case O_JSON: json = 1; break;
        case ':': return cli_usage_error("replay", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("replay", "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind >= argc) return cli_usage_error("replay", "no cases given (see --help)");
    const fasv_device *only = NULL;
    if (dev_name && !(only = fasv_device_find(dev_name)))
        return cli_usage_error("replay", "--device: unknown device '%s' (see fasv devices)", dev_name);
    char err[640];
    const fasv_target *t = fasv_target_resolve(planner, err, sizeof err);
    if (!t) return cli_usage_error("replay", "%s", err);
    fasv_ledger led;
    if (ledger_path && fasv_ledger_load(ledger_path, &led, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return FASV_EXIT_USAGE;
    }
    cli_files files = {0};
    int status = FASV_EXIT_OK;
    for (int i = optind; i < argc; i++)
        if (cli_collect("replay", argv[i], ".case", &files) != 0) status = FASV_EXIT_USAGE;
    tally ty = {0};
    fasv_json j;
    if (json) {
        fasv_json_init(&j, stdout, 1);
        fasv_json_obj(&j);
        fasv_json_kstr(&j, "target", oracle ? "oracle" : t->name);
        if (ledger_path) fasv_json_kstr(&j, "ledger", ledger_path);
        fasv_json_key(&j, "cases");
        fasv_json_arr(&j);
    }
    for (int i = 0; i < files.n; i++) {
        if (oracle)
            replay_one_oracle(files.path[i], ledger_path ? &led : NULL, json ? &j : NULL, &ty);
        else
            replay_one(t, files.path[i], ledger_path ? &led : NULL, only, json ? &j : NULL, &ty);
    }
    if (json) {
        fasv_json_end(&j);
        fasv_json_key(&j, "summary");
        fasv_json_obj(&j);
        fasv_json_kint(&j, "cases", ty.cases);
        fasv_json_kint(&j, "clean", ty.clean);
        fasv_json_kint(&j, "known", ty.known);
        fasv_json_kint(&j, "failed", ty.failed);
        fasv_json_kint(&j, "unexpected_passes", ty.unexpected);
        fasv_json_kint(&j, "bad", ty.bad);
        fasv_json_kint(&j, "skipped", ty.skipped);
        fasv_json_end(&j);
        fasv_json_end(&j);
        fasv_json_done(&j);
    } else {
        printf("fasv replay: target %s: %d cases: %d clean, %d known failures, %d failing, %d unexpected passes, "
               "%d unreadable or illegal",
               oracle ? "oracle" : t->name, ty.cases, ty.clean, ty.known, ty.failed, ty.unexpected, ty.bad);
        if (oracle)
            printf(", %d too large for the oracle\n", ty.skipped);
        else
            printf(" (gpu checks: %s)\n", replay_gpu_status());
    }
    if (files.n == 0 && status == FASV_EXIT_OK) {
        fprintf(stderr, "fasv replay: no case files found\n");
        status = FASV_EXIT_USAGE;
    }
    if (ty.bad) status = FASV_EXIT_USAGE;
    else if ((ty.failed || ty.unexpected) && status == FASV_EXIT_OK) status = FASV_EXIT_FINDING;
    cli_files_free(&files);
    if (ledger_path) fasv_ledger_free(&led);
    return status;
}
