/* fuzz_route.c — harness: bytes -> a legal node -> a plan on every modeled
 * device -> route properties 1-3 (totality, contract, determinism, and
 * well-formed routes).
 *
 * Input: any form of fz_input.h (case text, node record, producer stream);
 * an input that decodes to an illegal node returns -1 and never enters the
 * corpus. A violation prints the finding block (signature, explain block,
 * readable case) and aborts, so the engine keeps the input.
 * Target: the built-in planner, or the one FASV_PLANNER names, resolved by
 * fasv_target_resolve. The custom mutator edits the decoded structure.
 * Must not know: any planner's rules. Thin by design: the logic lives in
 * fuzz/lib.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fasv/node.h"
#include "fz_input.h"
#include "fz_mutate.h"
#include "fz_target.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));

static const fasv_target *g_target;
static const fasv_mutate_opts g_mopts; /* shapes only: planners see real sizes */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    char err[512];
    g_target = fasv_target_resolve(fasv_target_spec_from_env(), err, sizeof err);
    if (!g_target) {
        fprintf(stderr, "fuzz_route: %s\n", err);
        exit(2);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fasv_case c; /* static: no 5 KiB stack frame per execution */
    if (!g_target) LLVMFuzzerInitialize(NULL, NULL);
    if (fasv_input_decode(data, size, NULL, &c, NULL, 0) == FASV_INPUT_BAD) return -1;
    if (fasv_node_check(&c.node, NULL, 0) != FASV_LEGAL) return -1;
    fasv_finding f;
    if (fasv_check_devices(g_target, &c.node, NULL, &f)) {
        fasv_finding_case(g_target, &f, &c, &c);
        fasv_finding_print(stderr, g_target, &f, &c);
        abort();
    }
    return 0;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    return fasv_custom_mutate(data, size, max_size, seed, &g_mopts, LLVMFuzzerMutate);
}
