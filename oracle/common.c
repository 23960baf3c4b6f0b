/* common.c — geometry, ALiBi slope, legality check, worker pool and row
 * conversions shared by the oracle's implementations. See internal.h.
 * Must not know: planners, devices, kernels. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

int64_t fasv_oracle_rows(const fasv_node *n) { return fasv_nhead(n) * fasv_nq(n) * fasv_nseq(n); }

void orc_geom_init(orc_geom *g, const fasv_node *n) {
    memset(g, 0, sizeof *g);
    g->dk = fasv_dk(n);
    g->dv = fasv_dv(n);
    g->nq = fasv_nq(n);
    g->nh = fasv_nhead(n);
    g->ns = fasv_nseq(n);
    g->nkv = fasv_nkv(n);
    g->nhk = fasv_nhead_kv(n);
    g->nsk = fasv_nseq_kv(n);
    g->gqa = g->nh / g->nhk;
    g->rs = g->ns / g->nsk;
    g->has_mask = n->has_mask;
    g->has_sinks = n->has_sinks;
    g->m2 = n->has_mask ? n->mask.ne[2] : 1;
    g->m3 = n->has_mask ? n->mask.ne[3] : 1;
    g->scale = n->scale;
    g->softcap = n->softcap;
    g->max_bias = n->max_bias;
    g->rows = g->nh * g->nq * g->ns;
    g->grows = g->gqa * g->rs * g->nq;
    g->groups = g->nhk * g->nsk;
}

double orc_slope(const orc_geom *g, int64_t h) {
    if (g->max_bias == 0.0) return 1.0;
    double n2 = exp2(floor(log2((double)g->nh)));
    double m0 = exp2(-g->max_bias / n2);
    double m1 = exp2(-g->max_bias / 2.0 / n2);
    return (double)h < n2 ? pow(m0, (double)(h + 1)) : pow(m1, (double)(2 * (h - (int64_t)n2) + 1));
}

float orc_slope_f32(const orc_geom *g, int64_t h) {
    if (g->max_bias == 0.0) return 1.0f;
    uint32_t n2 = 1u << (uint32_t)floorf(log2f((float)g->nh));
    float mb = (float)g->max_bias;
    float m0 = powf(2.0f, -mb / (float)n2);
    float m1 = powf(2.0f, -mb / 2.0f / (float)n2);
    return (uint32_t)h < n2 ? powf(m0, (float)(h + 1)) : powf(m1, (float)(2 * (h - (int64_t)n2) + 1));
}

int orc_check(const fasv_node *n, const fasv_data *d, char *err, size_t errlen) {
    char why[256];
    if (fasv_node_check(n, why, sizeof why) != FASV_LEGAL) {
        snprintf(err, errlen, "illegal node: %s", why);
        return -1;
    }
    for (int id = 0; id < FASV_NT; id++) {
        if (!fasv_node_has(n, (fasv_tid)id)) continue;
        int b = n->t[id].buf;
        if (!d->buf[b] || d->bytes[b] < fasv_tensor_end(&n->t[id])) {
            snprintf(err, errlen, "no data for %s (buffer of %s missing or too small)", fasv_tid_name((fasv_tid)id),
                     fasv_tid_name((fasv_tid)b));
            return -1;
        }
    }
    return 0;
}

/* ---- worker pool --------------------------------------------------------- */

typedef struct pool {
    orc_task_fn fn;
    void *ctx;
    int64_t ntasks;
    atomic_llong next;
} pool;

typedef struct worker_arg {
    pool *p;
    int id;
} worker_arg;

static void *worker_main(void *arg) {
    worker_arg *w = (worker_arg *)arg;
    pool *p = w->p;
    for (;;) {
        long long t = atomic_fetch_add(&p->next, 1);
        if (t >= p->ntasks) break;
        p->fn(p->ctx, (int64_t)t, w->id);
    }
    return NULL;
}

int orc_threads(const fasv_oracle_opts *o, int64_t ntasks, double work) {
    if (work < 4e6) return 1; /* starting threads would cost more than the work */
    long t = o && o->threads > 0 ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (t < 1) t = 1;
    if (t > 64) t = 64;
    if (t > ntasks) t = (long)(ntasks > 0 ? ntasks : 1);
    return (int)t;
}

