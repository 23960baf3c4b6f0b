/* fz_edit.h — legality-preserving edits of a node, shared by the
 * structure-aware mutator and the reducer.
 *
 * Owns: the logical shape of a node (head sizes, query rows, heads,
 * sequences, keys, mask planes) and edits that change it, its types, its
 * features or its layout while keeping everything else: the memory order of
 * each tensor's dimensions, the gaps between them (row padding, KV-cache
 * capacity), byte offsets, slack at the end of buffers, and tensors that
 * share a buffer (V as a view of K keeps K's strides). Every edit is a
 * transaction: it returns 0, or -1 and leaves the node untouched when the
 * result would be illegal for the op (fasv_node_check) or would not fit the
 * byte limits.
 * Must not know: planners, devices, random choices (callers choose).
 */
#ifndef FASV_FZ_EDIT_H
#define FASV_FZ_EDIT_H

#include <stdint.h>

#include "fasv/node.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fasv_shape {
    int64_t dk, dv;          /* head sizes */
    int64_t nq;              /* query rows */
    int64_t nhead, nhead_kv; /* query heads, KV heads */
    int64_t nseq, nseq_k;    /* sequences of q and of k/v */
    int64_t nkv;             /* keys */
    int64_t mask_pad;        /* mask rows (>= nq); used when the node has a mask */
    int64_t m2, m3;          /* mask planes over heads and sequences */
} fasv_shape;

void fasv_shape_get(const fasv_node *n, fasv_shape *s);

/* Resize every tensor to s, keeping layouts (see above). Sinks follow nhead. */
int fasv_edit_reshape(fasv_node *n, const fasv_shape *s);
/* Change the K and V types (rows re-sized, layouts kept). */
int fasv_edit_types(fasv_node *n, fasv_type tk, fasv_type tv);
/* Make one tensor contiguous in a buffer of its own with no slack (tensors
 * living in its buffer are made contiguous first). */
int fasv_edit_contiguous(fasv_node *n, fasv_tid id);
/* Add a contiguous f16 mask [n_kv, pad, 1, 1] (pad < n_q means n_q), or
 * remove the mask together with ALiBi (which needs it). */
int fasv_edit_mask(fasv_node *n, int on, int64_t pad);
/* Add contiguous f32 sinks [n_head], or remove them. */
int fasv_edit_sinks(fasv_node *n, int on);
/* Add delta bytes to the gap before the pos-th outer dimension in memory
 * order (pos 0: the row padding). */
int fasv_edit_gap(fasv_node *n, fasv_tid id, int pos, int64_t delta);
/* Lay dims 1..3 of a tensor out in a new memory order (fastest first),
 * keeping the gaps by position. */
int fasv_edit_order(fasv_node *n, fasv_tid id, const int order[3]);
/* Move a view by delta bytes inside its (grown) buffer. */
int fasv_edit_offset(fasv_node *n, fasv_tid id, int64_t delta);
/* Set the unused bytes at the end of the buffer id owns. */
int fasv_edit_slack(fasv_node *n, fasv_tid id, int64_t bytes);
/* Make id a view into owner's buffer with owner's strides and offset (as
 * V is a view of K for MLA). */
int fasv_edit_view_of(fasv_node *n, fasv_tid id, fasv_tid owner);

/* Memory order of a tensor's dims 1..3 (fastest first) and their gaps. */
void fasv_layout_get(const fasv_tensor *t, int order[3], int64_t gap[3]);
/* Is the tensor contiguous in its own buffer, with no offset and no slack? */
int fasv_is_contiguous(const fasv_node *n, fasv_tid id);

#ifdef __cplusplus
}
#endif
#endif
