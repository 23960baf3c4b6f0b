/* gen.c — deterministic input buffers for a case. See fasv/gen.h.
 *
 * Every row of every tensor draws from its own random stream, keyed by
 * (seed, tensor, row index), so the bytes never depend on generation order,
 * thread count or host. Values are computed in double with integer-derived
 * randomness and correctly rounded conversions only (no libm transcendental
 * calls, no FMA contraction), which makes them identical on every IEEE host.
 */
#include "fasv/gen.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fasv/rng.h"

#define F16_MAX 65504.0

static double unif(fasv_rng *r, double lo, double hi) { return lo + (hi - lo) * fasv_rng_unit(r); }

/* N(0,1) approximated by the Irwin-Hall sum of 12 uniforms: bounded to
 * [-6, 6], variance exactly 1, and free of transcendental functions. */
static double normal(fasv_rng *r) {
    double s = 0;
    for (int i = 0; i < 12; i++) s += fasv_rng_unit(r);
    return s - 6.0;
}

/* Adversarial row modes for q, k and v. */
enum { ADV_PLAIN, ADV_BIG_SAME_SIGN, ADV_NEAR_LIMIT, ADV_TINY, ADV_RAW_BLOCKS, ADV_NMODES };

static int adv_mode(fasv_rng *r, fasv_type t, fasv_tid id) {
    int roll = (int)fasv_rng_below(r, 100);
    if (roll < 30) return ADV_PLAIN;
    if (roll < 65) return ADV_BIG_SAME_SIGN;
    if (roll < 80) return (id == FASV_Q || t == FASV_TYPE_F16 || t == FASV_TYPE_BF16 || t == FASV_TYPE_F32) ? ADV_NEAR_LIMIT : ADV_BIG_SAME_SIGN;
    if (roll < 90) return ADV_TINY;
    return fasv_type_get(t)->is_quant ? ADV_RAW_BLOCKS : ADV_PLAIN;
}

/* A random f16 bit pattern for a block scale, finite, in [2^-14, 2^8]. */
static uint16_t rand_scale(fasv_rng *r) {
    int e = (int)fasv_rng_range(r, 1, 23); /* biased exponent 1..23: 2^-14 .. 2^8 */
    uint16_t man = (uint16_t)fasv_rng_below(r, 1024);
    uint16_t sign = (uint16_t)(fasv_rng_chance(r, 20) ? 0x8000u : 0);
    return (uint16_t)(sign | (e << 10) | man);
}

/* Raw quantized blocks: every code point of the format (q8_0's -128 too,
 * which ggml's own quantizer never emits), scales over a wide range, and
 * occasionally a zero scale. */
static void raw_blocks(fasv_rng *r, fasv_type t, uint8_t *row, int64_t n) {
    const fasv_type_info *ti = fasv_type_get(t);
    for (int64_t b = 0; b < n / 32; b++) {
        uint8_t *p = row + b * ti->block_bytes;
        for (int i = 0; i < ti->block_bytes; i++) p[i] = (uint8_t)fasv_rng_below(r, 256);
        fasv_wr16(p, fasv_rng_chance(r, 5) ? 0 : rand_scale(r));
        if (t == FASV_TYPE_Q4_1 || t == FASV_TYPE_Q5_1) fasv_wr16(p + 2, rand_scale(r));
    }
}

