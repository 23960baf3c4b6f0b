/* rng.c — seeded xoshiro256** and fuzzer byte streams behind one interface.
 * See fasv/rng.h. Integer-only: the same seed gives the same choices on every
 * host and compiler. */
#include "fasv/rng.h"

uint64_t fasv_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void fasv_rng_seed(fasv_rng *r, uint64_t seed) {
    uint64_t st = seed;
    for (int i = 0; i < 4; i++) r->s[i] = fasv_splitmix64(&st);
    r->bytes = 0;
    r->len = r->pos = 0;
}

void fasv_rng_seed3(fasv_rng *r, uint64_t seed, uint64_t a, uint64_t b) {
    uint64_t st = seed;
    uint64_t h = fasv_splitmix64(&st);
    st = h ^ (a * 0xD6E8FEB86659FD93ull);
    h = fasv_splitmix64(&st);
    st = h ^ (b * 0xA0761D6478BD642Full);
    fasv_rng_seed(r, fasv_splitmix64(&st));
}

void fasv_rng_bytes(fasv_rng *r, const uint8_t *data, size_t len) {
    r->s[0] = r->s[1] = r->s[2] = r->s[3] = 0;
    r->bytes = data;
    r->len = len;
    r->pos = 0;
}

int fasv_rng_exhausted(const fasv_rng *r) { return r->bytes && r->pos >= r->len; }

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t take_bytes(fasv_rng *r, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        uint64_t b = r->pos < r->len ? r->bytes[r->pos++] : 0;
        v |= b << (8 * i);
    }
    return v;
}

uint64_t fasv_rng_u64(fasv_rng *r) {
    if (r->bytes) return take_bytes(r, 8);
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t fasv_rng_below(fasv_rng *r, uint64_t n) {
    if (n <= 1) return 0;
    if (r->bytes) {
        /* As few bytes as n needs; the modulo bias is irrelevant for fuzzing,
         * and small edits of the input make small edits of the choice. */
        int nb = 1;
        while (nb < 8 && (n - 1) >> (8 * nb)) nb++;
        return take_bytes(r, nb) % n;
    }
    /* Lemire's nearly-divisionless method would need 128-bit products; a
     * rejection loop is exact and portable. */
    uint64_t lim = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = fasv_rng_u64(r);
    while (x >= lim);
    return x % n;
}

int64_t fasv_rng_range(fasv_rng *r, int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    return lo + (int64_t)fasv_rng_below(r, (uint64_t)(hi - lo) + 1);
}

int fasv_rng_chance(fasv_rng *r, int pct) { return (int)fasv_rng_below(r, 100) < pct; }

double fasv_rng_unit(fasv_rng *r) { return (double)(fasv_rng_u64(r) >> 11) * 0x1p-53; }
