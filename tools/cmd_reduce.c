/* cmd_reduce.c — `fasv reduce`: shrink a failing case to the small, readable
 * case that goes into a bug report. The reduction is fasv_reduce
 * (fuzz/lib/fz_reduce.c). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fasv/json.h"
#include "fasv/oracle.h"
#include "fz_input.h"
#include "fz_reduce.h"
#include "fz_shrink.h"
#include "fz_target.h"

/* The end of a reduction's report, shared by both kinds: the JSON fields
 * after the kind's own (sizes, edits, file, case text; closes the object),
 * or the case on stdout (unless written to --out) and the sizes on the
 * info stream. */
static void report_tail_json(fasv_json *j, const char *a, const char *b, int steps, int tries, const char *out,
                             const char *text) {
    fasv_json_kstr(j, "original", a);
    fasv_json_kstr(j, "reduced", b);
    fasv_json_kint(j, "steps", steps);
    fasv_json_kint(j, "tries", tries);
    if (out) fasv_json_kstr(j, "out", out);
    fasv_json_kstr(j, "case", text);
    fasv_json_end(j);
    fasv_json_done(j);
}

static FILE *report_text_start(const char *out, const char *text) {
    if (!out) fputs(text, stdout);
    return out ? stdout : stderr;
}

static void report_tail_text(FILE *info, const char *a, const char *b, int steps, int tries, const char *out) {
    fprintf(info, "fasv reduce: original: %s\nfasv reduce: reduced:  %s (%d edits, %d candidates)\n", a, b, steps, tries);
    if (out) fprintf(info, "fasv reduce: written to %s\n", out);
}

/* --oracle: "the same bug" is the same metamorphic relation broken, with the
 * relations' choices drawn from a fixed seed. */
typedef struct oracle_pred {
    uint64_t seed;
    char relation[64];
    char why[1024];
} oracle_pred;

static int oracle_same(void *ctx, const fasv_case *c) {
    oracle_pred *op = (oracle_pred *)ctx;
    fasv_rng r;
    fasv_rng_seed(&r, op->seed);
    char why[1024], name[64];
    if (fasv_oracle_metamorphic(c, &r, why, sizeof why) != 1) return 0;
    fasv_oracle_relation_name(why, name, sizeof name);
    if (strcmp(name, op->relation) != 0) return 0;
    snprintf(op->why, sizeof op->why, "%s", why);
    return 1;
}