static void gen_qkv_row(fasv_rng *r, const fasv_case *c, fasv_tid id, uint8_t *row, float *tmp) {
    const fasv_tensor *t = &c->node.t[id];
    int64_t n = t->ne[0];
    switch (c->dist) {
    case FASV_DIST_UNIFORM:
        for (int64_t i = 0; i < n; i++) tmp[i] = (float)unif(r, -1.0, 1.0);
        break;
    case FASV_DIST_NORMAL:
        for (int64_t i = 0; i < n; i++) tmp[i] = (float)normal(r);
        break;
    default: {
        int mode = adv_mode(r, t->type, id);
        double sign = fasv_rng_chance(r, 50) ? 1.0 : -1.0;
        switch (mode) {
        case ADV_BIG_SAME_SIGN:
            /* |q.k| far above the f16 maximum before scaling */
            for (int64_t i = 0; i < n; i++) tmp[i] = (float)(sign * unif(r, 16.0, 48.0));
            break;
        case ADV_NEAR_LIMIT:
            /* near the f16 limit: every exact logit still fits in f32 */
            for (int64_t i = 0; i < n; i++) {
                double m = id == FASV_Q ? unif(r, 64.0, 256.0) : unif(r, 0.5 * F16_MAX, F16_MAX);
                tmp[i] = (float)((fasv_rng_chance(r, 50) ? 1.0 : -1.0) * m);
            }
            break;
        case ADV_TINY:
            /* f16 subnormals and values that underflow careless products */
            for (int64_t i = 0; i < n; i++) tmp[i] = (float)(unif(r, -1.0, 1.0) * 0x1p-20);
            break;
        case ADV_RAW_BLOCKS:
            raw_blocks(r, t->type, row, n);
            return;
        default:
            for (int64_t i = 0; i < n; i++) tmp[i] = (float)unif(r, -1.0, 1.0);
            break;
        }
    }
    }
    fasv_quant_row(t->type, tmp, row, n);
}

static void gen_mask_row(fasv_rng *r, const fasv_case *c, uint8_t *row) {
    int64_t n = c->node.mask.ne[0];
    const uint16_t NEG_INF = 0xFC00u;
    if (c->dist != FASV_DIST_ADVERSARIAL) {
        for (int64_t i = 0; i < n; i++) {
            int roll = (int)fasv_rng_below(r, 100);
            double v = roll < 65 ? 0.0 : roll < 90 ? (c->dist == FASV_DIST_NORMAL ? normal(r) : unif(r, -1.0, 0.0)) : -INFINITY;
            fasv_wr16(row + 2 * i, v == -INFINITY ? NEG_INF : fasv_f32_to_f16((float)v));
        }
        /* never a fully masked row outside the adversarial mix */
        int any = 0;
        for (int64_t i = 0; i < n; i++) any |= fasv_rd16(row + 2 * i) != NEG_INF;
        if (!any) fasv_wr16(row + 2 * fasv_rng_below(r, (uint64_t)n), 0);
        return;
    }
    int roll = (int)fasv_rng_below(r, 100);
    if (roll < 10) { /* fully masked row */
        for (int64_t i = 0; i < n; i++) fasv_wr16(row + 2 * i, NEG_INF);
        return;
    }
    /* runs of -inf blocks, large finite values of either sign, zeros */
    int64_t i = 0;
    while (i < n) {
        int64_t run = fasv_rng_range(r, 1, 64);
        int kind = (int)fasv_rng_below(r, 100);
        for (int64_t j = 0; j < run && i < n; j++, i++) {
            uint16_t h;
            if (kind < 30)
                h = NEG_INF;
            else if (kind < 45)
                h = fasv_f32_to_f16((float)-unif(r, 1000.0, F16_MAX));
            else if (kind < 55)
                h = fasv_f32_to_f16((float)unif(r, 1.0, 64.0));
            else if (kind < 75)
                h = fasv_f32_to_f16((float)unif(r, -8.0, 0.0));
            else
                h = 0;
            fasv_wr16(row + 2 * i, h);
        }
    }
}

static float gen_sink(fasv_rng *r, const fasv_case *c) {
    switch (c->dist) {
    case FASV_DIST_UNIFORM:
        return (float)unif(r, -1.0, 1.0);
    case FASV_DIST_NORMAL:
        return (float)normal(r);
    default: {
        int roll = (int)fasv_rng_below(r, 100);
        if (roll < 10) return -INFINITY;
        if (roll < 50) return (float)((fasv_rng_chance(r, 50) ? 1.0 : -1.0) * unif(r, 10.0, 1000.0));
        return (float)unif(r, -4.0, 4.0);
    }
    }
}

