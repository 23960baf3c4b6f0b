/* internal.h — what the oracle's implementations share: the node's geometry
 * seen as groups of query rows that read the same K/V rows, the ALiBi slope,
 * the worker pool and small conversions.
 * Must not know: planners, devices, kernels. Not a public header.
 */
#ifndef FASV_ORACLE_INTERNAL_H
#define FASV_ORACLE_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fasv/oracle.h"

/* A group is one (kv head, kv sequence): every query row that reads it, i.e.
 * heads h with h / gqa == hk and sequences s with s / rs == sk, all n_q
 * tokens. Group g = sk * nhk + hk; row gr of the group (0 <= gr < grows) is
 * token i = gr % nq of head hk*gqa + (gr / nq) % gqa of sequence
 * sk*rs + gr / (nq*gqa). */
typedef struct orc_geom {
    int64_t dk, dv, nq, nh, ns, nkv, nhk, nsk;
    int64_t gqa, rs, m2, m3;
    int has_mask, has_sinks;
    double scale, softcap, max_bias;
    int64_t rows, grows, groups;
} orc_geom;

void orc_geom_init(orc_geom *g, const fasv_node *n);

static inline void orc_group_row(const orc_geom *g, int64_t grp, int64_t gr, int64_t *s, int64_t *h, int64_t *i) {
    int64_t hk = grp % g->nhk, sk = grp / g->nhk;
    *i = gr % g->nq;
    int64_t t = gr / g->nq;
    *h = hk * g->gqa + t % g->gqa;
    *s = sk * g->rs + t / g->gqa;
}

/* Output row index of (s, h, i). */
static inline int64_t orc_out_row(const orc_geom *g, int64_t s, int64_t h, int64_t i) {
    return (s * g->nq + i) * g->nh + h;
}

/* ALiBi slope of head h in double (DESIGN §1), 1 when max_bias == 0. */
double orc_slope(const orc_geom *g, int64_t h);
/* The same in f32 arithmetic with powf, as a kernel computes it. */
float orc_slope_f32(const orc_geom *g, int64_t h);

/* Check the node is legal and every buffer it reads is present. 0 or -1. */
int orc_check(const fasv_node *n, const fasv_data *d, char *err, size_t errlen);

/* Run fn(ctx, task, worker) for task in [0, ntasks) on up to `threads`
 * workers (worker in [0, threads)). Tasks are handed out in order; the
 * caller must make results independent of which worker ran what. Returns 0,
 * or -1 when threads could not be started (then everything ran on worker 0). */
typedef void (*orc_task_fn)(void *ctx, int64_t task, int worker);
int orc_run(int threads, int64_t ntasks, orc_task_fn fn, void *ctx);
/* A worker's scratch of the two calibrators (flash.c, naive.c), one float
 * block: q [rows x dk], kT [dk x nk], vb [nk x dv], sc [nsc], acc [rows x dv],
 * tmp [dk]. 0, or -1 when it cannot be allocated; free(ws->q) frees it. */
typedef struct orc_ws {
    float *q, *kT, *vb, *sc, *acc, *tmp;
} orc_ws;
int orc_ws_alloc(orc_ws *ws, int64_t rows, int64_t dk, int64_t dv, int64_t nk, int64_t nsc);
/* The calibrators' run: the heads' f32 ALiBi slopes into slopes, then
 * fn over the tasks on nw workers; when a buffer is missing (ok == 0)
 * nothing runs and err says "out of memory". 0 or -1. */
int orc_run_calib(const orc_geom *g, float *slopes, int ok, int nw, int64_t ntasks, orc_task_fn fn, void *ctx,
                  char *err, size_t errlen);
/* The thread count opts ask for, limited to ntasks and 64; 1 when the work
 * (in multiply-adds) is too small to pay for starting threads. */
int orc_threads(const fasv_oracle_opts *o, int64_t ntasks, double work);
/* Multiply-adds of the node: rows * n_kv * (Dk + Dv). */
static inline double orc_work(const orc_geom *g) { return (double)g->rows * (double)g->nkv * (double)(g->dk + g->dv); }

/* f16 bits -> float, exact (inline form of fasv_f16_to_f32). */
static inline float orc_h2f(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t man = h & 0x3FFu;
    uint32_t u;
    if (exp == 0x1F) {
        u = sign | 0x7F800000u | (man << 13);
    } else if (exp == 0) {
        float v = (float)man * 0x1p-24f;
        return sign ? -v : v;
    } else {
        u = sign | ((exp + 112u) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Round a float to the nearest f16 value and back (Inf beyond the f16 range). */
float orc_round_f16(float x);

/* Dequantize n values of a row to float, exactly as fasv_dequant_row_f32 but
 * with fast paths for f32/f16. */
void orc_row_f32(fasv_type t, const uint8_t *row, float *out, int64_t n);
/* Same to double (exact). */
void orc_row_f64(fasv_type t, const uint8_t *row, double *out, int64_t n);

#define ORC_MASK_NEG_INF 0xFC00u

#endif
