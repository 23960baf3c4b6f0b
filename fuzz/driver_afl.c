/* driver_afl.c — AFL++ persistent-mode driver of every harness (built with
 * afl-clang-fast; with AFL_LLVM_CMPLOG=1 for the CmpLog build).
 *
 * Under afl-fuzz: the test case arrives in shared memory and one process
 * runs many of them (__AFL_LOOP). Outside afl-fuzz: files named on the
 * command line are replayed, else one input is read from stdin.
 * The harnesses' structure-aware mutator reaches AFL++ through the custom
 * mutator library (fuzz/afl_mutator.c), not through this driver.
 * Must not know: what the harness checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef __AFL_FUZZ_TESTCASE_LEN
#error "driver_afl.c is built with afl-clang-fast (preset afl)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Harnesses may ask for the engine's byte mutator; under AFL++ mutation
 * happens in afl-fuzz, so this one leaves the input as it is. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) {
    (void)data, (void)max_size;
    return size;
}

__AFL_FUZZ_INIT();

static int replay(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return 2;
    }
    size_t cap = 1 << 20;
    uint8_t *buf = malloc(cap);
    size_t len = buf ? fread(buf, 1, cap, f) : 0;
    fclose(f);
    if (!buf) return 2;
    uint8_t *exact = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++) exact[i] = buf[i];
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

int main(int argc, char **argv) {
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    if (argc > 1 && !getenv("__AFL_SHM_ID")) {
        int rc = 0;
        for (int i = 1; i < argc; i++)
            if (argv[i][0] != '-') rc |= replay(argv[i]);
        return rc;
    }
    __AFL_INIT();
    unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(100000)) {
        int len = __AFL_FUZZ_TESTCASE_LEN;
        LLVMFuzzerTestOneInput(buf, (size_t)len);
    }
    return 0;
}
