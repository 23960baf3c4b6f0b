/* fasv/build.h — make cases from the parameters engineers think in, and at random.
 *
 * Owns: (1) fasv_build: a node from test-backend-ops style parameters (hsk,
 * hsv, nh = KV heads, gqa, nr3 = sequences, kv = n_kv, nb = n_q, ...) plus the
 * layouts real servers use (llama.cpp's KV cache view with heads interleaved
 * and a capacity larger than n_kv; permuted q; V as a view of K; row padding;
 * byte offsets). (2) fasv_random_case: a structure-aware generator of LEGAL
 * cases that favours the values planners branch on (head sizes of real
 * models, GQA ratios, n_kv around every common stride, odd n_q, masks and
 * flags, misaligned strides), driven by fasv_rng so that fuzzers' bytes and
 * seeds produce cases alike.
 * Must not know: any planner, device behaviour or kernel.
 */
#ifndef FASV_BUILD_H
#define FASV_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "fasv/case.h"
#include "fasv/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fasv_build {
    int64_t hsk, hsv;     /* head sizes Dk, Dv */
    int64_t nh;           /* KV heads (n_head_kv) */
    int64_t gqa;          /* query heads per KV head */
    int64_t nr3;          /* sequences of q (n_seq) */
    int64_t nr3_kv;       /* sequences of k/v (n_seq_k); 0 = nr3 */
    int64_t kv;           /* n_kv */
    int64_t nb;           /* n_q (query rows) */
    fasv_type type_k, type_v;
    bool mask;
    int64_t mask_heads;   /* m2: 1 = broadcast over heads; must divide n_head */
    int64_t mask_seqs;    /* m3: 1 = broadcast over sequences; must divide n_seq */
    int64_t mask_pad;     /* n_q_pad: 0 = n_q */
    bool sinks;
    float scale;          /* NaN = 1/sqrt(hsk) */
    float max_bias, softcap;
    fasv_prec prec;
    int64_t kv_capacity;  /* > kv: llama.cpp cache layout (heads interleaved per token, capacity rows) */
    bool kv_cache_layout; /* heads interleaved per token even when capacity == kv */
    bool permute_q;       /* q stored as [Dk, n_head, n_q, n_seq] and viewed permuted */
    bool v_view_of_k;     /* v = first hsv values of each k row (needs type_k == type_v, hsv <= hsk) */
    int64_t pad_q, pad_k, pad_v, pad_mask; /* extra bytes after each row (stride gaps) */
    int64_t off_q, off_k, off_v, off_mask; /* byte offsets of the views */
    char device[FASV_DEVICE_NAME_MAX];
    uint64_t seed;
    fasv_dist dist;
} fasv_build;

void fasv_build_defaults(fasv_build *b);
/* Build; -1 with err when the parameters contradict each other (e.g. a V view
 * of K with other types). The node may still be illegal for the op (an odd
 * gqa split, a quantized row of 40 values): check it with fasv_node_check. */
int fasv_build_case(const fasv_build *b, fasv_case *out, char *err, size_t errlen);

/* What the random generator leans toward. FASV_FOCUS_DECODE: long-context
 * decode -- one query row, 512..32768 keys (before the budget shrinks them),
 * mostly the head sizes 64/128/256 with Dk = Dv and the KV-cache types
 * f16/bf16/q8_0 that split-KV decode kernels are typed for; every other
 * choice (heads, GQA, mask, flags, precision, layout, data) drawn as usual.
 * The split-KV routes are rare without it (n_q = 1, long KV and an exact
 * head size and type must meet). */
typedef enum fasv_focus { FASV_FOCUS_NONE = 0, FASV_FOCUS_DECODE = 1 } fasv_focus;

/* Options of the random generator. */
typedef struct fasv_rand_opts {
    int64_t max_bytes;   /* bound on all buffers; 0 = shapes only (planner fuzzing, up to real sizes) */
    int64_t max_work;    /* bound on n_head*n_seq*n_q*n_kv*(Dk+Dv); 0 = none */
    bool tiny;           /* small head sizes and counts, for oracle property tests */
    bool no_views;       /* contiguous tensors only */
    const char *device;  /* device name to put in the case, or NULL */
    fasv_focus focus;    /* FASV_FOCUS_NONE: the general mix (ignored with tiny) */
} fasv_rand_opts;

/* A random legal case. Always legal: the result passes fasv_node_check. */
void fasv_random_case(fasv_rng *r, const fasv_rand_opts *o, fasv_case *out);

/* Head-size pairs of real models (Dk, Dv), for generators and sweeps. */
extern const int64_t fasv_model_head_pairs[][2];
extern const int fasv_model_head_pairs_count;

#ifdef __cplusplus
}
#endif
#endif
