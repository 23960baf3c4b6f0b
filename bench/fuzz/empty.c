/* empty.c — the baseline of bench/fuzz: a harness that does nothing, built
 * and run exactly like fuzz_route, so that fuzz_route's execs/s can be
 * reported as a ratio to the engine's own cost on the same machine and run.
 */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)data, (void)size;
    return 0;
}
