/* test_fuzz_tools.c FASV FUZZ_ROUTE_REPLAY — the fuzzing tools end to end,
 * as processes, on test targets with planted holes:
 *   - `fasv fuzz` finds the hole of test:hole-d256 (one file per signature,
 *     each a readable case that still fails), the same files for the same
 *     seed, and nothing on test:clean;
 *   - fuzz_route through the plain replay driver finds it too: the harness
 *     aborts with the signature and the driver keeps the crashing input;
 *   - `fasv reduce` shrinks that raw crash input to the stated bound:
 *     n_head <= 2, n_q <= 2, n_kv <= 2*256, one sequence, contiguous;
 *   - `fasv replay` and the ledger: known failures pass, a finding missing
 *     from the ledger fails, an unexpected pass fails;
 *   - `fasv verify` writes its report with reduced reproducers;
 *   - a plugin planner is refused with exit 2 until plugins exist.
 * Every expectation is checked on the files the tools wrote, loaded and
 * re-checked in this process. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fasv/case.h"
#include "fz_edit.h"
#include "fz_input.h"
#include "fz_target.h"

extern char **environ;
static char g_tmp[256];
static const char *g_fasv, *g_replay;

/* Run argv with stdout and stderr in T/out and T/err; the wait status. */
static int run(char *const argv[]) {
    char out[512], err[512];
    snprintf(out, sizeof out, "%s/out", g_tmp);
    snprintf(err, sizeof err, "%s/err", g_tmp);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int st = -1;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) == 0) waitpid(pid, &st, 0);
    posix_spawn_file_actions_destroy(&fa);
    return st;
}

static int exit_code(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : -1; }

static char *slurp(const char *name) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", g_tmp, name);
    uint8_t *d;
    size_t n;
    char err[256];
    if (fasv_read_file(p, &d, &n, err, sizeof err) != 0) return strdup("");
    char *s = realloc(d, n + 1);
    s[n] = 0;
    return s;
}

static int has(const char *file, const char *text) {
    char *s = slurp(file);
    int r = strstr(s, text) != NULL;
    if (!r) fprintf(stderr, "'%s' not in %s:\n%s\n", text, file, s);
    free(s);
    return r;
}

/* Names of the files in T/dir (sorted), with the prefix. */
static int list(const char *dir, const char *prefix, char names[][128], int max) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", g_tmp, dir);
    DIR *d = opendir(p);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && n < max)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) snprintf(names[n++], 128, "%.120s", e->d_name);
    if (d) closedir(d);
    qsort(names, (size_t)n, 128, (int (*)(const void *, const void *))strcmp);
    return n;
}

static void path(char *out, size_t len, const char *a, const char *b) {
    if (b)
        snprintf(out, len, "%s/%s/%s", g_tmp, a, b);
    else
        snprintf(out, len, "%s/%s", g_tmp, a);
}

/* The reduced case satisfies the stated bound and still fails on hole-d256. */
static void check_bound(const char *file) {
    fasv_case c;
    char err[512];
    CHECKF(fasv_input_load(file, &c, NULL, err, sizeof err) == 0, "%s", err);
    const fasv_node *n = &c.node;
    CHECK(fasv_node_check(n, NULL, 0) == FASV_LEGAL);
    CHECKF(fasv_nhead(n) <= 2 && fasv_nq(n) <= 2 && fasv_nkv(n) <= 512 && fasv_nseq(n) == 1,
           "%s: n_head=%lld n_q=%lld n_kv=%lld n_seq=%lld", file, (long long)fasv_nhead(n), (long long)fasv_nq(n),
           (long long)fasv_nkv(n), (long long)fasv_nseq(n));
    for (int id = 0; id < FASV_NT; id++)
        if (fasv_node_has(n, (fasv_tid)id)) CHECK(fasv_is_contiguous(n, (fasv_tid)id));
    const fasv_target *t = fasv_target_resolve("test:hole-d256", err, sizeof err);
    fasv_finding f;
    CHECK(t && fasv_check_devices(t, n, NULL, &f) == 1 && f.kind == FASV_PROP_TOTALITY);
}