/* Reduce an oracle finding; 1 reduced, 0 no broken relation, -1 error. */
static int reduce_oracle(const char *path, const fasv_case *in, const char *out, int json) {
    uint8_t *data;
    size_t size;
    char err[512];
    if (fasv_read_file(path, &data, &size, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    /* the seed fuzz_oracle uses (a hash of the input), then a few fixed ones */
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 0x100000001b3ull;
    free(data);
    oracle_pred op;
    memset(&op, 0, sizeof op);
    int found = 0;
    for (int k = -1; k < 16 && !found; k++) {
        op.seed = k < 0 ? h : (uint64_t)k;
        fasv_rng r;
        fasv_rng_seed(&r, op.seed);
        if (fasv_oracle_metamorphic(in, &r, op.why, sizeof op.why) == 1) {
            fasv_oracle_relation_name(op.why, op.relation, sizeof op.relation);
            found = 1;
        }
    }
    if (!found) {
        printf("%s: the oracle keeps every metamorphic relation; nothing to reduce\n", path);
        return 0;
    }
    fasv_case *r = malloc(sizeof *r);
    int steps = 0, tries = 0;
    if (!r || fasv_reduce_generic(in, oracle_same, &op, r, &steps, &tries) != 0) {
        free(r);
        fprintf(stderr, "fasv reduce: out of memory\n");
        return -1;
    }
    fasv_reduce_annotate(r, in);
    char line[1200], a[160], b[160];
    snprintf(line, sizeof line, "relation: %.1000s (relation seed %llu)", op.why, (unsigned long long)op.seed);
    fasv_case_add_comment(r, line);
    fasv_case_size_line(in, a, sizeof a);
    fasv_case_size_line(r, b, sizeof b);
    snprintf(line, sizeof line, "original: %s", a);
    fasv_case_add_comment(r, line);
    snprintf(line, sizeof line, "reduced:  %s (fasv reduce --oracle, %d edits)", b, steps);
    fasv_case_add_comment(r, line);
    char *text = fasv_case_to_string(r);
    int rc = 1;
    if (!text || (out && fasv_case_save(r, out, err, sizeof err) != 0)) {
        fprintf(stderr, "%s\n", text ? err : "fasv reduce: out of memory");
        rc = -1;
    } else if (json) {
        fasv_json j;
        fasv_json_init(&j, stdout, 1);
        fasv_json_obj(&j);
        fasv_json_kstr(&j, "path", path);
        fasv_json_kstr(&j, "relation", op.relation);
        fasv_json_kstr(&j, "why", op.why);
        report_tail_json(&j, a, b, steps, tries, out, text);
    } else {
        FILE *info = report_text_start(out, text);
        fprintf(info, "fasv reduce: oracle relation %s broken: %s\n", op.relation, op.why);
        report_tail_text(info, a, b, steps, tries, out);
    }
    free(text);
    free(r);
    return rc;
}


static const char *k_help =
    "usage: fasv reduce CASE [--out FILE] [--device NAME] [--planner LIB] [--oracle] [--json]\n"
    "\n"
    "Shrink a failing case while its signature stays the same: features off\n"
    "(sinks, softcap, ALiBi, mask, f32 precision), views made contiguous, then\n"
    "fewer sequences, heads, query rows and keys. Head sizes and K/V types are\n"
    "kept: the signature names them. Deterministic.\n"
    "\n"
    "CASE is a case file or a raw fuzzer input (a libFuzzer/AFL++ crash file).\n"
    "  --device NAME  reduce the violation on this device (default: the case's\n"
    "                 device line, else the first device that fails)\n"
    "  --planner LIB  target: builtin (default), test:NAME, or a plugin library\n"
    "  --oracle       reduce an oracle finding instead (a fuzz_oracle crash): keep\n"
    "                 the same metamorphic relation broken\n"
    "  --out FILE     write the reduced case to FILE (default: standard output)\n"
    "  --json         print a JSON summary with the reduced case text\n"
    "\n"
    "The original and reduced sizes are printed and recorded as comments.\n"
    "Exit 1 when a violation was reduced, 0 when the case shows none, 2 on bad\n"
    "input or usage.\n";

enum { O_OUT = 256, O_DEV, O_PLANNER, O_ORACLE, O_JSON, O_HELP };
static const struct option k_opts[] = {{"out", 1, 0, O_OUT},       {"device", 1, 0, O_DEV},
                                       {"planner", 1, 0, O_PLANNER}, {"oracle", 0, 0, O_ORACLE},
                                       {"json", 0, 0, O_JSON},     {"help", 0, 0, O_HELP},
                                       {0, 0, 0, 0}};

int cmd_reduce(int argc, char **argv) {
    const char *out = NULL, *dev_name = NULL, *planner = NULL, *path = NULL;
    int json = 0, oracle = 0;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", k_opts, NULL)) != -1) {
        switch (c) {
        case 'h':
        case O_HELP: fputs(k_help, stdout); return FASV_EXIT_OK;
        case O_OUT: out = optarg; break;
        case O_DEV: dev_name = optarg; break;
        case O_PLANNER: planner = optarg; break;
        case O_ORACLE: oracle = 1; break;
        case O_JSON: json = 1; break;
        case ':': return cli_usage_error("reduce", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("reduce", "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc) path = argv[optind++];
    if (!path) return cli_usage_error("reduce", "no case given (see --help)");
    if (optind < argc) return cli_usage_error("reduce", "unexpected argument '%s' (one case at a time)", argv[optind]);
    const fasv_device *dev = NULL;
    if (dev_name && !(dev = fasv_device_find(dev_name)))
        return cli_usage_error("reduce", "--device: unknown device '%s' (see fasv devices)", dev_name);
    char err[512];
    const fasv_target *t = fasv_target_resolve(planner, err, sizeof err);
    if (!t) return cli_usage_error("reduce", "%s", err);

    fasv_case *in = malloc(sizeof *in);
    fasv_reduce_result *r = malloc(sizeof *r);
    if (!in || !r) {
        free(in), free(r);
        return cli_usage_error("reduce", "out of memory");
    }
    int status = FASV_EXIT_USAGE;
    if (fasv_input_load(path, in, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        goto done;
    }
    if (oracle) {
        char why[512];
        if (fasv_node_check(&in->node, why, sizeof why) != FASV_LEGAL) {
            fprintf(stderr, "%s: the case is not a legal node: %s\n", path, why);
            goto done;
        }
        int orc = reduce_oracle(path, in, out, json);
        status = orc < 0 ? FASV_EXIT_USAGE : orc ? FASV_EXIT_FINDING : FASV_EXIT_OK;
        goto done;
    }
    int rc = fasv_reduce(t, in, dev, r, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        goto done;
    }
    if (rc == 1) {
        if (json) {
            fasv_json j;
            fasv_json_init(&j, stdout, 1);
            fasv_json_obj(&j);
            fasv_json_kstr(&j, "path", path);
            fasv_json_kstr(&j, "target", t->name);
            fasv_json_kbool(&j, "violation", 0);
            fasv_json_end(&j);
            fasv_json_done(&j);
        } else {
            printf("%s: no violation on %s with target %s; nothing to reduce\n", path, dev ? dev->name : "any device",
                   t->name);
        }
        status = FASV_EXIT_OK;
        goto done;
    }
    char *text = fasv_case_to_string(&r->reduced);
    if (!text) {
        fprintf(stderr, "fasv reduce: out of memory\n");
        goto done;
    }
    if (out && fasv_case_save(&r->reduced, out, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        free(text);
        goto done;
    }
    if (json) {
        fasv_json j;
        fasv_json_init(&j, stdout, 1);
        fasv_json_obj(&j);
        fasv_json_kstr(&j, "path", path);
        fasv_json_kstr(&j, "target", t->name);
        fasv_json_kbool(&j, "violation", 1);
        fasv_json_kstr(&j, "signature", r->finding.signature);
        fasv_json_kstr(&j, "property", fasv_prop_name(r->finding.kind));
        fasv_json_kstr(&j, "device", r->finding.device->name);
        report_tail_json(&j, r->original_size, r->reduced_size, r->steps, r->tries, out, text);
    } else {
        FILE *info = report_text_start(out, text);
        fprintf(info, "fasv reduce: %s on %s: %s\n", fasv_prop_name(r->finding.kind), r->finding.device->name,
                r->finding.signature);
        report_tail_text(info, r->original_size, r->reduced_size, r->steps, r->tries, out);
    }
    free(text);
    status = FASV_EXIT_FINDING;
done:
    free(in);
    free(r);
    return status;
}