/* ---- coverage ------------------------------------------------------------ */

/* Rows of tensor id that hold data the op reads: every row, except mask rows
 * past n_q (padding, left as NaN). */
static int64_t data_rows1(const fasv_node *n, fasv_tid id) {
    const fasv_tensor *t = &n->t[id];
    if (id == FASV_MASK) return n->q.ne[1] < t->ne[1] ? n->q.ne[1] : t->ne[1];
    return t->ne[1];
}

static int64_t row_offset(const fasv_tensor *t, int64_t i1, int64_t i2, int64_t i3) {
    return t->offset + i1 * t->nb[1] + i2 * t->nb[2] + i3 * t->nb[3];
}

void fasv_cover_map(const fasv_node *n, fasv_tid owner, uint8_t *map, int64_t map_bytes) {
    memset(map, 0, (size_t)map_bytes);
    for (int id = 0; id < FASV_NT; id++) {
        if (!fasv_node_has(n, (fasv_tid)id) || n->t[id].buf != (int)owner) continue;
        const fasv_tensor *t = &n->t[id];
        int64_t rb = fasv_tensor_row_bytes(t), r1 = data_rows1(n, (fasv_tid)id);
        for (int64_t i3 = 0; i3 < t->ne[3]; i3++)
            for (int64_t i2 = 0; i2 < t->ne[2]; i2++)
                for (int64_t i1 = 0; i1 < r1; i1++) {
                    int64_t o = row_offset(t, i1, i2, i3);
                    if (o >= 0 && o + rb <= map_bytes) memset(map + o, 1, (size_t)rb);
                }
    }
}

/* ---- aliasing views ------------------------------------------------------ */

/* A view living in another tensor's buffer at another byte alignment (legal:
 * a fuzzer builds such nodes) reads that tensor's bytes reinterpreted, and an
 * f16 block scale or a float made of them can be NaN or Inf. The op then has
 * no meaningful answer, and every kernel gives a different special value.
 * Keep the promise that views read finite data: make every non-finite value
 * that a view reads finite by clearing the top exponent bit of its encoding
 * (the f16 scale and offset of a quantized block, or the float itself). Only
 * -inf in masks and sinks is meant, and kept. A fix can change another view's
 * bytes, so repeat until nothing changes (aliasing chains are short). */
static int fix_nonfinite(uint8_t *p, fasv_type t, int64_t n, int allow_neg_inf) {
    int fixed = 0;
    switch (t) {
    case FASV_TYPE_F32:
        for (int64_t i = 0; i < n; i++) {
            uint32_t u = fasv_rd32(p + 4 * i);
            if ((u & 0x7F800000u) != 0x7F800000u || (allow_neg_inf && u == 0xFF800000u)) continue;
            fasv_wr32(p + 4 * i, u & ~0x40000000u);
            fixed++;
        }
        return fixed;
    case FASV_TYPE_F16:
    case FASV_TYPE_BF16: {
        uint16_t expo = t == FASV_TYPE_F16 ? 0x7C00u : 0x7F80u, ninf = t == FASV_TYPE_F16 ? 0xFC00u : 0xFF80u;
        for (int64_t i = 0; i < n; i++) {
            uint16_t h = fasv_rd16(p + 2 * i);
            if ((h & expo) != expo || (allow_neg_inf && h == ninf)) continue;
            fasv_wr16(p + 2 * i, (uint16_t)(h & ~0x4000u));
            fixed++;
        }
        return fixed;
    }
    default: {
        const fasv_type_info *ti = fasv_type_get(t);
        int scales = (t == FASV_TYPE_Q4_1 || t == FASV_TYPE_Q5_1) ? 2 : 1; /* d, and m */
        for (int64_t b = 0; b < n / 32; b++)
            fixed += fix_nonfinite(p + b * ti->block_bytes, FASV_TYPE_F16, scales, 0);
        return fixed;
    }
    }
}

