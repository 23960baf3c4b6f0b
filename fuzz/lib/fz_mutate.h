/* fz_mutate.h — the structure-aware mutator.
 *
 * Owns: mutations of a decoded case in the vocabulary planners branch on
 * (n_kv to a multiple of a KV stride +-1, head-size pairs, GQA ratios to
 * primes and powers of two, query rows, sequences, mask / sinks / softcap /
 * ALiBi / precision toggles, mask broadcast shapes, K/V types, strides
 * misaligned by one element, tensors turned into views or made contiguous),
 * and the engine glue that turns one input into the next (libFuzzer's
 * LLVMFuzzerCustomMutator and AFL++'s custom mutator call it).
 * Every mutation is a fz_edit transaction, so a legal case stays legal.
 * Must not know: planners, devices' behaviour, engines' internals.
 */
#ifndef FASV_FZ_MUTATE_H
#define FASV_FZ_MUTATE_H

#include <stddef.h>
#include <stdint.h>

#include "fasv/build.h"
#include "fasv/case.h"
#include "fasv/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fasv_mut {
    FASV_MUT_NKV_STRIDE = 0, /* n_kv = k * stride + {-1, 0, +1} */
    FASV_MUT_NKV_NEAR,       /* n_kv nudged, or a small n_kv */
    FASV_MUT_HEADS,          /* head-size pair (real models, multiples of 8 or 32, odd sizes) */
    FASV_MUT_GQA,            /* GQA ratio: primes, powers of two, 6 10 12 20 */
    FASV_MUT_NHEAD_KV,       /* KV heads, ratio kept */
    FASV_MUT_NQ,             /* query rows (decode, draft, batch, prefill) */
    FASV_MUT_NSEQ,           /* sequences and K/V sequence broadcast */
    FASV_MUT_MASK,           /* mask on/off (off also drops ALiBi) */
    FASV_MUT_MASK_SHAPE,     /* mask planes per head/sequence, row padding */
    FASV_MUT_SINKS,          /* sinks on/off */
    FASV_MUT_SOFTCAP,        /* softcap on/off/value */
    FASV_MUT_ALIBI,          /* ALiBi on (adds a mask) / off */
    FASV_MUT_PARAMS,         /* precision toggle, scale */
    FASV_MUT_TYPES,          /* K/V types */
    FASV_MUT_MISALIGN,       /* a stride or offset moved by one element */
    FASV_MUT_VIEW,           /* offset view, KV-cache layout, permuted q, V view of K, buffer slack */
    FASV_MUT_CONTIGUOUS,     /* a tensor made contiguous */
    FASV_MUT_DATA,           /* data seed and distribution */
    FASV_MUT_COUNT
} fasv_mut;

const char *fasv_mut_name(fasv_mut m);

typedef struct fasv_mutate_opts {
    /* Bounds kept by every mutation and used for fresh cases: tiny (small
     * sizes, for the oracle), max_work, max_bytes as in fasv_rand_opts. */
    fasv_rand_opts rand;
} fasv_mutate_opts;

/* Apply one mutation of kind m: 0, or -1 when it does not apply or would
 * break legality or the bounds (the case is then untouched). */
int fasv_mutate_one(fasv_case *c, fasv_mut m, fasv_rng *r, const fasv_mutate_opts *o);
/* Apply one to four random mutations; returns how many applied. */
int fasv_mutate(fasv_case *c, fasv_rng *r, const fasv_mutate_opts *o);
/* Does the case respect the bounds of o? */
int fasv_mutate_within(const fasv_case *c, const fasv_mutate_opts *o);

/* Engine glue. data holds size bytes of any input form and has room for
 * max_size; the result (usually a record) is written back and its size
 * returned. Deterministic in seed. bytemut is the engine's byte-level
 * mutator (LLVMFuzzerMutate) or NULL; it is used for a share of the calls so
 * that producer streams and record fields are mutated as bytes too. */
typedef size_t (*fasv_bytemut_fn)(uint8_t *data, size_t size, size_t max_size);
size_t fasv_custom_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed, const fasv_mutate_opts *o,
                          fasv_bytemut_fn bytemut);

#ifdef __cplusplus
}
#endif
#endif
