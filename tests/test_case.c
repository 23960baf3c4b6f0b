/* test_case.c — the case file format: canonical round trip of every shipped
 * example, one precise FILE:LINE error per kind of bad input, and 10,000
 * random and mutated inputs that must parse or fail cleanly (run under
 * ASan/UBSan in the asan preset). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fasv/build.h"
#include "fasv/case.h"
#include "fasv/rng.h"

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

static void test_examples_round_trip(void) {
    DIR *d = opendir("examples/cases");
    CHECKF(d != NULL, "run from the source root: examples/cases missing");
    if (!d) return;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strstr(e->d_name, ".case")) continue;
        char path[512], err[512];
        snprintf(path, sizeof path, "examples/cases/%s", e->d_name);
        size_t len = 0;
        char *text = slurp(path, &len);
        CHECKF(text != NULL, "cannot read %s", path);
        if (!text) continue;
        fasv_case c;
        int r = fasv_case_parse(text, len, path, &c, err, sizeof err);
        CHECKF(r == 0, "%s", err);
        if (r == 0) {
            char *again = fasv_case_to_string(&c);
            CHECKF(strcmp(again, text) == 0, "%s is not canonical or does not round-trip", path);
            free(again);
        }
        free(text);
        n++;
    }
    closedir(d);
    CHECKF(n >= 5, "only %d example cases", n);
}

/* parse text; expect failure with "t.case:LINE: ..." containing sub */
static void expect_error(const char *text, int line, const char *sub) {
    fasv_case c;
    char err[512], prefix[32];
    int r = fasv_case_parse(text, strlen(text), "t.case", &c, err, sizeof err);
    snprintf(prefix, sizeof prefix, "t.case:%d: ", line);
    CHECKF(r != 0, "accepted bad input expecting '%s'", sub);
    CHECKF(strncmp(err, prefix, strlen(prefix)) == 0, "error '%s' does not start with '%s'", err, prefix);
    CHECKF(strstr(err, sub) != NULL, "error '%s' lacks '%s'", err, sub);
    CHECKF(strchr(err, '\n') == NULL, "error is not one line: '%s'", err);
}

#define HDR "fasv-case 1\n"
#define QKV "q f32 ne=64\nk f16 ne=64\nv f16 ne=64\n"

static void test_errors(void) {
    expect_error("", 1, "no 'fasv-case 1' header");
    expect_error("q f32 ne=64\n", 1, "expected the header");
    expect_error("fasv-case 2\n" QKV, 1, "version 2");
    expect_error("fasv-case one\n", 1, "header must be");
    expect_error(HDR "q f32 ne=64\nk f16 ne=64\n", 4, "missing the 'v' line");
    expect_error(HDR QKV "colour red\n", 5, "unknown key 'colour'");
    expect_error(HDR QKV "scale abc\n", 5, "scale: not a number");
    expect_error(HDR QKV "scale 1 2\n", 5, "exactly one value");
    expect_error(HDR QKV "seed -1\n", 5, "seed");
    expect_error(HDR QKV "seed 18446744073709551616\n", 5, "seed");
    expect_error(HDR QKV "dist wild\n", 5, "dist");
    expect_error(HDR QKV "prec f64\n", 5, "prec");
    expect_error(HDR QKV "device gfx9999\n", 5, "unknown device");
    expect_error(HDR QKV "scale 1\nscale 2\n", 6, "duplicate 'scale'");
    expect_error(HDR "q f32 ne=64\nq f32 ne=64\n", 3, "duplicate 'q' line (first on line 2)");
    expect_error(HDR "q f99 ne=64\n", 2, "unknown type 'f99'");
    expect_error(HDR "q f32\n", 2, "expected 'q TYPE ne=...'");
    expect_error(HDR "q f32 nb=4,4,4,4\n", 2, "missing ne=");
    expect_error(HDR "q f32 ne=64,1,1,1,1\n", 2, "ne= needs 1 to 4");
    expect_error(HDR "q f32 ne=64,x\n", 2, "ne= needs 1 to 4");
    expect_error(HDR "q f32 ne=99999999999999999999\n", 2, "ne= needs");
    expect_error(HDR "q f32 ne=64 nb=4,256\n", 2, "nb= needs exactly 4");
    expect_error(HDR "q f32 ne=64 off=z\n", 2, "off= needs an integer");
    expect_error(HDR "q f32 ne=64 buf=w\n", 2, "names no tensor");
    expect_error(HDR "q f32 ne=64 buf=q\n", 2, "names the tensor itself");
    expect_error(HDR "q f32 ne=64 flavour=1\n", 2, "unknown field 'flavour'");
    expect_error(HDR "q f32 ne=64 ne=64\n", 2, "ne= given twice");
    expect_error(HDR "q f32 ne=64 junk\n", 2, "expected KEY=VALUE");
    expect_error(HDR QKV "fasv-case 1\n", 5, "second 'fasv-case' header");
    expect_error(HDR "\x01\n", 2, "control character");
    {
        char bin[] = HDR "q f32 ne=64\0\n";
        fasv_case c;
        char err[256];
        CHECK(fasv_case_parse(bin, sizeof bin - 1, "t.case", &c, err, sizeof err) != 0 &&
              strstr(err, "t.case:2: binary data") != NULL);
    }
    {
        /* a 5000-byte line */
        char *big = malloc(6000);
        strcpy(big, HDR "# ");
        memset(big + strlen(big), 'x', 5000);
        big[strlen(HDR) + 2 + 5000] = 0;
        expect_error(big, 2, "line longer than");
        free(big);
    }
    {
        /* two megabytes of garbage */
        size_t n = 2u << 20;
        char *g = malloc(n);
        fasv_rng r;
        fasv_rng_seed(&r, 3);
        for (size_t i = 0; i < n; i++) g[i] = (char)fasv_rng_below(&r, 256);
        fasv_case c;
        char err[256];
        CHECK(fasv_case_parse(g, n, "g.case", &c, err, sizeof err) != 0 && strncmp(err, "g.case:0: ", 10) == 0);
        free(g);
    }
    /* accepted: comments anywhere, trailing comments, CRLF, blank lines, defaults */
    const char *ok = "# leading comment\r\n\r\n" HDR "q f32 ne=64,2   # two query rows\n# middle\n"
                     "k f16 ne=64,10\nv f16 ne=64,10\n";
    fasv_case c;
    char err[256];
    CHECKF(fasv_case_parse(ok, strlen(ok), "ok.case", &c, err, sizeof err) == 0, "%s", err);
    CHECK(c.node.q.ne[1] == 2 && c.node.k.nb[1] == 128 && c.node.k.buf_bytes == 1280 && c.node.scale == 0.125f);
    CHECK(strcmp(c.comments, "# leading comment\n# middle\n") == 0);
    CHECK(!c.node.has_mask && c.dist == FASV_DIST_UNIFORM && c.seed == 0);
}

