/* cmd_plan.c — `fasv plan`: the built-in planner's route for a case on each
 * device, checked with properties 1-3 (fasv_check_route), with the
 * diagnostic block on every NONE inside the envelope. */
#include <string.h>

#include "cli.h"
#include "fasv/case.h"
#include "fasv/json.h"
#include "fasv/props.h"
#include "fasv/target.h"
#include "kernels/report.h"

static const char *k_help =
    "usage: fasv plan [--device NAME[,NAME...]|all] [--planner LIB] [--json] CASE|DIR...\n"
    "\n"
    "Print the planner's route for each case on each device: family,\n"
    "instance key, column split (ncols1 x ncols2), kv_tile, KV splits, threads,\n"
    "shared memory, scratch bytes, effective K/V types and the reason. Each route\n"
    "is checked: the instance exists and its kernel's preconditions accept the\n"
    "node (contract), and planning twice gives the same route (determinism).\n"
    "\n"
    "  --device D   a device name, a comma-separated list, or all; default: the\n"
    "               case's device, or all when the case names none\n"
    "  --planner LIB  plan with the plugin LIB (docs/plugins.md) instead of the\n"
    "               built-in planner; also $FASV_PLANNER\n"
    "  --json       print a JSON array instead\n"
    "\n"
    "Verdicts per device:\n"
    "  route                       inside the envelope, a route that keeps its contract\n"
    "  outside envelope: REASON    the target does not promise this node (not a finding)\n"
    "  VIOLATION ...               NONE inside the envelope, a broken contract, or a\n"
    "                              nondeterministic route; the diagnostic block follows\n"
    "Exit 0 when no device has a violation (outside-envelope answers included),\n"
    "1 on any violation, 2 on bad usage or an unreadable or illegal case.\n";

static int parse_devices(const char *arg, const fasv_device **out, int *n, int max) {
    *n = 0;
    if (strcmp(arg, "all") == 0) {
        int cnt;
        const fasv_device *d = fasv_devices(&cnt);
        for (int i = 0; i < cnt && *n < max; i++) out[(*n)++] = &d[i];
        return 0;
    }
    char buf[512];
    snprintf(buf, sizeof buf, "%s", arg);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const fasv_device *d = fasv_device_find(tok);
        if (!d) return cli_usage_error("plan", "--device: unknown device '%s' (see fasv devices)", tok);
        if (*n < max) out[(*n)++] = d;
    }
    if (*n == 0) return cli_usage_error("plan", "--device: no device named");
    return 0;
}

static const char *eff(int t) { return t >= 0 && t < FASV_TYPE_COUNT ? fasv_type_name((fasv_type)t) : "?"; }

