/* test_oracle_cli.c — `fasv oracle` and `fasv compare` end to end, through
 * the real binary (argv[1]): out.npy holds the library's reference bits in
 * the documented shape, compare accepts the naive reference's own output and
 * a float32 copy of the reference, rejects an output perturbed beyond its
 * bound (exit 1) and a wrong shape (exit 2, with a message naming it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fasv/build.h"
#include "fasv/npy.h"
#include "fasv/oracle.h"

static const char *g_fasv;
static char g_dir[256];

static int run(const char *args, const char *out_file) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s > '%s/%s' 2>&1", g_fasv, args, g_dir, out_file ? out_file : "last.txt");
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int file_has(const char *name, const char *needle) {
    char p[512], buf[65536];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strstr(buf, needle) != NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_oracle_cli PATH/TO/fasv\n");
        return 2;
    }
    g_fasv = argv[1];
    snprintf(g_dir, sizeof g_dir, "/tmp/fasv-test-oracle-cli-XXXXXX");
    if (!mkdtemp(g_dir)) return 2;
    char a[2048], p[512], err[256];

    CHECK(run("oracle --help", NULL) == 0 && file_has("last.txt", "usage: fasv oracle"));
    CHECK(run("compare --help", NULL) == 0 && file_has("last.txt", "usage: fasv compare"));

    /* a case with views, GQA, two sequences over one KV sequence, mask, sinks */
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = b.hsv = 64;
    b.nh = 2;
    b.gqa = 3;
    b.nr3 = 2;
    b.nr3_kv = 1;
    b.kv = 77;
    b.nb = 5;
    b.mask = true;
    b.sinks = true;
    b.kv_capacity = 96;
    b.permute_q = true;
    b.type_k = FASV_TYPE_Q8_0;
    b.seed = 42;
    b.dist = FASV_DIST_NORMAL;
    fasv_case c;
    CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
    snprintf(p, sizeof p, "%s/c.case", g_dir);
    CHECK(fasv_case_save(&c, p, err, sizeof err) == 0);

    snprintf(a, sizeof a, "oracle %s/c.case --out %s/o --naive --threads 2", g_dir, g_dir);
    CHECKF(run(a, NULL) == 0, "fasv oracle failed");
    fasv_npy out;
    snprintf(p, sizeof p, "%s/o/out.npy", g_dir);
    CHECK(fasv_npy_read(p, &out, err, sizeof err) == 0);
    CHECK(out.ndim == 4 && out.shape[0] == 2 && out.shape[1] == 5 && out.shape[2] == 6 && out.shape[3] == 64);

    /* the same bits as the library's reference */
    fasv_data d;
    CHECK(fasv_gen(&c, &d, 0, err, sizeof err) == 0);
    fasv_oracle_result res;
    fasv_oracle_opts o = {1, 0};
    CHECK(fasv_oracle_prepare(&c.node, &d, &o, &res, err, sizeof err) == 0);
    CHECK(out.count == res.count && memcmp(out.data, res.ref, sizeof(double) * (size_t)res.count) == 0);

    snprintf(a, sizeof a, "compare %s/c.case %s/o/naive.npy", g_dir, g_dir);
    CHECKF(run(a, NULL) == 0, "compare rejects the naive reference's own output");
    CHECK(file_has("last.txt", "verdict: PASS"));

    /* float32 copy of the reference */
    float *f32 = malloc(sizeof(float) * (size_t)res.count);
    for (int64_t x = 0; x < res.count; x++) f32[x] = (float)res.ref[x];
    snprintf(p, sizeof p, "%s/f32.npy", g_dir);
    CHECK(fasv_npy_write(p, "<f4", out.shape, 4, f32, err, sizeof err) == 0);
    snprintf(a, sizeof a, "compare %s/c.case %s/f32.npy --json", g_dir, g_dir);
    CHECK(run(a, "json.txt") == 0 && file_has("json.txt", "\"pass\": true"));

    /* one element 1.5x beyond its row's bound (row 7, naive finite there) */
    fasv_tol tol;
    fasv_tol_default(&tol, c.node.prec);
    int64_t r = 7, dv = 64;
    double n = 0.0;
    for (int64_t e = 0; e < dv; e++) n = fmax(n, fabs(res.naive[r * dv + e] - res.ref[r * dv + e]));
    double y = fmin(fmax(n / res.row[r].scale, tol.cond_u * res.row[r].cond), tol.cap);
    double bound = (tol.k * y + tol.floor) * res.row[r].scale;
    double *bad = malloc(sizeof(double) * (size_t)res.count);
    memcpy(bad, res.ref, sizeof(double) * (size_t)res.count);
    bad[r * dv + 3] += 1.5 * bound;
    snprintf(p, sizeof p, "%s/bad.npy", g_dir);
    CHECK(fasv_npy_write(p, "<f8", out.shape, 4, bad, err, sizeof err) == 0);
    snprintf(a, sizeof a, "compare %s/c.case %s/bad.npy", g_dir, g_dir);
    CHECKF(run(a, NULL) == 1, "compare accepts an output 1.5x beyond its bound");
    CHECK(file_has("last.txt", "FAIL (bound)") && file_has("last.txt", "worst row 7") &&
          file_has("last.txt", "ratio 1.5"));
    bad[r * dv + 3] = res.ref[r * dv + 3] + 0.5 * bound;
    CHECK(fasv_npy_write(p, "<f8", out.shape, 4, bad, err, sizeof err) == 0);
    CHECKF(run(a, NULL) == 0, "compare rejects an output 0.5x within its bound");

    /* wrong shape: exit 2 and a message naming both shapes */
    int64_t wrong[3] = {5, 6, 64};
    snprintf(p, sizeof p, "%s/wrong.npy", g_dir);
    CHECK(fasv_npy_write(p, "<f8", wrong, 3, bad, err, sizeof err) == 0);
    snprintf(a, sizeof a, "compare %s/c.case %s/wrong.npy", g_dir, g_dir);
    CHECK(run(a, NULL) == 2);
    CHECKF(file_has("last.txt", "shape (5, 6, 64), but") && file_has("last.txt", "(2, 5, 6, 64) = (n_seq, n_q, n_head, Dv)"),
           "wrong-shape message");

    /* bad input: missing candidate, missing case, missing --out */
    snprintf(a, sizeof a, "compare %s/c.case %s/nothing.npy", g_dir, g_dir);
    CHECK(run(a, NULL) == 2);
    snprintf(a, sizeof a, "oracle %s/nothing.case --out %s/o2", g_dir, g_dir);
    CHECK(run(a, NULL) == 2);
    snprintf(a, sizeof a, "oracle %s/c.case", g_dir);
    CHECK(run(a, NULL) == 2 && file_has("last.txt", "--out DIR is required"));

    free(bad);
    free(f32);
    fasv_npy_free(&out);
    fasv_oracle_result_free(&res);
    fasv_data_free(&d);
    snprintf(a, sizeof a, "rm -rf '%s'", g_dir);
    if (system(a) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return check_report("test_oracle_cli");
}
