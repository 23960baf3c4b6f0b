/* cmd_scenario.c — `fasv scenario`: run serving-lifecycle scenarios against
 * a target and report (events, nodes checked, routes, findings), write each
 * finding's node as a .case and its shortest event sequence as a .scenario.
 * Options and printing only; the work is in fasv_scenario (scenario/). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fasv/json.h"
#include "fasv/scenario.h"
#include "fz_ledger.h"
#include "fz_target.h"

static const char *k_help =
    "usage: fasv scenario [OPTIONS] FILE|DIR...\n"
    "       fasv scenario --model NAME [SETTINGS] [--events \"E; E; ...\"] [OPTIONS]\n"
    "       fasv scenario --list-models [--json]\n"
    "\n"
    "Expand each serving scenario (a model, server settings and a sequence of\n"
    "requests; docs/scenarios.md) into the FLASH_ATTN_EXT nodes a llama.cpp-style\n"
    "server builds: the reserve graphs (prompt processing at full ubatch and full\n"
    "cache, token generation), then every compute graph of every event, per layer\n"
    "kind and per GPU shard. Check on every node: a node whose (part, layer kind,\n"
    "GPU) was supported at reserve routes at compute, within the scratch reserved\n"
    "at allocation (lifecycle); and totality, contract and determinism.\n"
    "Directories: every *.scenario below them.\n"
    "\n"
    "  --planner SPEC   target: builtin (default), test:NAME (fasv fuzz --help), or\n"
    "                   one of the lifecycle fixtures test:lifecycle-clean,\n"
    "                   test:lifecycle-hole-d256, test:lifecycle-scratch\n"
    "  --all-devices    replay each scenario once per modeled device (every GPU of\n"
    "                   the scenario replaced by that device)\n"
    "  --device NAME    replace every GPU of the scenario by this device\n"
    "  --lenient        cut events that do not fit (cache full, restore past the\n"
    "                   end, ...) instead of failing with FILE:LINE\n"
    "  --out DIR        write each finding's node (DIR/KIND-HASH.case, replay it with\n"
    "                   fasv plan) and its reduced scenario (DIR/KIND-HASH.scenario)\n"
    "  --no-reduce      do not reduce findings to a short event sequence\n"
    "  --ledger FILE    known failures (TARGET SCENARIO SIGNATURE REFERENCE REASON...,\n"
    "                   SCENARIO relative to the ledger's folder): a listed finding\n"
    "                   is a known failure; a listed one that no longer happens in\n"
    "                   a scenario that ran is an UNEXPECTED PASS and fails the run\n"
    "  --print-ledger   print a ledger line for every new finding (on stdout)\n"
    "  --json           print the reports as a JSON array\n"
    "\n"
    "Settings (build a scenario with --model, or override a file's):\n"
    "  --model NAME  --ctx N  --batch N  --ubatch N  --parallel N  --kv-unified yes|no\n"
    "  --ctk TYPE  --ctv TYPE  --kv-pad N  --mask-pad N  --swa-pad N  --swa-full\n"
    "  --spec none|mtp|draft  --draft N  --draft-model NAME  (--draft alone: the\n"
    "  model's MTP head)  --devices D1,D2,...  --split none|layer|tensor\n"
    "  --ratios R1,R2,... (alias --ts)  --events \"prefill 1807; decode 10; ...\"\n"
    "Without --events a scenario built from flags runs a standard lifecycle: a\n"
    "long prompt, decode (or draft rounds), a checkpoint restore (sliding-window\n"
    "models) or a prompt reuse, a short follow-up prompt, more decoding.\n"
    "\n"
    "Exit 0 when every scenario is clean (or shows only known failures), 1 on a\n"
    "new finding or an unexpected pass, 2 on bad usage or a scenario that cannot\n"
    "be read or applied (FILE:LINE: message).\n";

enum {
    O_PLANNER = 256, O_ALLDEV, O_DEVICE, O_LENIENT, O_OUT, O_NOREDUCE, O_JSON, O_LIST, O_HELP, O_LEDGER, O_PLEDGER,
    O_MODEL, O_CTX, O_BATCH, O_UBATCH, O_PAR, O_UNIFIED, O_CTK, O_CTV, O_KVPAD, O_MASKPAD, O_SWAPAD, O_SWAFULL,
    O_SPEC, O_DRAFT, O_DRAFTMODEL, O_DEVICES, O_SPLIT, O_RATIOS, O_EVENTS
};
static const struct option k_opts[] = {
    {"planner", 1, 0, O_PLANNER},   {"all-devices", 0, 0, O_ALLDEV}, {"device", 1, 0, O_DEVICE},
    {"lenient", 0, 0, O_LENIENT},   {"out", 1, 0, O_OUT},            {"no-reduce", 0, 0, O_NOREDUCE},
    {"json", 0, 0, O_JSON},         {"list-models", 0, 0, O_LIST},   {"help", 0, 0, O_HELP},
    {"model", 1, 0, O_MODEL},       {"ctx", 1, 0, O_CTX},            {"batch", 1, 0, O_BATCH},
    {"ubatch", 1, 0, O_UBATCH},     {"parallel", 1, 0, O_PAR},       {"kv-unified", 1, 0, O_UNIFIED},
    {"ctk", 1, 0, O_CTK},           {"ctv", 1, 0, O_CTV},            {"kv-pad", 1, 0, O_KVPAD},
    {"mask-pad", 1, 0, O_MASKPAD},  {"swa-pad", 1, 0, O_SWAPAD},     {"swa-full", 0, 0, O_SWAFULL},
    {"spec", 1, 0, O_SPEC},         {"draft", 1, 0, O_DRAFT},        {"draft-model", 1, 0, O_DRAFTMODEL},
    {"devices", 1, 0, O_DEVICES},   {"split", 1, 0, O_SPLIT},        {"ratios", 1, 0, O_RATIOS},
    {"ts", 1, 0, O_RATIOS},         {"events", 1, 0, O_EVENTS},      {"ledger", 1, 0, O_LEDGER},
    {"print-ledger", 0, 0, O_PLEDGER}, {0, 0, 0, 0}};

#define CMD "scenario"

/* Settings given on the command line: applied over a file's or the defaults. */
typedef struct overrides {
    const fasv_model *model;
    int64_t ctx, batch, ubatch, kv_pad, mask_pad, swa_pad;
    int parallel, unified, swa_full, draft; /* -1 / 0 = not given */
    int ctk, ctv;                           /* -1 = not given */
    int spec;                               /* -1 = not given */
    const fasv_model *draft_model;
    int n_dev;
    char device[FASV_SCN_MAX_DEVICES][FASV_DEVICE_NAME_MAX];
    int split; /* -1 */
    int n_ratio;
    int ratio[FASV_SCN_MAX_DEVICES];
    const char *events;
} overrides;

