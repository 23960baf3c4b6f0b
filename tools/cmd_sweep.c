/* cmd_sweep.c — `fasv sweep`: properties 1-3 of the built-in target on a
 * representative of every shape class, on every device. The sweep itself is
 * kernels/sweep.c (fasv_sweep_run); this file parses options and prints. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fasv/plugin.h"
#include "fasv/target.h"
#include "kernels/probe.h"
#include "kernels/sweep.h"

static const char *k_help =
    "usage: fasv sweep [--device NAME[,NAME...]|all] [--planner LIB] [--json FILE] [--map FILE]\n"
    "                  [--types T[,T...]] [--threads N] [--limit N] [--probe|--no-probe]\n"
    "                  [--no-progress]\n"
    "\n"
    "Enumerate the abstract shape space of the built-in planner — the product of\n"
    "the classes of every input it reads (head-size pair, K and V types, GQA\n"
    "ratio, n_q, n_kv, grid occupancy, K/V stride alignment, precision; mask\n"
    "kinds, flags and layouts vary across the classes) — build a representative\n"
    "node of every class and check properties 1-3 (totality, contract,\n"
    "determinism) on every device. docs/sweep.md explains the classes.\n"
    "\n"
    "Prints the number of classes, the route histogram per device and family,\n"
    "the instances used, the violations grouped by signature, and every\n"
    "violation (up to 10000 kept) with its class and detail.\n"
    "\n"
    "  --device D    a device name, a comma-separated list, or all (default all)\n"
    "  --json FILE   write the full result (histograms, route map, violations) as JSON\n"
    "  --map FILE    write the route map as a self-contained HTML page\n"
    "  --types LIST  restrict K and V to these types (default: all eight)\n"
    "  --threads N   worker threads (default: online CPUs, at most 8)\n"
    "  --limit N     violations printed with their diagnostic block (default 20;\n"
    "                0 = all); the others get one line each\n"
    "  --no-progress no progress line on stderr (shown after one second otherwise)\n"
    "  --planner LIB sweep the plugin LIB (docs/plugins.md) instead of the built-in\n"
    "                planner; also $FASV_PLANNER\n"
    "  --probe       after the class sweep, probe for the target's thresholds: scan\n"
    "                n_q, n_kv, GQA, KV heads, sequences, mask and row padding from a\n"
    "                grid of base nodes, bisect every route change to its exact\n"
    "                boundary and check boundary-1, boundary, boundary+1. On by\n"
    "                default for a plugin, whose thresholds the classes do not know;\n"
    "                --no-probe turns it off. docs/plugins.md says what it guarantees.\n"
    "\n"
    "Exit 0 when every class routes (or is outside the envelope), 1 on any\n"
    "violation, 2 on bad usage or an internal error.\n";

static int parse_devices(const char *arg, const fasv_device **out, int *n) {
    if (strcmp(arg, "all") == 0) {
        *n = 0;
        return 0;
    }
    char buf[512];
    snprintf(buf, sizeof buf, "%s", arg);
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const fasv_device *d = fasv_device_find(tok);
        if (!d) return cli_usage_error("sweep", "--device: unknown device '%s' (see fasv devices)", tok);
        if (*n < FASV_SWEEP_MAX_DEVICES) out[(*n)++] = d;
    }
    if (*n == 0) return cli_usage_error("sweep", "--device: no device named");
    return 0;
}

static int parse_types(const char *arg, unsigned *mask) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", arg);
    *mask = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        fasv_type t;
        if (fasv_type_parse(tok, &t) != 0)
            return cli_usage_error("sweep", "--types: unknown type '%s' (f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1)", tok);
        *mask |= 1u << t;
    }
    if (!*mask) return cli_usage_error("sweep", "--types: no type named");
    return 0;
}

int cmd_sweep(int argc, char **argv) {
    const fasv_device *devs[FASV_SWEEP_MAX_DEVICES];
    int ndev = 0;
    const char *json = NULL, *map = NULL;
    fasv_sweep_opts o;
    memset(&o, 0, sizeof o);
    o.progress = 1;
    int64_t limit = 20;
    const char *planner = NULL;
    int probe = -1; /* -1: on for plugins only */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(k_help, stdout);
            return FASV_EXIT_OK;
        } else if (strcmp(a, "--no-progress") == 0) {
            o.progress = 0;
            continue;
        } else if (strcmp(a, "--probe") == 0 || strcmp(a, "--no-probe") == 0) {
            probe = strcmp(a, "--probe") == 0;
            continue;
        }
        if (a[0] != '-') return cli_usage_error("sweep", "unexpected argument '%s' (see --help)", a);
        if (strcmp(a, "--device") && strcmp(a, "--json") && strcmp(a, "--map") && strcmp(a, "--types") &&
            strcmp(a, "--threads") && strcmp(a, "--limit") && strcmp(a, "--planner"))
            return cli_usage_error("sweep", "unknown option '%s' (see --help)", a);
        if (!v) return cli_usage_error("sweep", "%s needs a value", a);
        i++;
        if (strcmp(a, "--device") == 0) {
            if (parse_devices(v, devs, &ndev)) return FASV_EXIT_USAGE;
        } else if (strcmp(a, "--planner") == 0) {
            planner = v;
        } else if (strcmp(a, "--json") == 0) {
            json = v;
        } else if (strcmp(a, "--map") == 0) {
            map = v;
        } else if (strcmp(a, "--types") == 0) {
            if (parse_types(v, &o.type_mask)) return FASV_EXIT_USAGE;
        } else if (strcmp(a, "--threads") == 0) {
            int64_t t;
            if (cli_i64("sweep", a, v, &t)) return FASV_EXIT_USAGE;
            if (t < 1 || t > 64) return cli_usage_error("sweep", "--threads: expected 1..64, got %lld", (long long)t);
            o.threads = (int)t;
        } else {
            if (cli_i64("sweep", a, v, &limit)) return FASV_EXIT_USAGE;
            if (limit < 0) return cli_usage_error("sweep", "--limit: expected >= 0");
        }
    }
    if (ndev) {
        o.devices = devs;
        o.n_devices = ndev;
    }
    const fasv_target *target = cli_target("sweep", planner);
    if (!target) return FASV_EXIT_USAGE;
    if (probe < 0) probe = fasv_target_is_plugin(target);
    /* Open outputs first: a bad path is a usage error before minutes of work. */
    FILE *jf = NULL, *mf = NULL;
    if (json && !(jf = fopen(json, "w"))) return cli_usage_error("sweep", "--json: cannot write '%s'", json);
    if (map && !(mf = fopen(map, "w"))) {
        if (jf) fclose(jf);
        return cli_usage_error("sweep", "--map: cannot write '%s'", map);
    }
    fasv_sweep_result r;
    int rc = fasv_sweep_run(target, &o, &r);
    if (rc < 0) {
        fprintf(stderr, "fasv sweep: internal error: %s\n", r.error);
        fasv_sweep_free(&r);
        if (jf) fclose(jf);
        if (mf) fclose(mf);
        return FASV_EXIT_USAGE;
    }
    fasv_sweep_print(stdout, &r, (int)(limit > 1000000 ? 1000000 : limit));
    fasv_probe_result pr;
    int prc = 0;
    if (probe) {
        prc = fasv_probe_run(target, &o, &pr);
        fasv_probe_print(stdout, &pr, (int)(limit > 1000000 ? 1000000 : limit));
        if (prc < 0) fprintf(stderr, "fasv sweep: out of memory while probing\n");
    }
    if (jf) {
        fasv_sweep_write_json_probe(jf, &r, probe ? &pr : NULL);
        fclose(jf);
    }
    if (probe) fasv_probe_free(&pr);
    if (mf) {
        fasv_sweep_write_map(mf, &r);
        fclose(mf);
    }
    fasv_sweep_free(&r);
    if (prc < 0) return FASV_EXIT_USAGE;
    return rc || prc ? FASV_EXIT_FINDING : FASV_EXIT_OK;
}
