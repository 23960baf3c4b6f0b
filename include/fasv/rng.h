/* fasv/rng.h — deterministic random choices from a seed or from fuzzer bytes.
 *
 * Owns: one interface for "make a choice" with two sources: a seeded PRNG
 * (xoshiro256**, identical on every host) and a byte stream (a fuzzer's
 * input, consumed front to back; zeros once exhausted), so the same
 * structure-aware generator serves `fasv fuzz`, libFuzzer and AFL++.
 * Must not know: nodes or cases.
 */
#ifndef FASV_RNG_H
#define FASV_RNG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fasv_rng {
    uint64_t s[4];
    const uint8_t *bytes; /* non-NULL: byte-stream source */
    size_t len, pos;
} fasv_rng;

void fasv_rng_seed(fasv_rng *r, uint64_t seed);
/* Independent stream for (seed, a, b): used to give every tensor row its own
 * stream so generation order never changes the bytes. */
void fasv_rng_seed3(fasv_rng *r, uint64_t seed, uint64_t a, uint64_t b);
void fasv_rng_bytes(fasv_rng *r, const uint8_t *data, size_t len);
int fasv_rng_exhausted(const fasv_rng *r);

uint64_t fasv_rng_u64(fasv_rng *r);
/* Uniform integer in [0, n) (n >= 1). Byte sources use as few bytes as n needs. */
uint64_t fasv_rng_below(fasv_rng *r, uint64_t n);
/* Uniform integer in [lo, hi]. */
int64_t fasv_rng_range(fasv_rng *r, int64_t lo, int64_t hi);
/* True with probability pct/100. */
int fasv_rng_chance(fasv_rng *r, int pct);
/* Uniform double in [0, 1) with 53 random bits. */
double fasv_rng_unit(fasv_rng *r);
/* Pick one of n items. */
#define FASV_RNG_PICK(r, arr) ((arr)[fasv_rng_below((r), sizeof(arr) / sizeof((arr)[0]))])

uint64_t fasv_splitmix64(uint64_t *state);

#ifdef __cplusplus
}
#endif
#endif