static void test_fasv_fuzz(void) {
    char art[512], names[16][128], names2[16][128];
    path(art, sizeof art, "art", NULL);
    char *argv[] = {(char *)g_fasv, "fuzz", "--planner", "test:hole-d256", "--runs", "20000", "--seed", "7",
                    "--artifacts", art, "--json", "--quiet", NULL};
    CHECK(exit_code(run(argv)) == 1);
    CHECK(has("out", "\"findings\": [") && has("out", "totality/RDNA"));
    int n = list("art", "totality-", names, 16);
    CHECKF(n == 3, "%d findings (one per RDNA generation expected)", n);
    for (int i = 0; i < n; i++) {
        char p[512], err[512];
        path(p, sizeof p, "art", names[i]);
        fasv_case c;
        CHECK(fasv_case_load(p, &c, err, sizeof err) == 0); /* readable text */
        CHECK(strstr(c.comments, "# signature: totality/RDNA") != NULL);
        const fasv_target *t = fasv_target_resolve("test:hole-d256", err, sizeof err);
        fasv_finding f;
        CHECK(fasv_check_route(t, fasv_device_find(c.device), &c.node, &f) == FASV_VIOLATION);
        CHECK(strstr(c.comments, f.signature) != NULL);
    }
    /* the same seed finds the same findings */
    char art2[512];
    path(art2, sizeof art2, "art2", NULL);
    argv[9] = art2;
    CHECK(exit_code(run(argv)) == 1);
    CHECK(list("art2", "totality-", names2, 16) == n);
    for (int i = 0; i < n; i++) CHECK(strcmp(names[i], names2[i]) == 0);

    char art3[512];
    path(art3, sizeof art3, "art3", NULL);
    char *clean[] = {(char *)g_fasv, "fuzz", "--planner", "test:clean", "--runs", "5000", "--artifacts", art3,
                     "--quiet", NULL};
    CHECK(exit_code(run(clean)) == 0);
    CHECK(has("out", "0 findings"));
    CHECK(access(art3, F_OK) != 0); /* nothing written, not even the folder */

    char *plugin[] = {(char *)g_fasv, "fuzz", "--planner", "./libmyplanner.so", "--runs", "1", NULL};
    CHECK(exit_code(run(plugin)) == 2);
    CHECK(has("err", "plugin ./libmyplanner.so: file not found"));
}

static void test_fuzz_route_and_reduce(void) {
    char prefix[512];
    path(prefix, sizeof prefix, "", NULL); /* "T/" */
    char pre[600];
    snprintf(pre, sizeof pre, "-artifact_prefix=%s", prefix);
    setenv("FASV_PLANNER", "test:hole-d256", 1);
    char *argv[] = {(char *)g_replay, "-runs=50000", "-seed=3", pre, NULL};
    int st = run(argv);
    unsetenv("FASV_PLANNER");
    CHECKF(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "fuzz_route_replay status %d", st);
    CHECK(has("err", "signature: totality/RDNA") && has("err", "reason tile D=256 f16 needs n_kv padded"));
    CHECK(has("err", "-- case --\nfasv-case 1"));
    char names[4][128];
    CHECK(list("", "crash-", names, 4) == 1);

    /* reduce the raw crash input */
    char crash[512], red[512];
    path(crash, sizeof crash, names[0], NULL);
    path(red, sizeof red, "reduced.case", NULL);
    char *reduce[] = {(char *)g_fasv, "reduce", crash, "--planner", "test:hole-d256", "--out", red, NULL};
    CHECK(exit_code(run(reduce)) == 1);
    CHECK(has("out", "fasv reduce: original:") && has("out", "fasv reduce: reduced:"));
    check_bound(red);
}