static void finitize_aliases(const fasv_node *n, fasv_data *d) {
    int shared = 0;
    for (int id = 0; id < FASV_NT; id++) shared |= fasv_node_has(n, (fasv_tid)id) && n->t[id].buf != id;
    if (!shared) return;
    for (int pass = 0; pass < 8; pass++) {
        int fixed = 0;
        for (int id = 0; id < FASV_NT; id++) {
            if (!fasv_node_has(n, (fasv_tid)id)) continue;
            const fasv_tensor *t = &n->t[id];
            int allow = id == FASV_MASK || id == FASV_SINKS;
            if (id == FASV_SINKS) {
                fixed += fix_nonfinite(d->buf[t->buf] + t->offset, t->type, t->ne[0], allow);
                continue;
            }
            int64_t r1 = data_rows1(n, (fasv_tid)id);
            for (int64_t i3 = 0; i3 < t->ne[3]; i3++)
                for (int64_t i2 = 0; i2 < t->ne[2]; i2++)
                    for (int64_t i1 = 0; i1 < r1; i1++)
                        fixed += fix_nonfinite(d->buf[t->buf] + row_offset(t, i1, i2, i3), t->type, t->ne[0], allow);
        }
        if (!fixed) return;
    }
}

/* ---- generation ---------------------------------------------------------- */

const uint8_t *fasv_data_base(const fasv_data *d, const fasv_node *n, fasv_tid id) {
    const fasv_tensor *t = &n->t[id];
    const uint8_t *b = d->buf[t->buf];
    return b ? b + t->offset : NULL;
}

const uint8_t *fasv_data_row(const fasv_data *d, const fasv_node *n, fasv_tid id, int64_t i1, int64_t i2,
                             int64_t i3) {
    const fasv_tensor *t = &n->t[id];
    const uint8_t *b = d->buf[t->buf];
    return b ? b + row_offset(t, i1, i2, i3) : NULL;
}

void fasv_data_read_f32(const fasv_data *d, const fasv_node *n, fasv_tid id, float *out) {
    const fasv_tensor *t = &n->t[id];
    int64_t ne0 = t->ne[0];
    for (int64_t i3 = 0; i3 < t->ne[3]; i3++)
        for (int64_t i2 = 0; i2 < t->ne[2]; i2++)
            for (int64_t i1 = 0; i1 < t->ne[1]; i1++) {
                float *o = out + ((i3 * t->ne[2] + i2) * t->ne[1] + i1) * ne0;
                fasv_dequant_row_f32(t->type, fasv_data_row(d, n, id, i1, i2, i3), o, ne0);
            }
}

void fasv_data_free(fasv_data *d) {
    for (int i = 0; i < FASV_NT; i++) free(d->buf[i]);
    memset(d, 0, sizeof(*d));
}

/* ---- generation, in parallel over rows ------------------------------------ */

/* Rows [k0, k1) of tensor id (flat index over the data rows i1 < r1, i2, i3),
 * into buf; rows another tensor already wrote (written, for a view in its
 * buffer) are skipped. Rows never overlap (fasv_node_check), and each draws
 * from its own stream, so any split of the rows gives the same bytes. */
typedef struct gen_job {
    const fasv_case *c;
    fasv_tid id;
    uint8_t *buf;
    const uint8_t *written;
    int64_t k0, k1;
    float *tmp; /* a row of floats */
} gen_job;