static int parse_list(const char *arg, char out[][FASV_DEVICE_NAME_MAX], int max, int *n) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", arg);
    *n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n == max) return -1;
        snprintf(out[(*n)++], FASV_DEVICE_NAME_MAX, "%s", t);
    }
    return *n ? 0 : -1;
}

/* The standard lifecycle of a scenario built from flags. */
static int default_events(fasv_scenario *s) {
    const fasv_scn_settings *st = &s->set;
    int64_t cap = st->kv_unified ? st->ctx : st->ctx / st->n_parallel;
    int64_t p = cap / 4 > 6000 ? 6000 : cap / 4;
    if (p < 8) p = cap > 2 ? cap / 2 : 1;
    int window = 0;
    for (int k = 0; k < s->model.n_kinds; k++)
        if (s->model.kind[k].window > window) window = s->model.kind[k].window;
    int64_t ub = st->ubatch < st->batch ? st->ubatch : st->batch;
    fasv_event e[8];
    int n = 0;
    memset(e, 0, sizeof e);
    e[n++] = (fasv_event){FASV_EV_PREFILL, p, 0, 1, 0, 0};
    if (st->spec != FASV_SPEC_NONE)
        e[n++] = (fasv_event){FASV_EV_DRAFT, st->draft, st->draft / 2, 8, 0, 0};
    else
        e[n++] = (fasv_event){FASV_EV_DECODE, 32, 0, 1, 0, 0};
    int64_t keep = p > 100 ? p - 100 : p / 2;
    if (window > 0 && !st->swa_full && keep > 0) {
        int64_t len = window + ub < keep ? window + ub : keep;
        e[n++] = (fasv_event){FASV_EV_RESTORE, keep - len, keep - 1, 1, 0, 0};
    } else {
        e[n++] = (fasv_event){FASV_EV_REUSE, keep, 0, 1, 0, 0};
    }
    e[n++] = (fasv_event){FASV_EV_PREFILL, 300, 0, 1, 0, 0};
    if (st->spec != FASV_SPEC_NONE)
        e[n++] = (fasv_event){FASV_EV_DRAFT, st->draft, st->draft, 4, 0, 0};
    else
        e[n++] = (fasv_event){FASV_EV_DECODE, 16, 0, 1, 0, 0};
    for (int i = 0; i < n; i++)
        if (fasv_scenario_add(s, e[i])) return -1;
    return 0;
}