static void write_file(const char *name, const char *text) {
    char p[512];
    path(p, sizeof p, name, NULL);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_replay_ledger(void) {
    /* the reduced case fails on the three RDNA devices: three signatures */
    char red[512], err[256];
    path(red, sizeof red, "reduced.case", NULL);
    fasv_case c;
    if (fasv_case_load(red, &c, err, sizeof err) != 0) {
        CHECKF(0, "%s", err);
        return;
    }
    const fasv_target *t = fasv_target_resolve("test:hole-d256", err, sizeof err);
    int nd;
    const fasv_device *devs = fasv_devices(&nd);
    char sigs[3][FASV_SIG_LEN];
    int ns = 0;
    for (int i = 0; i < nd && ns < 3; i++) {
        fasv_finding f;
        if (fasv_check_route(t, &devs[i], &c.node, &f) == FASV_VIOLATION) snprintf(sigs[ns++], FASV_SIG_LEN, "%s", f.signature);
    }
    CHECK(ns == 3);
    if (ns != 3) return;
    char text[2048], led[512];
    snprintf(text, sizeof text,
             "# test ledger\ntest:hole-d256 reduced.case %s t/1 planted hole\ntest:hole-d256 reduced.case %s t/1 "
             "planted\ntest:hole-d256 reduced.case %s t/1 planted\n",
             sigs[0], sigs[1], sigs[2]);
    write_file("ledger.txt", text);
    path(led, sizeof led, "ledger.txt", NULL);
    char *known[] = {(char *)g_fasv, "replay", "--planner", "test:hole-d256", "--ledger", led, red, NULL};
    CHECK(exit_code(run(known)) == 0);
    CHECK(has("out", "known failure on gfx1030") && has("out", "known failure on gfx1201"));
    CHECK(has("out", "1 cases: 0 clean, 1 known failures, 0 failing"));

    /* one signature missing from the ledger: a new failure */
    snprintf(text, sizeof text, "test:hole-d256 reduced.case %s t/1 planted\ntest:hole-d256 reduced.case %s t/1 planted\n",
             sigs[0], sigs[1]);
    write_file("ledger2.txt", text);
    path(led, sizeof led, "ledger2.txt", NULL);
    known[5] = led;
    CHECK(exit_code(run(known)) == 1);
    CHECK(has("out", "FAIL: totality on") && has("out", sigs[2]));

    /* a fixed planner (test:clean) makes the entry an unexpected pass */
    snprintf(text, sizeof text, "test:clean reduced.case %s t/1 was a hole\n", sigs[0]);
    write_file("ledger3.txt", text);
    path(led, sizeof led, "ledger3.txt", NULL);
    char *fixed[] = {(char *)g_fasv, "replay", "--planner", "test:clean", "--ledger", led, red, NULL};
    CHECK(exit_code(run(fixed)) == 1);
    CHECK(has("out", "UNEXPECTED PASS"));
    char *noled[] = {(char *)g_fasv, "replay", "--planner", "test:clean", red, NULL};
    CHECK(exit_code(run(noled)) == 0);
    CHECK(has("out", ": clean (14 devices"));
}

static void test_verify(void) {
    char rep[512];
    path(rep, sizeof rep, "rep", NULL);
    /* 8 s: under ASan and coverage instrumentation the sweep and the
     * scenarios phase take about 2 s before fuzzing starts */
    char *argv[] = {(char *)g_fasv, "verify", "--planner", "test:hole-d256", "--time", "8", "--out", rep,
                    "--sweep-types", "f16", NULL};
    CHECK(exit_code(run(argv)) == 1);
    /* the hole on the three RDNA families as totality (sweep, fuzz), and as
     * lifecycle when the scenarios phase reaches it (after a restore) within
     * its fifth of the budget, which a sanitizer build may not */
    CHECK(has("rep/summary.txt", "complete: yes"));
    CHECK(has("rep/summary.txt", "signature: totality/RDNA2/") && has("rep/summary.txt", "signature: totality/RDNA3/") &&
          has("rep/summary.txt", "signature: totality/RDNA4/"));
    char *sum = slurp("rep/summary.txt");
    const char *fl = strstr(sum, "\nfindings: ");
    int nfind = fl ? atoi(fl + 11) : -1;
    CHECKF(nfind == 3 || nfind == 6, "findings: %d", nfind);
    free(sum);
    CHECK(has("rep/report.json", "\"reduced\": \"") && has("rep/report.json", "\"name\": \"sweep\""));
    char p[512];
    path(p, sizeof p, "rep/routes.html", NULL);
    CHECK(access(p, R_OK) == 0);
    char names[8][128];
    int n = list("rep/findings", "totality-", names, 8);
    CHECK(n == 6); /* found and reduced, for three signatures */
    for (int i = 0; i < n; i++)
        if (strstr(names[i], ".reduced.case")) {
            path(p, sizeof p, "rep/findings", names[i]);
            check_bound(p);
        }
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: test_fuzz_tools FASV FUZZ_ROUTE_REPLAY\n");
        return 2;
    }
    g_fasv = argv[1];
    g_replay = argv[2];
    struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore); /* the harness aborts on purpose */
    snprintf(g_tmp, sizeof g_tmp, "/tmp/fasv-tools-XXXXXX");
    if (!mkdtemp(g_tmp)) return 2;
    test_fasv_fuzz();
    test_fuzz_route_and_reduce();
    test_replay_ledger();
    test_verify();
    int rc = check_report("test_fuzz_tools");
    if (rc == 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_tmp);
    } else {
        fprintf(stderr, "files kept in %s\n", g_tmp);
    }
    return rc;
}
