/* afl_mutator.c — the structure-aware mutator as an AFL++ custom mutator
 * library (libfasv_afl_mutator.so), so afl-fuzz edits decoded cases as
 * libFuzzer does through LLVMFuzzerCustomMutator:
 *   AFL_CUSTOM_MUTATOR_LIBRARY=build/default/fuzz/libfasv_afl_mutator.so \
 *   afl-fuzz -i corpus/fuzz_route -o out -- build/afl/fuzz/fuzz_route_afl
 * FASV_MUTATOR_TINY=1 keeps cases small (for fuzz_oracle). Built only in
 * plain (uninstrumented, unsanitized) builds: afl-fuzz loads it into itself.
 * Must not know: harnesses; afl-fuzz internals beyond the custom-mutator API.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fz_input.h"
#include "fz_mutate.h"

typedef struct mstate {
    uint8_t *buf;
    size_t cap;
    uint64_t rng;
    fasv_mutate_opts o;
} mstate;

void *afl_custom_init(void *afl, unsigned int seed) {
    (void)afl;
    mstate *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rng = seed ? seed : 1;
    const char *tiny = getenv("FASV_MUTATOR_TINY");
    if (tiny && *tiny == '1') {
        m->o.rand.tiny = true;
        m->o.rand.max_work = 1 << 20;
    }
    return m;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf, uint8_t *add_buf,
                       size_t add_buf_size, size_t max_size) {
    (void)add_buf, (void)add_buf_size;
    mstate *m = (mstate *)data;
    size_t need = buf_size > FASV_RECORD_SIZE ? buf_size : FASV_RECORD_SIZE;
    if (need > m->cap) {
        uint8_t *nb = realloc(m->buf, need);
        if (!nb) {
            *out_buf = buf;
            return buf_size;
        }
        m->buf = nb;
        m->cap = need;
    }
    memcpy(m->buf, buf, buf_size);
    m->rng = m->rng * 6364136223846793005ull + 1442695040888963407ull;
    size_t n = fasv_custom_mutate(m->buf, buf_size, m->cap < max_size ? m->cap : max_size, (unsigned)(m->rng >> 33),
                                  &m->o, NULL);
    *out_buf = m->buf;
    return n;
}

void afl_custom_deinit(void *data) {
    mstate *m = (mstate *)data;
    if (m) free(m->buf);
    free(m);
}
