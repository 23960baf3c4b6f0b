/* check.h — the assertion library of fasv's tests.
 * CHECK(cond) and CHECKF(cond, fmt, ...) count checks and failures and print
 * file:line of each failure; check_report() prints the tally and gives the
 * exit status. A test with zero checks fails: it asserted nothing. */
#ifndef FASV_TEST_CHECK_H
#define FASV_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures, check_count;

#define CHECKF(cond, ...)                                                   \
    do {                                                                    \
        check_count++;                                                      \
        if (!(cond)) {                                                      \
            check_failures++;                                               \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

#define CHECK(cond) CHECKF(cond, "%s", "")

static inline int check_report(const char *name) {
    if (check_count == 0) {
        fprintf(stderr, "%s: no checks ran\n", name);
        return 1;
    }
    fprintf(stderr, "%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
