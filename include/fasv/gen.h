/* fasv/gen.h — deterministic input tensors for a case.
 *
 * Owns: turning (case, seed, distribution) into the bytes of every buffer the
 * node reads, identical on every run and host, with every byte that no view
 * element covers (stride gaps, slack in a KV cache of larger capacity,
 * mask padding rows past n_q) set to 0xFF: a NaN in f32, f16 and bf16, and a
 * NaN scale in every quantized block, so a kernel that reads padding shows it.
 * Every value a view reads is finite, except -inf entries of masks and sinks,
 * also when views alias one buffer at different byte alignments.
 * Must not know: planners, kernels, the oracle.
 */
#ifndef FASV_GEN_H
#define FASV_GEN_H

#include <stdint.h>

#include "fasv/case.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FASV_PAD_BYTE 0xFF
#define FASV_GEN_DEFAULT_MAX_BYTES ((int64_t)2 << 30) /* 2 GiB over all buffers */

typedef struct fasv_data {
    uint8_t *buf[FASV_NT];  /* buffer owned by tensor i; NULL when absent or shared */
    int64_t bytes[FASV_NT]; /* its size */
} fasv_data;

/* Generate the buffers. max_bytes bounds the total (0 = the default); a node
 * over it, or an illegal node, gives -1 with a reason in err. */
int fasv_gen(const fasv_case *c, fasv_data *d, int64_t max_bytes, char *err, size_t errlen);
void fasv_data_free(fasv_data *d);

/* Address of element [0,0,0,0] of tensor id (its buffer + offset). */
const uint8_t *fasv_data_base(const fasv_data *d, const fasv_node *n, fasv_tid id);

/* Address of row (i1, i2, i3) of tensor id. */
const uint8_t *fasv_data_row(const fasv_data *d, const fasv_node *n, fasv_tid id, int64_t i1,
                             int64_t i2, int64_t i3);

/* Values of tensor id widened to float (quantized blocks dequantized), in
 * logical order, ne[0] fastest: out holds ne[0]*ne[1]*ne[2]*ne[3] floats. */
void fasv_data_read_f32(const fasv_data *d, const fasv_node *n, fasv_tid id, float *out);

/* Mark in map (one byte per buffer byte of tensor id's buffer) every byte that
 * some present view element occupies. Used to find the padding. */
void fasv_cover_map(const fasv_node *n, fasv_tid owner, uint8_t *map, int64_t map_bytes);

#ifdef __cplusplus
}
#endif
#endif