/* Print is a fixed point: parse(print(c)) prints the same text. */
static int stable(const fasv_case *c) {
    char *a = fasv_case_to_string(c);
    fasv_case d;
    char err[512];
    int ok = fasv_case_parse(a, strlen(a), "p", &d, err, sizeof err) == 0;
    if (ok) {
        char *b = fasv_case_to_string(&d);
        ok = strcmp(a, b) == 0;
        free(b);
    }
    free(a);
    return ok;
}

static void test_random_and_mutated(void) {
    fasv_rng r;
    fasv_rng_seed(&r, 2024);
    fasv_rand_opts o = {0};
    int unstable = 0, bad_err = 0, parsed = 0;
    char buf[8192];
    static const char *frags[] = {"fasv-case 1\n", "q f32 ne=", "k q8_0 ne=", "v ", "mask f16 ne=", "nb=", "off=",
                                  "buf=", "buf=k", ",", "=", "#", "\n", " ", "scale ", "1e39", "nan", "-0",
                                  "device sm_90\n", "seed ", "dist adversarial\n", "9999999999999999999", "\r", "\t"};
    for (int it = 0; it < 10000; it++) {
        size_t len;
        if (it % 2 == 0) {
            /* mutate the canonical text of a random legal case */
            fasv_case c;
            fasv_random_case(&r, &o, &c);
            if (!stable(&c)) unstable++;
            len = fasv_case_print(&c, buf, sizeof buf);
            if (len >= sizeof buf) len = sizeof buf - 1;
            int edits = (int)fasv_rng_range(&r, 1, 6);
            for (int e = 0; e < edits && len > 0; e++) {
                size_t at = (size_t)fasv_rng_below(&r, len);
                switch (fasv_rng_below(&r, 4)) {
                case 0: buf[at] = (char)fasv_rng_below(&r, 256); break;          /* flip a byte */
                case 1: memmove(buf + at, buf + at + 1, len - at - 1); len--; break; /* delete */
                case 2: len = at; break;                                          /* truncate */
                default: {                                                        /* insert a fragment */
                    const char *f = FASV_RNG_PICK(&r, frags);
                    size_t fl = strlen(f);
                    if (len + fl < sizeof buf) {
                        memmove(buf + at + fl, buf + at, len - at);
                        memcpy(buf + at, f, fl);
                        len += fl;
                    }
                }
                }
            }
        } else {
            /* fragments glued at random */
            len = 0;
            int parts = (int)fasv_rng_range(&r, 0, 40);
            for (int p = 0; p < parts; p++) {
                const char *f = FASV_RNG_PICK(&r, frags);
                size_t fl = strlen(f);
                if (len + fl >= sizeof buf) break;
                memcpy(buf + len, f, fl);
                len += fl;
                if (fasv_rng_chance(&r, 30)) buf[len++] = (char)('0' + fasv_rng_below(&r, 10));
            }
        }
        fasv_case c;
        char err[512];
        if (fasv_case_parse(buf, len, "m.case", &c, err, sizeof err) == 0) {
            parsed++;
            if (!stable(&c)) unstable++;
        } else if (strncmp(err, "m.case:", 7) != 0 || strchr(err, '\n')) {
            bad_err++;
        }
    }
    CHECKF(unstable == 0, "%d parsed inputs do not print stably", unstable);
    CHECKF(bad_err == 0, "%d errors not of the form FILE:LINE: message", bad_err);
    CHECKF(parsed > 100, "only %d of 10000 inputs parsed: the mutator is too destructive to test printing", parsed);
}

int main(void) {
    test_examples_round_trip();
    test_errors();
    test_random_and_mutated();
    return check_report("test_case");
}