static void *gen_rows(void *arg) {
    const gen_job *j = arg;
    const fasv_node *n = &j->c->node;
    const fasv_tensor *t = &n->t[j->id];
    int64_t rb = fasv_tensor_row_bytes(t), r1 = data_rows1(n, j->id);
    for (int64_t k = j->k0; k < j->k1; k++) {
        int64_t i1 = k % r1, i2 = (k / r1) % t->ne[2], i3 = k / (r1 * t->ne[2]);
        int64_t o = row_offset(t, i1, i2, i3);
        if (j->written) {
            int all = 1;
            for (int64_t b = 0; b < rb && all; b++) all = j->written[o + b];
            if (all) continue;
        }
        uint64_t idx = (uint64_t)((i3 * t->ne[2] + i2) * t->ne[1] + i1);
        fasv_rng r;
        fasv_rng_seed3(&r, j->c->seed, (uint64_t)j->id, idx);
        if (j->id == FASV_MASK)
            gen_mask_row(&r, j->c, j->buf + o);
        else
            gen_qkv_row(&r, j->c, j->id, j->buf + o, j->tmp);
    }
    return NULL;
}

/* Threads for a tensor of `bytes`: one below FASV_GEN_PARALLEL_BYTES, else
 * FASV_GEN_THREADS from the environment if set (1 = serial), else the online
 * CPUs, at most FASV_GEN_MAX_THREADS. */
static int gen_threads(int64_t bytes) {
    const char *e = getenv("FASV_GEN_THREADS");
    long want = e && *e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    if (bytes < FASV_GEN_PARALLEL_BYTES || want < 1) return 1;
    return want > FASV_GEN_MAX_THREADS ? FASV_GEN_MAX_THREADS : (int)want;
}

/* The pad fill of a buffer (FASV_PAD_BYTE everywhere first), in parallel for
 * a large one: it is bound by first-touch page faults, which threads share. */
typedef struct fill_job {
    uint8_t *p;
    size_t n;
} fill_job;

static void *fill_part(void *arg) {
    const fill_job *f = arg;
    memset(f->p, FASV_PAD_BYTE, f->n);
    return NULL;
}

static void pad_fill(uint8_t *p, int64_t bytes) {
    int nt = gen_threads(bytes);
    pthread_t th[FASV_GEN_MAX_THREADS];
    fill_job part[FASV_GEN_MAX_THREADS];
    int started[FASV_GEN_MAX_THREADS] = {0};
    for (int i = 0; i < nt; i++) {
        int64_t a = bytes * i / nt, b = bytes * (i + 1) / nt;
        part[i].p = p + a;
        part[i].n = (size_t)(b - a);
        if (i > 0) started[i] = pthread_create(&th[i], NULL, fill_part, &part[i]) == 0;
    }
    fill_part(&part[0]);
    for (int i = 1; i < nt; i++) {
        if (started[i]) pthread_join(th[i], NULL);
        else fill_part(&part[i]);
    }
}

/* All data rows of job->id; job->tmp serves the calling thread, the others
 * get their own row buffer. A thread that cannot start leaves its rows to
 * the caller. */
static void gen_tensor(gen_job *job, int64_t maxrow) {
    const fasv_node *n = &job->c->node;
    const fasv_tensor *t = &n->t[job->id];
    int64_t rows = data_rows1(n, job->id) * t->ne[2] * t->ne[3];
    int nt = gen_threads(rows * fasv_tensor_row_bytes(t));
    if (nt > rows) nt = rows > 0 ? (int)rows : 1;
    pthread_t th[FASV_GEN_MAX_THREADS];
    gen_job part[FASV_GEN_MAX_THREADS];
    int started[FASV_GEN_MAX_THREADS] = {0};
    for (int i = 0; i < nt; i++) {
        part[i] = *job;
        part[i].k0 = rows * i / nt;
        part[i].k1 = rows * (i + 1) / nt;
        if (i == 0) continue;
        part[i].tmp = malloc(sizeof(float) * (size_t)maxrow);
        started[i] = part[i].tmp && pthread_create(&th[i], NULL, gen_rows, &part[i]) == 0;
    }
    gen_rows(&part[0]);
    for (int i = 1; i < nt; i++) {
        if (started[i]) {
            pthread_join(th[i], NULL);
        } else {
            float *own = part[i].tmp;
            part[i].tmp = job->tmp;
            gen_rows(&part[i]);
            part[i].tmp = own;
        }
        free(part[i].tmp);
    }
}

