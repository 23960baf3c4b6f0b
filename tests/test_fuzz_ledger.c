/* test_fuzz_ledger.c — the known-failure ledger: its line format and the
 * errors it reports (FILE:LINE), case paths resolved against the ledger's
 * directory, and matching by (target, case, signature). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fz_ledger.h"

static char g_dir[256];

static void put(const char *name, const char *text) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int load(const char *text, fasv_ledger *l, char *err, size_t len) {
    put("ledger.txt", text);
    char p[512];
    snprintf(p, sizeof p, "%s/ledger.txt", g_dir);
    return fasv_ledger_load(p, l, err, len);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/fasv-ledger-XXXXXX");
    if (!mkdtemp(g_dir)) return 1;
    put("a.case", "fasv-case 1\n");
    put("b.case", "fasv-case 1\n");
    fasv_ledger l;
    char err[512];

    CHECK(load("# known failures\n\n"
               "builtin a.case totality/RDNA3/none:-/d256x256/f16,f16/x seed/000 D=256 hole after a restore\n"
               "  test:hole-d256   a.case   totality/RDNA2/none:-/d256x256/f16,f16/x   #5   planted\n",
               &l, err, sizeof err) == 0);
    CHECK(l.n == 2);
    if (l.n == 2) {
        CHECK(strcmp(l.e[0].target, "builtin") == 0 && strcmp(l.e[0].reference, "seed/000") == 0);
        CHECK(strcmp(l.e[0].reason, "D=256 hole after a restore") == 0 && l.e[0].line == 3);
        CHECK(strcmp(l.e[1].reference, "#5") == 0 && strcmp(l.e[1].reason, "planted") == 0);
        /* matching needs target, case file and signature */
        char a[512], b[512];
        snprintf(a, sizeof a, "%s/a.case", g_dir);
        snprintf(b, sizeof b, "%s/./b.case", g_dir);
        CHECK(fasv_ledger_match(&l, "builtin", a, "totality/RDNA3/none:-/d256x256/f16,f16/x") == &l.e[0]);
        CHECK(l.e[0].seen && !l.e[1].seen);
        CHECK(fasv_ledger_match(&l, "test:hole-d256", a, "totality/RDNA3/none:-/d256x256/f16,f16/x") == NULL);
        CHECK(fasv_ledger_match(&l, "builtin", b, "totality/RDNA3/none:-/d256x256/f16,f16/x") == NULL);
        CHECK(fasv_ledger_names(&l, "builtin", a) && !fasv_ledger_names(&l, "builtin", b));
        /* the same file by another spelling of its path */
        snprintf(a, sizeof a, "%s/../%s/a.case", g_dir, strrchr(g_dir, '/') + 1);
        CHECK(fasv_ledger_match(&l, "test:hole-d256", a, "totality/RDNA2/none:-/d256x256/f16,f16/x") == &l.e[1]);
    }
    fasv_ledger_free(&l);

    CHECK(load("builtin a.case sig ref\n", &l, err, sizeof err) == -1);
    CHECKF(strstr(err, "ledger.txt:1: the entry gives no reason") != NULL, "%s", err);
    CHECK(load("\nbuiltin a.case sig\n", &l, err, sizeof err) == -1);
    CHECKF(strstr(err, "ledger.txt:2: expected 'TARGET CASE SIGNATURE REFERENCE REASON...'") != NULL, "%s", err);
    CHECK(load("builtin gone.case sig ref why\n", &l, err, sizeof err) == -1);
    CHECKF(strstr(err, ":1: case file gone.case does not exist") != NULL, "%s", err);
    CHECK(load("builtin a.case sig ref why\nbuiltin ./a.case sig ref2 again\n", &l, err, sizeof err) == -1);
    CHECKF(strstr(err, ":2: duplicate of the entry on line 1") != NULL, "%s", err);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return check_report("test_fuzz_ledger");
}