int cmd_plan(int argc, char **argv) {
    enum { MAXDEV = 64 };
    const fasv_device *sel[MAXDEV];
    int nsel = 0, json = 0;
    const char *planner = NULL;
    cli_files files = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(k_help, stdout);
            cli_files_free(&files);
            return FASV_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--planner") == 0) {
            if (i + 1 >= argc) {
                cli_files_free(&files);
                return cli_usage_error("plan", "--planner needs a value");
            }
            planner = argv[++i];
        } else if (strcmp(argv[i], "--device") == 0) {
            if (i + 1 >= argc) {
                cli_files_free(&files);
                return cli_usage_error("plan", "--device needs a value");
            }
            if (parse_devices(argv[++i], sel, &nsel, MAXDEV)) {
                cli_files_free(&files);
                return FASV_EXIT_USAGE;
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_files_free(&files);
            return cli_usage_error("plan", "unknown option '%s' (see --help)", argv[i]);
        } else if (cli_collect("plan", argv[i], ".case", &files) != 0) {
            cli_files_free(&files);
            return FASV_EXIT_USAGE;
        }
    }
    if (files.n == 0) {
        cli_files_free(&files);
        return cli_usage_error("plan", "no case file given (see --help)");
    }
    const fasv_target *t = cli_target("plan", planner);
    if (!t) {
        cli_files_free(&files);
        return FASV_EXIT_USAGE;
    }
    int status = FASV_EXIT_OK;
    fasv_json j;
    if (json) {
        fasv_json_init(&j, stdout, 1);
        fasv_json_arr(&j);
    }
    for (int fi = 0; fi < files.n; fi++) {
        const char *path = files.path[fi];
        fasv_case c;
        char err[512], why[256];
        if (fasv_case_load(path, &c, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            status = FASV_EXIT_USAGE;
            continue;
        }
        if (fasv_node_check(&c.node, why, sizeof why) != FASV_LEGAL) {
            fprintf(stderr, "%s: illegal node, nothing to plan: %s\n", path, why);
            status = FASV_EXIT_USAGE;
            continue;
        }
        const fasv_device *devs[MAXDEV];
        int nd = 0;
        if (nsel) {
            memcpy(devs, sel, sizeof(devs[0]) * (size_t)nsel);
            nd = nsel;
        } else if (c.device[0] && fasv_device_find(c.device)) {
            devs[nd++] = fasv_device_find(c.device);
        } else {
            parse_devices("all", devs, &nd, MAXDEV);
        }
        const fasv_node *n = &c.node;
        if (json) {
            fasv_json_obj(&j);
            fasv_json_kstr(&j, "path", path);
            fasv_json_key(&j, "node");
            fasv_json_node(&j, n);
            fasv_json_key(&j, "devices");
            fasv_json_arr(&j);
        } else {
            printf("%s: Dk=%lld Dv=%lld K=%s V=%s n_q=%lld n_kv=%lld heads=%lld/%lld (gqa %lld) seqs=%lld/%lld%s%s%s%s\n",
                   path, (long long)fasv_dk(n), (long long)fasv_dv(n), fasv_type_name(n->k.type),
                   fasv_type_name(n->v.type), (long long)fasv_nq(n), (long long)fasv_nkv(n), (long long)fasv_nhead(n),
                   (long long)fasv_nhead_kv(n), (long long)fasv_gqa(n), (long long)fasv_nseq(n),
                   (long long)fasv_nseq_kv(n), n->has_mask ? " mask" : "", n->has_sinks ? " sinks" : "",
                   n->softcap > 0 ? " softcap" : "", n->prec == FASV_PREC_F32 ? " prec=f32" : "");
        }
        for (int di = 0; di < nd; di++) {
            const fasv_device *d = devs[di];
            fasv_finding f;
            fasv_verdict v = fasv_check_route(t, d, n, &f);
            if (v == FASV_VIOLATION) status = FASV_EXIT_FINDING;
            if (json) {
                fasv_json_obj(&j);
                fasv_json_kstr(&j, "device", d->name);
                fasv_json_kstr(&j, "verdict", v == FASV_CLEAN ? "route" : v == FASV_OUTSIDE ? "outside" : "violation");
                if (v == FASV_VIOLATION) {
                    fasv_json_kstr(&j, "property", fasv_prop_name(f.kind));
                    fasv_json_kstr(&j, "signature", f.signature);
                }
                if (v != FASV_CLEAN) fasv_json_kstr(&j, "detail", f.detail);
                fasv_json_key(&j, "route");
                fasv_json_route(&j, &f.route);
                fasv_json_end(&j);
                continue;
            }
            if (v == FASV_CLEAN) {
                char rb[512];
                fasv_route_format(&f.route, rb, sizeof rb);
                printf("  %-8s %s eff=%s,%s\n  %-8s   why: %s\n", d->name, rb, eff(f.route.eff_type_k),
                       eff(f.route.eff_type_v), "", f.route.reason);
            } else if (v == FASV_OUTSIDE) {
                printf("  %-8s %s\n", d->name, f.detail);
            } else {
                printf("  %-8s VIOLATION %s: %s\n", d->name, fasv_prop_name(f.kind), f.detail);
                printf("  %-8s   signature %s\n", "", f.signature);
                fasv_explain(stdout, d, n, &f.route);
            }
        }
        if (json) {
            fasv_json_end(&j);
            fasv_json_end(&j);
        }
    }
    if (json) {
        fasv_json_end(&j);
        fasv_json_done(&j);
    }
    cli_files_free(&files);
    return status;
}
