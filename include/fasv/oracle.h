/* fasv/oracle.h — reference attention, its low-precision calibrators, and the
 * tolerance model that judges any candidate output.
 *
 * Owns: (1) the reference: FLASH_ATTN_EXT (DESIGN §1) computed in double from
 * the exact values a kernel reads (views, strides and offsets honoured,
 * quantized blocks dequantized exactly), multi-threaded and blocked over keys;
 * (2) a single-loop version of the same function, the second implementation
 * tests and the benchmark compare against; (3) two low-precision versions used
 * to calibrate the tolerance: the naive one (a careless kernel in the node's
 * precision mode) and a kernel-like f32 online-softmax tiled one; (4) the
 * tolerance model (compare.c, docs/tolerance.md); (5) metamorphic relations
 * the tests and the fuzz_oracle harness check.
 * Must not know: planners, devices, routes, kernels of any back-end. It sees a
 * node and its buffers (fasv_gen) and nothing else.
 *
 * Output layout (every function here): out [Dv, n_head, n_q, n_seq],
 * contiguous; row r = (s*n_q + i)*n_head + h holds Dv values, element
 * out[r*Dv + d]. NumPy shape [n_seq, n_q, n_head, Dv].
 */
#ifndef FASV_ORACLE_H
#define FASV_ORACLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fasv/case.h"
#include "fasv/gen.h"
#include "fasv/json.h"
#include "fasv/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fasv_oracle_opts {
    int threads;   /* worker threads; 0 = the online CPUs (at most 64) */
    int key_block; /* keys dequantized per block; 0 = chosen from Dk + Dv */
} fasv_oracle_opts;

/* Output rows: n_head * n_q * n_seq. */
int64_t fasv_oracle_rows(const fasv_node *n);

/* What the tolerance model needs to know about each output row besides its
 * values. With w_j the softmax weights of the row WITHOUT the sink (they sum
 * to 1 over the unmasked keys), |v_j| = max_d |v_j[d]| and
 * sigma_j = |scale| * |q|_2 * |k_j|_2 + |slope * mask_j| (a bound on the
 * magnitudes that make up logit j):
 *   scale  W_r = sum_j w_j |v_j|, raised to at least 2^-30 * max_j |v_j| over
 *          the unmasked keys: the unit every error is measured in. 0 exactly
 *          when every key is masked or every value read is 0; the output row
 *          is then exactly 0.
 *   cond   kappa_r = sum_j w_j sigma_j |v_j| / W + sum_j w_j sigma_j (W
 *          unraised; 0 when W is 0): a rounding error of u relative in every
 *          logit term moves the output by about u * kappa_r * W_r. */
typedef struct fasv_row_stat {
    double scale;
    double cond;
} fasv_row_stat;

/* The reference, in double. out receives fasv_out_count(n) values; rows
 * (NULL, or fasv_oracle_rows(n) entries) each row's statistics. The output
 * bits do not depend on the thread count; the key block (default: chosen from
 * Dk + Dv alone) changes only rounding. Returns 0, or -1 with err (illegal
 * node, missing data, out of memory). */
int fasv_oracle_ref(const fasv_node *n, const fasv_data *d, const fasv_oracle_opts *o, double *out,
                    fasv_row_stat *rows, char *err, size_t errlen);

/* The same function written as one loop per output row, one thread, every K
 * and V row dequantized again each time a query row reads it, softmax in two
 * passes (scores, then max, then weights). Agrees with fasv_oracle_ref to
 * double rounding (about 1e-15 of W_r). */
int fasv_oracle_ref_simple(const fasv_node *n, const fasv_data *d, double *out, fasv_row_stat *rows, char *err,
                           size_t errlen);

/* The naive low-precision reference: the function computed as a careless
 * kernel would in the node's precision mode, used as the yardstick of the
 * tolerance (docs/tolerance.md has every rounding step):
 *   prec default: Q rounded to f16; K·Q accumulated in f32 and stored as an
 *     f16 score; scale, softcap and ALiBi mask applied with f16 results;
 *     probabilities exp(s - max) stored as f16; sums and P·V in f32.
 *   prec f32: the same steps with every value kept in f32.
 * Two-pass softmax (max first), the sink only in the denominator, 0 for a
 * fully masked row. Scores that overflow f16 give Inf/NaN rows on purpose. */
