/* fuzz_oracle.c — harness: the oracle on tiny nodes against its metamorphic
 * relations (fasv_oracle_metamorphic: thread count, key block, single-loop
 * implementation, contiguous and re-strided copies, key permutation, mask
 * shift, V scaling, broadcast expansion, dequantized copies).
 *
 * Input: any form of fz_input.h; streams decode with the generator's tiny
 * sizes, and a case outside the tiny bounds (text, records) is rejected
 * (-1), as is one the oracle cannot run. The relations' own choices
 * (permutation, constant, layout) come from a seed hashed from the input, so
 * an input always replays the same way. A broken relation prints why and
 * the readable case, then aborts. The custom mutator keeps cases tiny.
 * Must not know: planners, devices. Thin: the logic is in oracle/ and fuzz/lib.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fasv/oracle.h"
#include "fz_input.h"
#include "fz_mutate.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));

static const fasv_mutate_opts g_mopts = {.rand = {.tiny = true, .max_work = 1 << 16, .max_bytes = 1 << 20}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fasv_case c;
    if (fasv_input_decode(data, size, &g_mopts.rand, &c, NULL, 0) == FASV_INPUT_BAD) return -1;
    if (fasv_node_check(&c.node, NULL, 0) != FASV_LEGAL || !fasv_mutate_within(&c, &g_mopts)) return -1;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 0x100000001b3ull;
    fasv_rng r;
    fasv_rng_seed(&r, h);
    char why[1024];
    int rc = fasv_oracle_metamorphic(&c, &r, why, sizeof why);
    if (rc < 0) return -1;
    if (rc > 0) {
        char *text = fasv_case_to_string(&c);
        fprintf(stderr, "== fasv finding: the oracle breaks a metamorphic relation\n%s\n-- case --\n%s-- end --\n", why,
                text ? text : "(out of memory)\n");
        free(text);
        abort();
    }
    return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    return fasv_custom_mutate(data, size, max_size, seed, &g_mopts, LLVMFuzzerMutate);
}