static int apply_overrides(fasv_scenario *s, const overrides *ov, char *err, size_t len) {
    fasv_scn_settings *st = &s->set;
    if (ov->model) fasv_scenario_set_model(s, ov->model);
    if (ov->ctx) st->ctx = ov->ctx;
    if (ov->batch) st->batch = ov->batch;
    if (ov->ubatch) st->ubatch = ov->ubatch;
    if (ov->kv_pad) st->kv_pad = ov->kv_pad;
    if (ov->mask_pad) st->mask_pad = ov->mask_pad;
    if (ov->swa_pad) st->swa_pad = ov->swa_pad;
    if (ov->parallel) st->n_parallel = ov->parallel;
    if (ov->unified >= 0) st->kv_unified = ov->unified;
    if (ov->swa_full) st->swa_full = true;
    if (ov->ctk >= 0) st->type_k = (fasv_type)ov->ctk;
    if (ov->ctv >= 0) st->type_v = (fasv_type)ov->ctv;
    if (ov->spec >= 0) st->spec = (fasv_spec)ov->spec;
    if (ov->draft_model) {
        st->draft_model = ov->draft_model;
        if (ov->spec < 0) st->spec = FASV_SPEC_DRAFT;
    }
    if (ov->draft) {
        st->draft = ov->draft;
        if (ov->spec < 0 && !ov->draft_model) st->spec = FASV_SPEC_MTP;
    }
    if (st->spec == FASV_SPEC_NONE) st->draft = 0;
    if (ov->n_dev) {
        st->n_dev = ov->n_dev;
        for (int d = 0; d < ov->n_dev; d++) {
            const fasv_device *dv = fasv_device_find(ov->device[d]);
            if (!dv) {
                snprintf(err, len, "--devices: unknown device '%s' (see fasv devices)", ov->device[d]);
                return -1;
            }
            snprintf(st->device[d], sizeof st->device[d], "%s", dv->name);
            if (!ov->n_ratio) st->ratio[d] = 1;
        }
        if (ov->split < 0 && ov->n_dev > 1 && st->split == FASV_SPLIT_NONE) st->split = FASV_SPLIT_LAYER;
    }
    if (ov->split >= 0) st->split = (fasv_split_mode)ov->split;
    if (ov->n_ratio) {
        if (ov->n_ratio != st->n_dev) {
            snprintf(err, len, "--ratios: %d ratios for %d devices", ov->n_ratio, st->n_dev);
            return -1;
        }
        for (int d = 0; d < ov->n_ratio; d++) st->ratio[d] = ov->ratio[d];
    }
    if (ov->events) {
        s->n_ev = 0;
        char buf[8192];
        snprintf(buf, sizeof buf, "%s", ov->events);
        int idx = 0;
        for (char *save = NULL, *t = strtok_r(buf, ";\n", &save); t; t = strtok_r(NULL, ";\n", &save)) {
            while (*t == ' ') t++;
            if (!*t) continue;
            fasv_event e;
            char msg[300];
            idx++;
            if (fasv_event_parse(t, &e, msg, sizeof msg)) {
                snprintf(err, len, "--events: event %d '%s': %s", idx, t, msg);
                return -1;
            }
            if (fasv_scenario_add(s, e)) {
                snprintf(err, len, "--events: too many events");
                return -1;
            }
        }
    }
    return 0;
}

