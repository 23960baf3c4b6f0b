/* fuzz_case.c — harness: the case-file parser and printer.
 *
 * Any bytes: parsing never crashes and fails with one line "<input>:LINE:
 * message". Parsed text: the canonical print parses again, prints the same
 * text (idempotence), keeps the legality verdict, and survives the binary
 * node record (fz_input) unchanged. A broken property prints both texts and
 * aborts.
 * Must not know: planners. Thin: checks only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/case.h"
#include "fz_input.h"

static void fail(const char *what, const char *a, const char *b) {
    fprintf(stderr, "fuzz_case: %s\n-- first --\n%s-- second --\n%s-- end --\n", what, a ? a : "", b ? b : "");
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fasv_case a, b, r;
    char err[640];
    if (fasv_case_parse((const char *)data, size, "<input>", &a, err, sizeof err) != 0) {
        if (strncmp(err, "<input>:", 8) != 0 || strchr(err, '\n')) fail("parse error is not one FILE:LINE line", err, NULL);
        return 0;
    }
    char *t1 = fasv_case_to_string(&a);
    if (!t1) abort();
    if (strlen(t1) != fasv_case_print(&a, NULL, 0)) fail("printed length differs from the length reported", t1, NULL);
    if (fasv_case_parse(t1, strlen(t1), "<canonical>", &b, err, sizeof err) != 0) fail(err, t1, NULL);
    char *t2 = fasv_case_to_string(&b);
    if (!t2) abort();
    if (strcmp(t1, t2) != 0) fail("canonical text is not a fixed point of parse+print", t1, t2);
    if (fasv_node_check(&a.node, NULL, 0) != fasv_node_check(&b.node, NULL, 0))
        fail("the legality verdict changed across a round trip", t1, t2);

    /* the record keeps everything of a legal case but the comments (it
     * stores sizes in 32 bits, so it is lossless only inside the limits) */
    if (fasv_node_check(&a.node, NULL, 0) != FASV_LEGAL) {
        free(t1), free(t2);
        return 0;
    }
    uint8_t rec[FASV_RECORD_SIZE];
    fasv_record_encode(&a, rec);
    if (fasv_record_decode(rec, sizeof rec, &r) != 0) fail("record does not decode", t1, NULL);
    a.comments[0] = 0;
    char *t3 = fasv_case_to_string(&a), *t4 = fasv_case_to_string(&r);
    if (!t3 || !t4) abort();
    if (strcmp(t3, t4) != 0) fail("the node record changed the case", t3, t4);
    free(t1), free(t2), free(t3), free(t4);
    return 0;
}
