/* reduce_oracle.c — `fasv reduce --oracle`: shrink a case on which the
 * oracle breaks a metamorphic relation (a fuzz_oracle finding) while the same
 * relation stays broken. A file of its own: fasv/oracle.h and fasv/props.h
 * cannot be included together (both define fasv_judgement). */
#include <stdlib.h>
#include <string.h>

#include "fasv/json.h"
#include "fz_input.h"
#include "fz_shrink.h"
#include "fasv/oracle.h"

/* --oracle: "the same bug" is the same metamorphic relation broken, with the
 * relations' choices drawn from a fixed seed. */
typedef struct oracle_pred {
    uint64_t seed;
    char relation[64];
    char why[1024];
} oracle_pred;

static void relation_name(const char *why, char *out, size_t len) {
    const char *p = strncmp(why, "relation ", 9) == 0 ? why + 9 : why;
    size_t l = strcspn(p, " ");
    snprintf(out, len, "%.*s", (int)(l < len ? l : len - 1), p);
}

static int oracle_same(void *ctx, const fasv_case *c) {
    oracle_pred *op = (oracle_pred *)ctx;
    fasv_rng r;
    fasv_rng_seed(&r, op->seed);
    char why[1024], name[64];
    if (fasv_oracle_metamorphic(c, &r, why, sizeof why) != 1) return 0;
    relation_name(why, name, sizeof name);
    if (strcmp(name, op->relation) != 0) return 0;
    snprintf(op->why, sizeof op->why, "%s", why);
    return 1;
}

/* Reduce an oracle finding; 1 reduced, 0 no broken relation, -1 error. */
int reduce_oracle(const char *path, const fasv_case *in, const char *out, int json) {
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
            relation_name(op.why, op.relation, sizeof op.relation);
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
        fasv_json_kstr(&j, "original", a);
        fasv_json_kstr(&j, "reduced", b);
        fasv_json_kint(&j, "steps", steps);
        fasv_json_kint(&j, "tries", tries);
        if (out) fasv_json_kstr(&j, "out", out);
        fasv_json_kstr(&j, "case", text);
        fasv_json_end(&j);
        fasv_json_done(&j);
    } else {
        FILE *info = out ? stdout : stderr;
        if (!out) fputs(text, stdout);
        fprintf(info, "fasv reduce: oracle relation %s broken: %s\n", op.relation, op.why);
        fprintf(info, "fasv reduce: original: %s\nfasv reduce: reduced:  %s (%d edits, %d candidates)\n", a, b, steps,
                tries);
    }
    free(text);
    free(r);
    return rc;
}