int orc_run(int threads, int64_t ntasks, orc_task_fn fn, void *ctx) {
    pool p;
    p.fn = fn;
    p.ctx = ctx;
    p.ntasks = ntasks;
    atomic_init(&p.next, 0);
    if (threads <= 1 || ntasks <= 1) {
        worker_arg w = {&p, 0};
        worker_main(&w);
        return 0;
    }
    pthread_t th[64];
    worker_arg wa[64];
    int started = 0, rc = 0;
    for (int i = 1; i < threads && i < 64; i++) {
        wa[i].p = &p;
        wa[i].id = i;
        if (pthread_create(&th[i], NULL, worker_main, &wa[i]) != 0) {
            rc = -1;
            break;
        }
        started = i;
    }
    wa[0].p = &p;
    wa[0].id = 0;
    worker_main(&wa[0]);
    for (int i = 1; i <= started; i++) pthread_join(th[i], NULL);
    return rc;
}

/* ---- conversions --------------------------------------------------------- */

float orc_round_f16(float x) { return orc_h2f(fasv_f32_to_f16(x)); }

/* f16 rows through the F16C instructions where the CPU has them (every AVX2
 * CPU does; compilers cannot test F16C alone portably). The conversion is
 * exact either way, so the choice never changes a result. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define ORC_F16C 1
__attribute__((target("avx2,f16c"))) static void h2f_f16c(const uint8_t *row, float *out, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * i))));
    for (; i < n; i++) out[i] = orc_h2f(fasv_rd16(row + 2 * i));
}
__attribute__((target("avx2,f16c"))) static void h2d_f16c(const uint8_t *row, double *out, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 f = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * i)));
        _mm256_storeu_pd(out + i, _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
        _mm256_storeu_pd(out + i + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
    }
    for (; i < n; i++) out[i] = orc_h2f(fasv_rd16(row + 2 * i));
}
static int have_f16c(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#else
#define ORC_F16C 0
#endif

void orc_row_f32(fasv_type t, const uint8_t *row, float *out, int64_t n) {
    switch (t) {
    case FASV_TYPE_F32:
        memcpy(out, row, (size_t)n * 4); /* little-endian host (x86-64, aarch64) */
        return;
    case FASV_TYPE_F16:
#if ORC_F16C
        if (have_f16c()) {
            h2f_f16c(row, out, n);
            return;
        }
#endif
        for (int64_t i = 0; i < n; i++) out[i] = orc_h2f(fasv_rd16(row + 2 * i));
        return;
    default:
        fasv_dequant_row_f32(t, row, out, n);
        return;
    }
}

void orc_row_f64(fasv_type t, const uint8_t *row, double *out, int64_t n) {
    switch (t) {
    case FASV_TYPE_F32:
        for (int64_t i = 0; i < n; i++) {
            float f;
            memcpy(&f, row + 4 * i, 4);
            out[i] = f;
        }
        return;
    case FASV_TYPE_F16:
#if ORC_F16C
        if (have_f16c()) {
            h2d_f16c(row, out, n);
            return;
        }
#endif
        for (int64_t i = 0; i < n; i++) out[i] = orc_h2f(fasv_rd16(row + 2 * i));
        return;
    default:
        fasv_dequant_row_f64(t, row, out, n);
        return;
    }
}

int orc_ws_alloc(orc_ws *ws, int64_t rows, int64_t dk, int64_t dv, int64_t nk, int64_t nsc) {
    ws->q = malloc(sizeof(float) * (size_t)(rows * dk + dk * nk + nk * dv + nsc + rows * dv + dk));
    if (!ws->q) return -1;
    ws->kT = ws->q + rows * dk;
    ws->vb = ws->kT + dk * nk;
    ws->sc = ws->vb + nk * dv;
    ws->acc = ws->sc + nsc;
    ws->tmp = ws->acc + rows * dv;
    return 0;
}

int orc_run_calib(const orc_geom *g, float *slopes, int ok, int nw, int64_t ntasks, orc_task_fn fn, void *ctx,
                  char *err, size_t errlen) {
    if (!ok) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int64_t h = 0; h < g->nh; h++) slopes[h] = orc_slope_f32(g, h);
    orc_run(nw, ntasks, fn, ctx);
    return 0;
}
