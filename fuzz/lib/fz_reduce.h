/* fz_reduce.h — shrink a failing case while its signature stays the same.
 *
 * Owns: the reduction order and its fixpoint: features off (sinks, softcap,
 * ALiBi, mask, f32 precision; mask planes broadcast, mask rows unpadded),
 * views made contiguous (else offsets, gaps, orders and slack undone one by
 * one), then fewer sequences, KV heads, GQA ratio, query rows and keys
 * (each tried smallest first: 1, then v - 2^k), until no edit keeps the
 * signature. Deterministic: no randomness, a fixed order. Head sizes and
 * K/V types are never changed: the signature names them, so a case with
 * other head sizes is another bucket, not a smaller copy of this one.
 * Must not know: how the target decides.
 */
#ifndef FASV_FZ_REDUCE_H
#define FASV_FZ_REDUCE_H

#include "fasv/props.h"
#include "fz_shrink.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fasv_reduce_result {
    fasv_case reduced;          /* annotated with signature, property and sizes */
    fasv_finding finding;       /* the violation of the reduced case */
    char original_size[160];    /* fasv_case_size_line of the input */
    char reduced_size[160];
    int steps;                  /* edits accepted */
    int tries;                  /* candidates checked */
} fasv_reduce_result;

/* Reduce a LEGAL case that violates a property on dev (NULL: the case's
 * device line when it violates there, else the first violating device in
 * table order). Returns 0, 1 when there is no violation to reduce, or -1
 * with err for an illegal case or an unknown device line. */
int fasv_reduce(const fasv_target *t, const fasv_case *in, const fasv_device *dev, fasv_reduce_result *out, char *err,
                size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
