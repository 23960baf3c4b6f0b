/* fz_shrink.h — the reducer's machinery for any notion of "the same bug".
 *
 * Owns: the reduction order (fz_reduce.h describes it) driven by a
 * predicate, the comments of a reduced case, and the size summaries reports
 * print. fz_reduce.h builds route reduction on it; `fasv reduce --oracle`
 * builds oracle reduction on it. Knows cases only (no fasv/props.h, so it
 * can be used next to fasv/oracle.h).
 * Must not know: targets, the oracle.
 */
#ifndef FASV_FZ_SHRINK_H
#define FASV_FZ_SHRINK_H

#include <stdint.h>

#include "fasv/case.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The reduction order with any notion of "the same bug": pred returns 1
 * when a legal candidate still shows it (it sees the whole case: data seed
 * and distribution are kept). Used for route findings by fasv_reduce and for
 * oracle findings by `fasv reduce --oracle`. out gets the reduced case
 * (comments as in the input). 0, or -1 out of memory. */
typedef int (*fasv_reduce_pred)(void *ctx, const fasv_case *c);
int fasv_reduce_generic(const fasv_case *in, fasv_reduce_pred pred, void *ctx, fasv_case *out, int *steps,
                        int *tries);
/* The comments of a reduced case: in's, less the annotations of an earlier
 * finding or reduction (signature, property, detail, original, reduced,
 * relation lines). */
void fasv_reduce_annotate(fasv_case *r, const fasv_case *in);

/* "n_head=8 (kv 2) n_seq=1 (kv 1) n_q=11 n_kv=1806 Dk=256 Dv=256 mask sinks,
 * 12345 bytes" */
void fasv_case_size_line(const fasv_case *c, char *out, size_t len);
/* Bytes of every buffer the case owns. */
int64_t fasv_case_bytes(const fasv_case *c);

#ifdef __cplusplus
}
#endif
#endif