int fasv_gen(const fasv_case *c, fasv_data *d, int64_t max_bytes, char *err, size_t errlen) {
    const fasv_node *n = &c->node;
    memset(d, 0, sizeof(*d));
    char why[256];
    if (fasv_node_check(n, why, sizeof why) != FASV_LEGAL) {
        snprintf(err, errlen, "illegal node: %s", why);
        return -1;
    }
    if (max_bytes <= 0) max_bytes = FASV_GEN_DEFAULT_MAX_BYTES;
    int64_t total = 0;
    for (int id = 0; id < FASV_NT; id++)
        if (fasv_node_has(n, (fasv_tid)id) && n->t[id].buf == id) total += n->t[id].buf_bytes;
    if (total > max_bytes) {
        snprintf(err, errlen, "buffers need %lld bytes, over the generator's limit of %lld", (long long)total,
                 (long long)max_bytes);
        return -1;
    }
    for (int id = 0; id < FASV_NT; id++) {
        if (!fasv_node_has(n, (fasv_tid)id) || n->t[id].buf != id) continue;
        d->bytes[id] = n->t[id].buf_bytes;
        d->buf[id] = malloc((size_t)d->bytes[id]);
        if (!d->buf[id]) {
            snprintf(err, errlen, "out of memory allocating %lld bytes for %s", (long long)d->bytes[id],
                     fasv_tid_name((fasv_tid)id));
            fasv_data_free(d);
            return -1;
        }
        pad_fill(d->buf[id], d->bytes[id]);
    }

    int64_t maxrow = 1;
    for (int id = 0; id < FASV_NT; id++)
        if (fasv_node_has(n, (fasv_tid)id) && n->t[id].ne[0] > maxrow) maxrow = n->t[id].ne[0];
    float *tmp = malloc(sizeof(float) * (size_t)maxrow);
    if (!tmp) {
        snprintf(err, errlen, "out of memory");
        fasv_data_free(d);
        return -1;
    }

    for (int id = 0; id < FASV_NT; id++) {
        if (!fasv_node_has(n, (fasv_tid)id)) continue;
        const fasv_tensor *t = &n->t[id];
        uint8_t *buf = d->buf[t->buf];
        /* A view in an earlier tensor's buffer reads that tensor's data where
         * they overlap (V as a view of K): only rows not already written get
         * values of their own. */
        uint8_t *written = NULL;
        if (t->buf != id) {
            written = malloc((size_t)d->bytes[t->buf]);
            if (!written) {
                free(tmp);
                fasv_data_free(d);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            memset(written, 0, (size_t)d->bytes[t->buf]);
            for (int e = 0; e < id; e++) {
                if (!fasv_node_has(n, (fasv_tid)e) || n->t[e].buf != t->buf) continue;
                const fasv_tensor *o = &n->t[e];
                int64_t rb = fasv_tensor_row_bytes(o), r1 = data_rows1(n, (fasv_tid)e);
                for (int64_t i3 = 0; i3 < o->ne[3]; i3++)
                    for (int64_t i2 = 0; i2 < o->ne[2]; i2++)
                        for (int64_t i1 = 0; i1 < r1; i1++) memset(written + row_offset(o, i1, i2, i3), 1, (size_t)rb);
            }
        }
        if (id == FASV_SINKS) {
            fasv_rng r;
            for (int64_t h = 0; h < t->ne[0]; h++) {
                fasv_rng_seed3(&r, c->seed, (uint64_t)id, (uint64_t)h);
                tmp[h] = gen_sink(&r, c);
            }
            fasv_quant_row(FASV_TYPE_F32, tmp, buf + t->offset, t->ne[0]);
            free(written);
            continue;
        }
        gen_job job = {c, (fasv_tid)id, buf, written, 0, 0, tmp};
        gen_tensor(&job, maxrow);
        free(written);
    }
    free(tmp);
    finitize_aliases(n, d);
    return 0;
}
