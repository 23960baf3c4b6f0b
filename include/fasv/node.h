/* fasv/node.h — one ggml FLASH_ATTN_EXT node, and what makes it legal.
 *
 * Owns: the description of the attention node (q, k, v, optional mask and
 * sinks, each a strided view at a byte offset into a buffer; scale, max_bias,
 * logit_softcap, precision), the legality rules of the op, and the byte
 * geometry of views (extents, which bytes a view touches).
 * Must not know: devices, planners, kernels, data values. "Legal" is legal for
 * the op as ggml defines it, never "some kernel supports it".
 *
 * Layout (ggml conventions: ne[0] fastest, nb[] in bytes):
 *   q     [Dk, n_q,  n_head,    n_seq]    f32
 *   k     [Dk, n_kv, n_head_kv, n_seq_k]  any of the eight types
 *   v     [Dv, n_kv, n_head_kv, n_seq_k]  any of the eight types (not transposed)
 *   mask  [n_kv, n_q_pad >= n_q, m2, m3]  f16, optional
 *   sinks [n_head, 1, 1, 1]               f32, optional
 *   out   [Dv, n_head, n_q, n_seq]        f32, contiguous (derived, not stored)
 *
 * Buffers: every tensor lives in a buffer. Normally it owns one (buf == its
 * own id, buf_bytes = the buffer's size, which may exceed what the view
 * touches, e.g. a KV cache of larger capacity). A tensor may instead live in
 * an earlier tensor's buffer (buf = that id, buf_bytes unused): this is how
 * "V is a view of K" (MLA) is written.
 */
#ifndef FASV_NODE_H
#define FASV_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fasv/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fasv_tid {
    FASV_Q = 0,
    FASV_K,
    FASV_V,
    FASV_MASK,
    FASV_SINKS,
    FASV_NT /* number of tensors */
} fasv_tid;

typedef enum fasv_prec { FASV_PREC_DEFAULT = 0, FASV_PREC_F32 } fasv_prec;

/* Hard limits that keep every byte computation inside int64. A node beyond
 * them is rejected with a reason naming the limit, not silently wrapped. */
#define FASV_MAX_NE ((int64_t)1 << 31)
#define FASV_MAX_BYTES ((int64_t)1 << 50)

typedef struct fasv_tensor {
    fasv_type type;
    int64_t ne[4];
    int64_t nb[4];     /* byte strides; nb[0] is the element (or block) size */
    int64_t offset;    /* byte offset of element [0,0,0,0] in its buffer */
    int buf;           /* fasv_tid of the tensor owning the buffer */
    int64_t buf_bytes; /* size of the owned buffer; ignored when buf != own id */
} fasv_tensor;

typedef struct fasv_node {
    union {
        struct {
            fasv_tensor q, k, v, mask, sinks;
        };
        fasv_tensor t[FASV_NT];
    };
    bool has_mask;
    bool has_sinks;
    float scale;
    float max_bias;
    float softcap; /* logit_softcap; 0 = off */
    fasv_prec prec;
} fasv_node;

const char *fasv_tid_name(fasv_tid id); /* "q", "k", "v", "mask", "sinks" */
const char *fasv_prec_name(fasv_prec p); /* "default", "f32" */

/* Derived sizes. */
static inline int64_t fasv_dk(const fasv_node *n) { return n->q.ne[0]; }
static inline int64_t fasv_dv(const fasv_node *n) { return n->v.ne[0]; }
static inline int64_t fasv_nq(const fasv_node *n) { return n->q.ne[1]; }
static inline int64_t fasv_nhead(const fasv_node *n) { return n->q.ne[2]; }
static inline int64_t fasv_nseq(const fasv_node *n) { return n->q.ne[3]; }
static inline int64_t fasv_nkv(const fasv_node *n) { return n->k.ne[1]; }
static inline int64_t fasv_nhead_kv(const fasv_node *n) { return n->k.ne[2]; }
static inline int64_t fasv_nseq_kv(const fasv_node *n) { return n->k.ne[3]; }
static inline int64_t fasv_gqa(const fasv_node *n) { return n->q.ne[2] / (n->k.ne[2] ? n->k.ne[2] : 1); }
/* Number of output floats: Dv * n_head * n_q * n_seq. */
int64_t fasv_out_count(const fasv_node *n);

/* Is tensor id present in the node (q, k, v always; mask and sinks by flag)? */
bool fasv_node_has(const fasv_node *n, fasv_tid id);

/* Bytes from the view's offset to one past its last byte (0 for an absent
 * tensor): offset + sum((ne[i]-1)*nb[i]) + bytes of one row. */
int64_t fasv_tensor_end(const fasv_tensor *t);
/* Bytes of one contiguous row (ne[0] values). */
int64_t fasv_tensor_row_bytes(const fasv_tensor *t);
/* Size of the buffer that tensor id lives in. */
int64_t fasv_node_buf_bytes(const fasv_node *n, fasv_tid id);

/* Fill t's nb[] for a contiguous layout of its type and ne[], offset 0,
 * own buffer of exactly the bytes needed. */
void fasv_tensor_contiguous(fasv_tensor *t, fasv_tid self);

/* Legality. Every rule has a code so tests can check which rule fired. */
typedef enum fasv_illegal {
    FASV_LEGAL = 0,
    FASV_ILL_TYPE,          /* q not f32, mask not f16, sinks not f32, unknown type */
    FASV_ILL_NE_RANGE,      /* an ne[] < 1 or > FASV_MAX_NE */
    FASV_ILL_HEAD_DIM,      /* q.ne[0] != k.ne[0], or k/v ne[1..3] differ */
    FASV_ILL_HEAD_BCAST,    /* n_head % n_head_kv != 0 */
    FASV_ILL_SEQ_BCAST,     /* n_seq % n_seq_k != 0 */
    FASV_ILL_QUANT_ROW,     /* quantized row length not a multiple of 32 */
    FASV_ILL_ROW_STRIDE,    /* nb[0] is not the element/block size */
    FASV_ILL_ALIGN,         /* offset or stride not a multiple of the type's alignment */
    FASV_ILL_OVERLAP,       /* strides let rows or planes overlap */
    FASV_ILL_BUFFER,        /* view outside its buffer, bad buffer reference, or too large */
    FASV_ILL_MASK_SHAPE,    /* mask ne[0] != n_kv or ne[1] < n_q */
    FASV_ILL_MASK_BCAST,    /* n_head % m2 or n_seq % m3 != 0 */
    FASV_ILL_SINKS_SHAPE,   /* sinks not [n_head,1,1,1] */
    FASV_ILL_ALIBI_NO_MASK, /* max_bias > 0 without a mask */
    FASV_ILL_PARAM,         /* scale/max_bias/softcap not finite, or negative bias/softcap */
    FASV_ILL_COUNT
} fasv_illegal;

const char *fasv_illegal_name(fasv_illegal code); /* short stable name, e.g. "head-bcast" */

/* Check the node. Returns FASV_LEGAL, or the code of the first rule broken and
 * a one-line reason naming the tensor, the dimension and the rule, e.g.
 * "k: n_head_kv (ne[2]=3) does not divide q's n_head (ne[2]=8)". */
fasv_illegal fasv_node_check(const fasv_node *n, char *reason, size_t reason_len);

#ifdef __cplusplus
}
#endif
#endif