int fasv_oracle_naive(const fasv_node *n, const fasv_data *d, const fasv_oracle_opts *o, float *out, char *err,
                      size_t errlen);

/* A kernel-like implementation: tiles of tile_kv keys, f32 online softmax
 * (running max and sum, rescaled per tile), f32 accumulators, the way a
 * FlashAttention kernel computes. The flags add the roundings real kernels
 * make: Q (pre-scaled, as ggml does) to f16, K/V tiles to f16, P to f16 before
 * the P·V product. Used to calibrate and test the tolerance model; never the
 * judge of anything. */
typedef struct fasv_flash_cfg {
    int tile_kv; /* keys per tile; 0 = 32 */
    int q_f16;   /* Q*scale rounded to f16 */
    int kv_f16;  /* K and V rounded to f16 per tile (after f32 dequantization) */
    int p_f16;   /* probabilities rounded to f16 before P·V */
} fasv_flash_cfg;

int fasv_oracle_flash(const fasv_node *n, const fasv_data *d, const fasv_flash_cfg *cfg, const fasv_oracle_opts *o,
                      float *out, char *err, size_t errlen);

/* ---- tolerance model (compare.c) -------------------------------------- */

/* Every error below is in units of the row scale W_r (fasv_row_stat): for
 * output row r,
 *     e_r = max_d |cand[r,d] - ref[r,d]| / W_r
 * and the naive reference's own error n_r the same way. Row r passes when
 *     e_r <= k * y_r + floor,   y_r = min(max(n_r, cond_u * kappa_r), cap)
 * The naive error is one sample of a random rounding process and, on rows
 * whose error comes from a few keys, sometimes far below what the precision
 * typically gives; cond_u * kappa_r (the first-order effect of rounding every
 * logit term at the precision's unit) keeps the yardstick from collapsing
 * there. A row whose naive output is not finite is credited y_r = cap: an
 * overflowing naive computation never widens the bound past cap. A row with
 * W_r = 0 must match exactly. The whole output passes when every row passes,
 * no NaN appears where the reference has none, every Inf of either side
 * matches the other in place and sign, and
 *     NMSE = sum (a-b)^2 / max(sum a^2, nmse_eps^2 * sum_r Dv*W_r^2) <= nmse_max
 * (the denominator floor keeps an output that is negligible against the
 * values it averages, e.g. rows a huge sink drowns, from failing on noise).
 * docs/tolerance.md gives the measurements behind the defaults. */
typedef struct fasv_tol {
    double k;        /* multiple of the yardstick */
    double floor;    /* added to every row's bound, in units of W_r */
    double cond_u;   /* the yardstick is at least cond_u * kappa_r */
    double cap;      /* the yardstick is at most cap */
    double nmse_max; /* test-backend-ops' FA gate: 5e-4 */
    double nmse_eps; /* denominator floor of NMSE, in units of W_r */
} fasv_tol;

/* The calibrated defaults for the node's precision mode. */
void fasv_tol_default(fasv_tol *t, fasv_prec p);

typedef enum fasv_gate {
    FASV_GATE_PASS = 0,
    FASV_GATE_NAN,   /* NaN where the reference has none */
    FASV_GATE_INF,   /* an Inf in one output that the other lacks (place or sign) */
    FASV_GATE_BOUND, /* some row's error above its bound */
    FASV_GATE_NMSE,  /* NMSE above nmse_max */
    FASV_GATE_COUNT
} fasv_gate;

const char *fasv_gate_name(fasv_gate g); /* "pass", "nan", "inf", "bound", "nmse" */

/* Where an element is: out[((s*n_q + i)*n_head + h)*Dv + d]. */
typedef struct fasv_at {
    int64_t index; /* -1 when none */
    int64_t d, h, i, s;
} fasv_at;