static void file_name(const fasv_scn_finding *f, const char *ext, char *out, size_t len) {
    uint64_t h = 1469598103934665603ull;
    for (const char *p = f->f.signature; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(out, len, "%s-%016llx%s", fasv_prop_name(f->f.kind), (unsigned long long)h, ext);
}

static const char *human(int64_t b, char *buf, size_t len) {
    if (b >= 1 << 20)
        snprintf(buf, len, "%.1f MiB", (double)b / (1 << 20));
    else if (b >= 1 << 10)
        snprintf(buf, len, "%.1f KiB", (double)b / (1 << 10));
    else
        snprintf(buf, len, "%lld B", (long long)b);
    return buf;
}

typedef struct opts {
    const fasv_target *target;
    const fasv_device *device; /* replace every GPU */
    int all_devices, lenient, reduce, json, print_ledger;
    const char *out;
    fasv_ledger *ledger;  /* known failures, or NULL */
    const char *path;     /* the scenario file being run (ledger matching), or NULL */
    int64_t known;        /* findings the ledger expected */
} opts;

/* Reproducers of one finding: the node, and the reduced scenario. */
typedef struct repro {
    char case_path[1100], scn_path[1100];
    fasv_scenario reduced;
    int reduced_ok, runs;
} repro;

static void make_repro(const opts *op, const fasv_scenario *s, const fasv_scn_opts *so, const fasv_scn_finding *f,
                       repro *rp) {
    memset(rp, 0, sizeof *rp);
    if (op->reduce &&
        fasv_scenario_reduce(s, so, f->f.signature, &rp->reduced, &rp->runs) == 0) {
        rp->reduced_ok = 1;
        char c[512];
        snprintf(c, sizeof c, "reduced from %s (%d events) in %d runs; finding: %s", s->name[0] ? s->name : "-",
                 s->n_ev, rp->runs, f->f.signature);
        size_t used = strlen(rp->reduced.comments);
        snprintf(rp->reduced.comments + used, sizeof rp->reduced.comments - used, "# %s\n", c);
    }
    if (!op->out) return;
    if (cli_mkdirs(op->out) != 0) {
        fprintf(stderr, "fasv scenario: %s: cannot create the directory\n", op->out);
        return;
    }
    char name[128], err[512];
    file_name(f, ".case", name, sizeof name);
    cli_path(rp->case_path, sizeof rp->case_path, op->out, name);
    if (fasv_case_save(&f->node, rp->case_path, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        rp->case_path[0] = 0;
    }
    file_name(f, ".scenario", name, sizeof name);
    cli_path(rp->scn_path, sizeof rp->scn_path, op->out, name);
    if (fasv_scenario_save(rp->reduced_ok ? &rp->reduced : s, rp->scn_path, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        rp->scn_path[0] = 0;
    }
}

static void print_events(FILE *out, const fasv_scenario *s) {
    for (int i = 0; i < s->n_ev; i++) {
        char ev[128];
        fasv_event_format(&s->ev[i], ev, sizeof ev);
        fprintf(out, "%s%s", i ? "; " : "", ev);
    }
}

static void print_finding(const opts *op, const fasv_scenario *s, const fasv_scn_finding *f, const repro *rp) {
    const fasv_scn_node *at = &f->at;
    printf("  FINDING %s on %s: %s\n", fasv_prop_name(f->f.kind), at->device->name, f->f.signature);
    printf("    detail: %s\n", f->f.detail);
    char ev[128] = "";
    if (at->event >= 0) fasv_event_format(&s->ev[at->event], ev, sizeof ev);
    if (at->phase == FASV_PHASE_RESERVE)
        printf("    first at: reserve graph %s of the %s", fasv_graph_name(at->graph), fasv_part_name(at->part));
    else if (s->ev[at->event].line > 0)
        printf("    first at: line %d '%s' (repetition %d, graph %d): %s graph of the %s", s->ev[at->event].line, ev,
               at->rep + 1, at->step + 1, fasv_graph_name(at->graph), fasv_part_name(at->part));
    else
        printf("    first at: event %d '%s' (repetition %d, graph %d): %s graph of the %s", at->event + 1, ev,
               at->rep + 1, at->step + 1, fasv_graph_name(at->graph), fasv_part_name(at->part));
    printf(", layer kind %s, GPU %d, n_q %lld, n_kv %lld\n", at->lk->name, at->shard, (long long)at->n_q,
           (long long)at->n_kv);
    printf("    nodes with this signature: %lld\n", (long long)f->hits);
    fasv_explain(stdout, at->device, &f->node.node, &f->f.route);
    if (rp->reduced_ok) {
        printf("    shortest event sequence (%d events, %d runs): ", rp->reduced.n_ev, rp->runs);
        print_events(stdout, &rp->reduced);
        printf("\n");
    }
    if (rp->case_path[0])
        printf("    node:     %s   (fasv replay --planner %s %s)\n", rp->case_path, op->target->name, rp->case_path);
    if (rp->scn_path[0])
        printf("    scenario: %s   (fasv scenario --lenient --planner %s %s)\n", rp->scn_path, op->target->name,
               rp->scn_path);
}

static void json_finding(fasv_json *j, const fasv_scenario *s, const fasv_scn_finding *f, const repro *rp) {
    const fasv_scn_node *at = &f->at;
    fasv_json_obj(j);
    fasv_json_kstr(j, "property", fasv_prop_name(f->f.kind));
    fasv_json_kstr(j, "signature", f->f.signature);
    fasv_json_kstr(j, "detail", f->f.detail);
    fasv_json_kstr(j, "device", at->device->name);
    fasv_json_kstr(j, "phase", fasv_phase_name(at->phase));
    fasv_json_kstr(j, "graph", fasv_graph_name(at->graph));
    fasv_json_kstr(j, "part", fasv_part_name(at->part));
    fasv_json_kstr(j, "layer_kind", at->lk->name);
    fasv_json_kint(j, "gpu", at->shard);
    fasv_json_kint(j, "event", at->event + 1);
    fasv_json_kint(j, "line", at->event >= 0 ? s->ev[at->event].line : 0);
    fasv_json_kint(j, "n_q", at->n_q);
    fasv_json_kint(j, "n_kv", at->n_kv);
    fasv_json_kint(j, "hits", f->hits);
    fasv_json_kstr(j, "route", f->f.route.family == FASV_FAM_NONE ? "none" : f->f.route.key);
    fasv_json_kstr(j, "reason", f->f.route.reason);
    fasv_json_kstr(j, "case", rp->case_path);
    fasv_json_kstr(j, "scenario", rp->scn_path);
    if (rp->reduced_ok) {
        fasv_json_key(j, "reduced_events");
        fasv_json_arr(j);
        for (int i = 0; i < rp->reduced.n_ev; i++) {
            char ev[128];
            fasv_event_format(&rp->reduced.ev[i], ev, sizeof ev);
            fasv_json_str(j, ev);
        }
        fasv_json_end(j);
    }
    fasv_json_end(j);
}

/* Run one scenario on one device choice; print; returns the exit status. */
static int run_one(opts *op, const fasv_scenario *s, const char *label, const fasv_device *dev, fasv_json *j) {
    fasv_scn_opts so;
    memset(&so, 0, sizeof so);
    so.target = op->target;
    so.expand.lenient = op->lenient;
    so.expand.device_override = dev;
    fasv_scn_report r;
    int rc = fasv_scenario_run(s, &so, &r);
    const fasv_scn_settings *st = &s->set;
    char devs[256] = "";
    for (int d = 0; d < st->n_dev; d++) {
        size_t l = strlen(devs);
        snprintf(devs + l, sizeof devs - l, "%s%s", d ? "," : "", dev ? dev->name : st->device[d]);
    }
    if (rc == 2) {
        int line = 0;
        const char *colon = strchr(r.error, ':');
        if (sscanf(r.error, "line %d:", &line) == 1 && colon)
            fprintf(stderr, "%s:%d:%s\n", label, line, colon + 1);
        else
            fprintf(stderr, "%s: %s\n", label, r.error);
        if (j) {
            fasv_json_obj(j);
            fasv_json_kstr(j, "scenario", label);
            fasv_json_kstr(j, "devices", devs);
            fasv_json_kstr(j, "verdict", "error");
            fasv_json_kstr(j, "error", r.error);
            fasv_json_end(j);
        }
        fasv_scn_report_free(&r);
        return FASV_EXIT_USAGE;
    }
    /* known failures (ledger) are reported but do not fail the run */
    int *known = r.n_findings ? calloc((size_t)r.n_findings, sizeof *known) : NULL;
    int fresh = 0;
    for (int i = 0; i < r.n_findings; i++) {
        if (known && op->ledger && op->path &&
            fasv_ledger_match(op->ledger, op->target->name, op->path, r.findings[i].f.signature)) {
            known[i] = 1;
            op->known++;
        } else {
            fresh++;
        }
    }
    if (op->print_ledger)
        for (int i = 0; i < r.n_findings; i++) {
            if (known && known[i]) continue;
            const char *base = strrchr(label, '/');
            char file[512];
            snprintf(file, sizeof file, "%s", base ? base + 1 : label);
            char *br = strstr(file, " [");
            if (br) *br = 0;
            char reason[FASV_DETAIL_LEN];
            snprintf(reason, sizeof reason, "%s", r.findings[i].f.detail);
            char *paren = strstr(reason, " (");
            if (paren) *paren = 0;
            printf("%s %s %s docs/scenarios.md#known-failures %s\n", op->target->name, file,
                   r.findings[i].f.signature, reason);
        }
    repro *rps = r.n_findings ? calloc((size_t)r.n_findings, sizeof *rps) : NULL;
    for (int i = 0; i < r.n_findings && rps; i++)
        if (!(known && known[i])) make_repro(op, s, &so, &r.findings[i], &rps[i]);
    if (j) {
        fasv_json_obj(j);
        fasv_json_kstr(j, "scenario", label);
        fasv_json_kstr(j, "model", s->model.name ? s->model.name : "?");
        fasv_json_kstr(j, "target", op->target->name);
        fasv_json_kstr(j, "devices", devs);
        fasv_json_kstr(j, "split", fasv_split_name(st->split));
        fasv_json_kstr(j, "verdict", fresh ? "findings" : rc ? "known failures" : "clean");
        fasv_json_kint(j, "known_failures", r.n_findings - fresh);
        fasv_json_kint(j, "events", r.st.events);
        fasv_json_kint(j, "graphs", r.st.graphs);
        fasv_json_kint(j, "skipped_events", r.st.skipped);
        fasv_json_kint(j, "reserve_nodes", r.reserve_nodes);
        fasv_json_kint(j, "compute_nodes", r.compute_nodes);
        fasv_json_kint(j, "distinct_nodes", r.checked);
        fasv_json_kint(j, "outside_envelope", r.outside);
        fasv_json_key(j, "scratch_reserved");
        fasv_json_arr(j);
        for (int d = 0; d < st->n_dev; d++) fasv_json_int(j, r.scratch[d]);
        fasv_json_end(j);
        fasv_json_key(j, "routes");
        fasv_json_obj(j);
        for (int i = 0; i < r.n_routes; i++) fasv_json_kint(j, r.routes[i].key, r.routes[i].count);
        fasv_json_end(j);
        fasv_json_key(j, "findings");
        fasv_json_arr(j);
        for (int i = 0; i < r.n_findings; i++) {
            json_finding(j, s, &r.findings[i], rps ? &rps[i] : &(repro){0});
        }
        fasv_json_end(j);
        fasv_json_end(j);
    } else {
        char ratios[128] = "";
        for (int d = 0; d < st->n_dev && st->n_dev > 1; d++) {
            size_t l = strlen(ratios);
            snprintf(ratios + l, sizeof ratios - l, "%s%d", d ? "," : " ", st->ratio[d]);
        }
        printf("%s: %s on %s (split %s%s), target %s\n", label, s->model.name ? s->model.name : "?", devs,
               fasv_split_name(st->split), ratios, op->target->name);
        printf("  reserve   %lld nodes; scratch reserved:", (long long)r.reserve_nodes);
        for (int d = 0; d < st->n_dev; d++) {
            char b[32];
            printf(" GPU%d %s", d, human(r.scratch[d], b, sizeof b));
        }
        printf("\n  events    %lld applied (%lld graphs%s), compute nodes %lld (%lld distinct, %lld outside the envelope)\n",
               (long long)r.st.events, (long long)r.st.graphs,
               r.st.skipped ? ", some cut short: --lenient" : "", (long long)r.compute_nodes, (long long)r.checked,
               (long long)r.outside);
        printf("  routes   ");
        int shown = 0;
        for (int i = 0; i < r.n_routes && shown < 4; i++, shown++)
            printf("%s%.0f%% %s", shown ? ", " : " ",
                   r.compute_nodes ? 100.0 * (double)r.routes[i].count / (double)r.compute_nodes : 0.0,
                   r.routes[i].key);
        if (r.n_routes > 4) printf(", ... (%d routes)", r.n_routes);
        printf("\n");
        for (int i = 0; i < r.n_findings; i++) {
            if (known && known[i])
                printf("  known failure on %s: %s\n", r.findings[i].at.device->name, r.findings[i].f.signature);
            else
                print_finding(op, s, &r.findings[i], rps ? &rps[i] : &(repro){0});
        }
        printf("  %s\n", fresh ? "FINDINGS" : rc ? "known failures only" : "clean");
    }
    if (rps)
        for (int i = 0; i < r.n_findings; i++) fasv_scenario_free(&rps[i].reduced);
    free(rps);
    free(known);
    fasv_scn_report_free(&r);
    return fresh ? FASV_EXIT_FINDING : FASV_EXIT_OK;
}

static int run_scenario(opts *op, const fasv_scenario *s, const char *label, fasv_json *j) {
    if (!op->all_devices) return run_one(op, s, label, op->device, j);
    int n, status = FASV_EXIT_OK;
    const fasv_device *d = fasv_devices(&n);
    for (int i = 0; i < n; i++) {
        char lab[1200];
        snprintf(lab, sizeof lab, "%s [%s]", label, d[i].name);
        int rc = run_one(op, s, lab, &d[i], j);
        if (rc > status) status = rc;
    }
    return status;
}

static int list_models(int json) {
    int n;
    const fasv_model *m = fasv_models(&n);
    fasv_json j;
    if (json) {
        fasv_json_init(&j, stdout, 1);
        fasv_json_arr(&j);
    }
    for (int i = 0; i < n; i++) {
        if (json) {
            fasv_json_obj(&j);
            fasv_json_kstr(&j, "name", m[i].name);
            fasv_json_kstr(&j, "title", m[i].title);
            fasv_json_kstr(&j, "source", m[i].source);
            fasv_json_kint(&j, "layers", m[i].n_layers);
            fasv_json_kstr(&j, "mtp", m[i].mtp == FASV_MTP_NONE ? "none" : m[i].mtp == FASV_MTP_OWN ? "own-cache" : "target-cache");
            for (int part = 0; part < 2; part++) {
                fasv_json_key(&j, part ? "mtp_kinds" : "kinds");
                fasv_json_arr(&j);
                const fasv_layer_kind *ks = part ? m[i].mtp_kind : m[i].kind;
                int nk = part ? m[i].n_mtp_kinds : m[i].n_kinds;
                for (int k = 0; k < nk; k++) {
                    fasv_json_obj(&j);
                    fasv_json_kstr(&j, "kind", ks[k].name);
                    fasv_json_kint(&j, "layers", ks[k].n_layers);
                    fasv_json_kint(&j, "window", ks[k].window);
                    fasv_json_kint(&j, "n_head", ks[k].n_head);
                    fasv_json_kint(&j, "n_head_kv", ks[k].n_head_kv);
                    fasv_json_kint(&j, "dk", ks[k].dk);
                    fasv_json_kint(&j, "dv", ks[k].dv);
                    fasv_json_kbool(&j, "v_is_k", ks[k].v_is_k);
                    fasv_json_kbool(&j, "sinks", ks[k].sinks);
                    fasv_json_knum(&j, "softcap", ks[k].softcap);
                    fasv_json_knum(&j, "max_bias", ks[k].max_bias);
                    fasv_json_end(&j);
                }
                fasv_json_end(&j);
            }
            fasv_json_end(&j);
            continue;
        }
        printf("%-18s %-34s %d layers\n", m[i].name, m[i].title, m[i].n_layers);
        for (int part = 0; part < 2; part++) {
            const fasv_layer_kind *ks = part ? m[i].mtp_kind : m[i].kind;
            int nk = part ? m[i].n_mtp_kinds : m[i].n_kinds;
            for (int k = 0; k < nk; k++) {
                const fasv_layer_kind *lk = &ks[k];
                printf("  %s%-8s x%-3d heads %3d/%-3d D %dx%d", part ? "mtp " : "", lk->name, lk->n_layers, lk->n_head,
                       lk->n_head_kv, lk->dk, lk->dv);
                if (lk->window) printf(" window %d", lk->window);
                if (lk->v_is_k) printf(" V=view of K");
                if (lk->sinks) printf(" sinks");
                if (lk->softcap != 0) printf(" softcap %g", (double)lk->softcap);
                if (lk->max_bias != 0) printf(" alibi %g", (double)lk->max_bias);
                printf("\n");
            }
        }
        if (m[i].mtp != FASV_MTP_NONE)
            printf("  MTP head: %s\n", m[i].mtp == FASV_MTP_OWN ? "own attention and cache" : "attends to the target's cache");
        printf("  source: %s\n", m[i].source);
    }
    if (json) {
        fasv_json_end(&j);
        fasv_json_done(&j);
    }
    return FASV_EXIT_OK;
}

int cmd_scenario(int argc, char **argv) {
    opts op;
    memset(&op, 0, sizeof op);
    op.reduce = 1;
    overrides ov;
    memset(&ov, 0, sizeof ov);
    ov.unified = ov.ctk = ov.ctv = ov.spec = ov.split = -1;
    const char *planner = NULL, *ledger_path = NULL;
    int list = 0;
    int64_t v;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", k_opts, NULL)) != -1) {
        switch (c) {
        case 'h':
        case O_HELP: fputs(k_help, stdout); return FASV_EXIT_OK;
        case O_PLANNER: planner = optarg; break;
        case O_ALLDEV: op.all_devices = 1; break;
        case O_DEVICE:
            op.device = fasv_device_find(optarg);
            if (!op.device) return cli_usage_error(CMD, "--device: unknown device '%s' (see fasv devices)", optarg);
            break;
        case O_LENIENT: op.lenient = 1; break;
        case O_OUT: op.out = optarg; break;
        case O_NOREDUCE: op.reduce = 0; break;
        case O_LEDGER: ledger_path = optarg; break;
        case O_PLEDGER: op.print_ledger = 1; break;
        case O_JSON: op.json = 1; break;
        case O_LIST: list = 1; break;
        case O_MODEL:
            ov.model = fasv_model_find(optarg);
            if (!ov.model) return cli_usage_error(CMD, "--model: unknown model '%s' (see --list-models)", optarg);
            break;
        case O_CTX:
        case O_BATCH:
        case O_UBATCH:
        case O_KVPAD:
        case O_MASKPAD:
        case O_SWAPAD:
        case O_PAR:
        case O_DRAFT: {
            const char *name = argv[optind - 1];
            if (cli_i64(CMD, name, optarg, &v)) return FASV_EXIT_USAGE;
            if (v < 1 || v > FASV_SCN_MAX_CTX) return cli_usage_error(CMD, "%s: out of range: '%s'", name, optarg);
            if (c == O_CTX) ov.ctx = v;
            if (c == O_BATCH) ov.batch = v;
            if (c == O_UBATCH) ov.ubatch = v;
            if (c == O_KVPAD) ov.kv_pad = v;
            if (c == O_MASKPAD) ov.mask_pad = v;
            if (c == O_SWAPAD) ov.swa_pad = v;
            if (c == O_PAR) ov.parallel = (int)(v > 1000 ? 1000 : v);
            if (c == O_DRAFT) ov.draft = (int)(v > 1000 ? 1000 : v);
            break;
        }
        case O_UNIFIED:
            if (strcmp(optarg, "yes") == 0)
                ov.unified = 1;
            else if (strcmp(optarg, "no") == 0)
                ov.unified = 0;
            else
                return cli_usage_error(CMD, "--kv-unified: yes or no");
            break;
        case O_SWAFULL: ov.swa_full = 1; break;
        case O_CTK:
        case O_CTV: {
            fasv_type t;
            if (fasv_type_parse(optarg, &t) || t == FASV_TYPE_F32)
                return cli_usage_error(CMD, "%s: a cache type (f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1)", argv[optind - 1]);
            *(c == O_CTK ? &ov.ctk : &ov.ctv) = (int)t;
            break;
        }
        case O_SPEC:
            if (strcmp(optarg, "none") == 0)
                ov.spec = FASV_SPEC_NONE;
            else if (strcmp(optarg, "mtp") == 0)
                ov.spec = FASV_SPEC_MTP;
            else if (strcmp(optarg, "draft") == 0)
                ov.spec = FASV_SPEC_DRAFT;
            else
                return cli_usage_error(CMD, "--spec: none, mtp or draft");
            break;
        case O_DRAFTMODEL:
            ov.draft_model = fasv_model_find(optarg);
            if (!ov.draft_model) return cli_usage_error(CMD, "--draft-model: unknown model '%s'", optarg);
            break;
        case O_DEVICES:
            if (parse_list(optarg, ov.device, FASV_SCN_MAX_DEVICES, &ov.n_dev))
                return cli_usage_error(CMD, "--devices: 1 to %d comma-separated devices", FASV_SCN_MAX_DEVICES);
            break;
        case O_SPLIT:
            if (strcmp(optarg, "none") == 0)
                ov.split = FASV_SPLIT_NONE;
            else if (strcmp(optarg, "layer") == 0)
                ov.split = FASV_SPLIT_LAYER;
            else if (strcmp(optarg, "tensor") == 0)
                ov.split = FASV_SPLIT_TENSOR;
            else
                return cli_usage_error(CMD, "--split: none, layer or tensor");
            break;
        case O_RATIOS: {
            char list_[FASV_SCN_MAX_DEVICES][FASV_DEVICE_NAME_MAX];
            if (parse_list(optarg, list_, FASV_SCN_MAX_DEVICES, &ov.n_ratio))
                return cli_usage_error(CMD, "--ratios: 1 to %d comma-separated integers", FASV_SCN_MAX_DEVICES);
            for (int i = 0; i < ov.n_ratio; i++) {
                if (cli_i64(CMD, "--ratios", list_[i], &v)) return FASV_EXIT_USAGE;
                if (v < 0 || v > 1000000) return cli_usage_error(CMD, "--ratios: values in [0, 1000000]");
                ov.ratio[i] = (int)v;
            }
            break;
        }
        case O_EVENTS: ov.events = optarg; break;
        case ':': return cli_usage_error(CMD, "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error(CMD, "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (list) return list_models(op.json);
    if (op.all_devices && op.device) return cli_usage_error(CMD, "--all-devices and --device exclude each other");
    char err[512];
    op.target = fasv_target_resolve(planner, err, sizeof err);
    if (!op.target) return cli_usage_error(CMD, "%s", err);
    fasv_ledger ledger;
    if (ledger_path) {
        if (fasv_ledger_load(ledger_path, &ledger, err, sizeof err)) return cli_usage_error(CMD, "%s", err);
        op.ledger = &ledger;
    }

    cli_files files = {0};
    for (int i = optind; i < argc; i++)
        if (cli_collect(CMD, argv[i], ".scenario", &files) != 0) {
            cli_files_free(&files);
            return FASV_EXIT_USAGE;
        }
    if (files.n == 0 && !ov.model) {
        cli_files_free(&files);
        return cli_usage_error(CMD, "no scenario given: name files or directories, or --model NAME (see --help)");
    }
    int status = FASV_EXIT_OK;
    fasv_json j;
    if (op.json) {
        fasv_json_init(&j, stdout, 1);
        fasv_json_arr(&j);
    }
    if (files.n == 0) {
        fasv_scenario s;
        fasv_scenario_init(&s);
        snprintf(s.name, sizeof s.name, "%s", ov.model->name);
        int rc = apply_overrides(&s, &ov, err, sizeof err);
        if (rc == 0 && !ov.events) rc = default_events(&s);
        if (rc == 0 && fasv_scenario_validate(&s, err, sizeof err)) rc = -1;
        if (rc) {
            status = cli_usage_error(CMD, "%s", err);
        } else {
            char label[128];
            snprintf(label, sizeof label, "--model %s", ov.model->name);
            status = run_scenario(&op, &s, label, op.json ? &j : NULL);
        }
        fasv_scenario_free(&s);
    }
    for (int i = 0; i < files.n; i++) {
        fasv_scenario s;
        if (fasv_scenario_load(files.path[i], &s, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            status = FASV_EXIT_USAGE;
            continue;
        }
        if (apply_overrides(&s, &ov, err, sizeof err) || fasv_scenario_validate(&s, err, sizeof err)) {
            fprintf(stderr, "%s: with the command-line settings: %s\n", files.path[i], err);
            status = FASV_EXIT_USAGE;
            fasv_scenario_free(&s);
            continue;
        }
        op.path = files.path[i];
        int rc = run_scenario(&op, &s, files.path[i], op.json ? &j : NULL);
        op.path = NULL;
        if (rc > status) status = rc;
        fasv_scenario_free(&s);
    }
    /* a known failure of a scenario that ran, and did not show: the bug is fixed */
    int unexpected = 0;
    if (op.ledger)
        for (int e = 0; e < ledger.n; e++) {
            fasv_ledger_entry *le = &ledger.e[e];
            if (le->seen || strcmp(le->target, op.target->name) != 0) continue;
            int ran = 0;
            for (int i = 0; i < files.n && !ran; i++) ran = fasv_ledger_names(&(fasv_ledger){.e = le, .n = 1}, op.target->name, files.path[i]);
            if (!ran) continue;
            unexpected++;
            fprintf(op.json ? stderr : stdout, "UNEXPECTED PASS %s:%d: %s no longer shows %s (retire the entry)\n",
                    ledger.path, le->line, le->case_file, le->signature);
        }
    if (op.json) {
        fasv_json_end(&j);
        fasv_json_done(&j);
    }
    if (op.ledger && !op.json)
        printf("ledger %s: %lld known failures seen, %d unexpected passes\n", ledger_path, (long long)op.known,
               unexpected);
    if (unexpected && status < FASV_EXIT_FINDING) status = FASV_EXIT_FINDING;
    if (op.ledger) fasv_ledger_free(&ledger);
    cli_files_free(&files);
    return status;
}