typedef struct fasv_judgement {
    int pass;
    fasv_gate first;       /* the first gate that failed, in the order above */
    unsigned failed;       /* bit (1 << gate) for every gate that failed */
    fasv_tol tol;
    int64_t count, rows;
    /* NaN and Inf */
    int64_t nan_bad;       /* candidate NaN where the reference is not NaN */
    fasv_at nan_at;
    int64_t inf_bad;       /* Inf mismatches */
    fasv_at inf_at;
    double inf_ref, inf_cand;
    /* plain figures over the comparable elements (both finite) */
    double max_abs;        /* max |cand - ref| */
    fasv_at max_abs_at;
    double max_abs_ref, max_abs_cand;
    double max_rel;        /* max |cand - ref| / |ref| over ref != 0 */
    fasv_at max_rel_at;
    double nmse, nmse_naive;
    /* the bound */
    double err_max;        /* max over rows of e_r */
    double naive_max;      /* max over rows of the yardstick y_r */
    double worst_ratio;    /* max over rows of e_r / bound_r */
    int64_t worst_row;     /* the row of worst_ratio (-1 when none) */
    fasv_at worst_at;      /* its worst element */
    double worst_err, worst_naive_raw, worst_naive, worst_cond, worst_bound, worst_scale, worst_ref, worst_cand;
    int64_t rows_over;     /* rows above their bound */
    int64_t naive_nonfinite_rows; /* rows whose naive output is not finite (credited cap) */
    int64_t naive_capped_rows;    /* rows whose finite yardstick exceeded cap */
    int64_t cond_rows;            /* rows where cond_u * kappa_r exceeded n_r */
    int64_t zero_scale_rows;      /* rows with W_r = 0 (exact 0 expected) */
} fasv_judgement;

/* Judge cand against ref with the naive output as the yardstick. ref and
 * rows from fasv_oracle_ref; naive from fasv_oracle_naive; cand any output of
 * the same layout. Returns v->pass. */
int fasv_compare(const fasv_node *n, const double *ref, const fasv_row_stat *rows, const float *naive,
                 const double *cand, const fasv_tol *tol, fasv_judgement *v);

/* Every figure, human-readable, several lines, each starting with indent. */
void fasv_judgement_print(FILE *f, const fasv_judgement *v, const char *indent);
/* The verdict as one JSON object (the caller has opened a value position). */
void fasv_judgement_json(fasv_json *j, const fasv_judgement *v);

/* Everything the judge needs for one case: reference, row scales, naive. */
typedef struct fasv_oracle_result {
    int64_t count, rows;
    double *ref;
    fasv_row_stat *row;
    float *naive;
} fasv_oracle_result;

/* Run the reference and the naive reference on d. 0 or -1 with err. */
int fasv_oracle_prepare(const fasv_node *n, const fasv_data *d, const fasv_oracle_opts *o, fasv_oracle_result *res,
                        char *err, size_t errlen);
void fasv_oracle_result_free(fasv_oracle_result *res);

/* ---- metamorphic relations (metamorphic.c) ----------------------------- */

/* Generate c's data and check relations the reference must satisfy whatever
 * its data: permuting keys with their mask column; adding a per-row constant
 * to the unmasked mask entries (mask snapped to a grid where the addition is
 * exact); scaling V by a signed power of two; GQA/sequence/mask broadcast
 * against the expanded node; any strided view against its contiguous copy and
 * a re-strided copy; quantized K/V against an f32 copy of the dequantized
 * values; the thread count and key block; the single-loop implementation.
 * Choices (permutation, constant, layout) come from r.
 * Returns 0 when every relation holds, 1 when one is broken (why names it and
 * gives the figures), -1 when the case cannot be run (illegal, over max_bytes
 * of 64 MiB of buffers, or over 2^27 of work, or out of memory; why says). */
int fasv_oracle_metamorphic(const fasv_case *c, fasv_rng *r, char *why, size_t len);
/* The relation's name in a message of fasv_oracle_metamorphic ("relation
 * NAME broken ..." gives "NAME"), into out (len bytes). */
void fasv_oracle_relation_name(const char *why, char *out, size_t len);

#ifdef __cplusplus
}
#endif
#endif
