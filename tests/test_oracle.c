/* test_oracle.c — the reference against values it did not compute itself:
 * hand-worked tiny cases, the output layout and broadcasts, -inf sinks,
 * fully masked rows, and quantized K/V against an f32 copy of their
 * dequantized values. */
#include <math.h>
#include <stdio.h>

#include "check.h"
#include "fasv/build.h"
#include "test_oracle_util.h"

/* One key: the softmax weight is 1 whatever the logit, so every output row is
 * the V row it reads: head h reads KV head h/2, sequence s reads KV sequence
 * s/2, whatever q, scale, softcap, mask value or ALiBi slope. Also checks the
 * output layout out[((s*n_q + i)*n_head + h)*Dv + d]. */
static void one_key(void) {
    const int64_t dk = 8, dv = 5, nq = 3, nh = 4, ns = 4, nhk = 2, nsk = 2;
    tnode t;
    tnode_init(&t, dk, dv, nq, nh, ns, 1, nhk, nsk, FASV_TYPE_F16, FASV_TYPE_F16, 2, 1, 0);
    t.c.node.scale = 0.37f;
    t.c.node.softcap = 30.0f;
    t.c.node.max_bias = 1.0f;
    double row[8];
    for (int64_t s = 0; s < ns; s++)
        for (int64_t h = 0; h < nh; h++)
            for (int64_t i = 0; i < nq; i++) {
                for (int e = 0; e < dk; e++) row[e] = 0.25 * (double)((e + i + 3 * h + 5 * s) % 7) - 0.8;
                tnode_row(&t, FASV_Q, i, h, s, row);
            }
    for (int64_t s = 0; s < nsk; s++)
        for (int64_t h = 0; h < nhk; h++) {
            for (int e = 0; e < dk; e++) row[e] = 0.5 * (double)(e - h);
            tnode_row(&t, FASV_K, 0, h, s, row);
            for (int e = 0; e < dv; e++) row[e] = 100.0 * (double)s + 10.0 * (double)h + (double)e + 0.5;
            tnode_row(&t, FASV_V, 0, h, s, row);
        }
    for (int64_t h2 = 0; h2 < 2; h2++)
        for (int64_t i = 0; i < nq; i++) tnode_mask(&t, 0, i, h2, 0, -3.5 + (double)i + (double)h2);
    double out[5 * 3 * 4 * 4];
    fasv_row_stat rs[3 * 4 * 4];
    CHECK(tnode_ref(&t, out, rs) == 0);
    int bad = 0;
    for (int64_t s = 0; s < ns; s++)
        for (int64_t i = 0; i < nq; i++)
            for (int64_t h = 0; h < nh; h++)
                for (int64_t d = 0; d < dv; d++) {
                    double want = 100.0 * (double)(s / 2) + 10.0 * (double)(h / 2) + (double)d + 0.5;
                    double got = out[((s * nq + i) * nh + h) * dv + d];
                    if (got != want && bad++ < 5)
                        fprintf(stderr, "one key: [s=%lld i=%lld h=%lld d=%lld] %g, want %g\n", (long long)s,
                                (long long)i, (long long)h, (long long)d, got, want);
                }
    CHECKF(bad == 0, "%d wrong elements", bad);
    /* W_r is the one key's max |v|: 100*(s/2) + 10*(h/2) + 4.5 */
    CHECK(rs[0].scale == 4.5);
    CHECK(rs[(3 * nq + 2) * nh + 3].scale == 100.0 + 10.0 + 4.5);
    tnode_free(&t);
}

/* Equal scores (q = 0, no mask): the output is the plain mean of the V rows.
 * With identical K rows and any q, the same. */
static void equal_scores(void) {
    const int64_t dk = 4, dv = 3, nkv = 5;
    for (int variant = 0; variant < 2; variant++) {
        tnode t;
        tnode_init(&t, dk, dv, 1, 1, 1, nkv, 1, 1, FASV_TYPE_F32, FASV_TYPE_F32, 0, 0, 0);
        t.c.node.scale = 0.5f;
        double q[4] = {0, 0, 0, 0}, k[4], v[3], mean[3] = {0, 0, 0};
        if (variant) {
            q[0] = 1.5;
            q[1] = -2.0;
            q[3] = 0.25;
        }
        tnode_row(&t, FASV_Q, 0, 0, 0, q);
        for (int64_t j = 0; j < nkv; j++) {
            for (int e = 0; e < dk; e++) k[e] = variant ? 0.75 * (double)e - 1.0 : (double)(j * 3 + e) - 4.0;
            tnode_row(&t, FASV_K, j, 0, 0, k);
            v[0] = (double)j;
            v[1] = -2.0 * (double)j + 1.0;
            v[2] = 0.125 * (double)(j * j);
            tnode_row(&t, FASV_V, j, 0, 0, v);
        }
        /* mean of j = 2; of 1-2j = -3; of j^2/8 = 30/40 = 0.75 */
        mean[0] = 2.0;
        mean[1] = -3.0;
        mean[2] = 0.75;
        double out[3];
        CHECK(tnode_ref(&t, out, NULL) == 0);
        for (int e = 0; e < 3; e++) CHECKF(fabs(out[e] - mean[e]) <= 1e-15, "variant %d d=%d: %.17g want %g", variant, e, out[e], mean[e]);
        tnode_free(&t);
    }
}

/* Two keys worked by hand (Python, outside this code base): Dk = Dv = 2,
 * three heads sharing one KV head, scale 0.5, softcap 5, ALiBi max_bias 2
 * (n2 = 2: slopes 2^-1, 2^-2 and, for head 2 >= n2, m1 = 2^-0.5), one mask
 * row [0.5, -1.25] for every head, sinks [-inf, 0.375, -inf].
 *   s_j = 5 tanh(0.5 q.k_j / 5) + slope * mask_j
 *   head 0: s = [1.23687660112452, 1.0568777216816612]
 *   head 1: s = [0.125, -1.41889233949222], sink 0.375 in the denominator
 *   head 2: s = [2.035431112274935, -0.6340916016937845] */
static void two_keys_by_hand(void) {
    tnode t;
    tnode_init(&t, 2, 2, 1, 3, 1, 2, 1, 1, FASV_TYPE_F32, FASV_TYPE_F32, 1, 1, 1);
    t.c.node.scale = 0.5f;
    t.c.node.softcap = 5.0f;
    t.c.node.max_bias = 2.0f;
    double q[3][2] = {{1, 2}, {0.5, -1}, {3, 1}}, k[2][2] = {{1, 0.5}, {-0.5, 2}}, v[2][2] = {{1, -1}, {2, 4}};
    for (int h = 0; h < 3; h++) tnode_row(&t, FASV_Q, 0, h, 0, q[h]);
    for (int j = 0; j < 2; j++) {
        tnode_row(&t, FASV_K, j, 0, 0, k[j]);
        tnode_row(&t, FASV_V, j, 0, 0, v[j]);
    }
    tnode_mask(&t, 0, 0, 0, 0, 0.5);
    tnode_mask(&t, 1, 0, 0, 0, -1.25);
    tnode_sink(&t, 0, -INFINITY);
    tnode_sink(&t, 1, 0.375);
    tnode_sink(&t, 2, -INFINITY);
    static const double want[3][2] = {{1.4551213855087883, 1.2756069275439414},
                                      {0.5713931728387133, -0.058379411658307886},
                                      {1.0647958848819787, -0.6760205755901063}};
    double out[6];
    CHECK(tnode_ref(&t, out, NULL) == 0);
    for (int h = 0; h < 3; h++)
        for (int d = 0; d < 2; d++)
            CHECKF(fabs(out[h * 2 + d] - want[h][d]) <= 1e-13, "head %d d %d: %.17g want %.17g", h, d, out[h * 2 + d],
                   want[h][d]);
    /* the single-loop implementation agrees */
    double o2[6];
    char err[256];
    CHECK(fasv_oracle_ref_simple(&t.c.node, &t.d, o2, NULL, err, sizeof err) == 0);
    for (int x = 0; x < 6; x++) CHECK(fabs(o2[x] - want[x / 2][x % 2]) <= 1e-13);
    tnode_free(&t);
}

/* A sink of -inf adds exp(-inf) = 0 to the denominator: the output is the
 * same bits as without sinks. Random data through the generator. */
static void neg_inf_sink(void) {
    for (uint64_t seed = 1; seed <= 20; seed++) {
        fasv_build b;
        fasv_build_defaults(&b);
        b.hsk = b.hsv = 32;
        b.nh = 2;
        b.gqa = 2;
        b.kv = 37;
        b.nb = 3;
        b.mask = seed % 2;
        b.sinks = true;
        b.softcap = seed % 3 == 0 ? 20.0f : 0.0f;
        b.seed = seed;
        b.dist = (fasv_dist)(seed % 3);
        fasv_case c;
        char err[256];
        CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
        fasv_data d;
        CHECK(fasv_gen(&c, &d, 0, err, sizeof err) == 0);
        float ninf = -INFINITY;
        for (int h = 0; h < 4; h++) memcpy(d.buf[FASV_SINKS] + c.node.sinks.offset + 4 * h, &ninf, 4);
        int64_t cnt = fasv_out_count(&c.node);
        double *a = malloc(sizeof(double) * (size_t)cnt), *bb = malloc(sizeof(double) * (size_t)cnt);
        fasv_oracle_opts o = {1, 0};
        CHECK(fasv_oracle_ref(&c.node, &d, &o, a, NULL, err, sizeof err) == 0);
        c.node.has_sinks = false;
        CHECK(fasv_oracle_ref(&c.node, &d, &o, bb, NULL, err, sizeof err) == 0);
        CHECKF(memcmp(a, bb, sizeof(double) * (size_t)cnt) == 0, "seed %llu: -inf sinks changed the output",
               (unsigned long long)seed);
        free(a);
        free(bb);
        fasv_data_free(&d);
    }
}

/* A query row whose keys are all masked gives exactly 0, with a sink too, and
 * row scale 0; its neighbour row is unaffected. */
static void fully_masked(void) {
    tnode t;
    tnode_init(&t, 4, 4, 2, 1, 1, 3, 1, 1, FASV_TYPE_F16, FASV_TYPE_F16, 1, 1, 1);
    double q[4] = {1, -1, 0.5, 2}, k[4] = {0.5, 0.25, -1, 1}, v[4];
    tnode_row(&t, FASV_Q, 0, 0, 0, q);
    tnode_row(&t, FASV_Q, 1, 0, 0, q);
    for (int j = 0; j < 3; j++) {
        for (int e = 0; e < 4; e++) v[e] = (double)(j + 1) * (e % 2 ? -1.0 : 1.0);
        tnode_row(&t, FASV_K, j, 0, 0, k);
        tnode_row(&t, FASV_V, j, 0, 0, v);
        tnode_mask(&t, j, 0, 0, 0, j == 1 ? 0.0 : -INFINITY); /* query 0 sees key 1 only */
        tnode_mask(&t, j, 1, 0, 0, -INFINITY);                 /* query 1 sees nothing */
    }
    tnode_sink(&t, 0, 0.0);
    double out[8];
    fasv_row_stat rs[2];
    CHECK(tnode_ref(&t, out, rs) == 0);
    for (int e = 0; e < 4; e++) {
        CHECKF(out[4 + e] == 0.0 && !signbit(out[4 + e]), "masked row d=%d: %g", e, out[4 + e]);
        /* query 0: one key with logit s = 0.5 q.k... weight e^s / (e^s + e^0) */
    }
    double s = 1.0 * (1 * 0.5 + -1 * 0.25 + 0.5 * -1 + 2 * 1);  /* scale 1: 1.75 */
    double w = exp(s) / (exp(s) + 1.0);
    for (int e = 0; e < 4; e++) CHECK(fabs(out[e] - w * 2.0 * (e % 2 ? -1.0 : 1.0)) <= 1e-15);
    CHECK(rs[1].scale == 0.0 && rs[1].cond == 0.0);
    CHECK(rs[0].scale == 2.0);
    tnode_free(&t);
}

/* Quantized (and f16/bf16) K/V against an f32 node holding their
 * dequantized values: the same bits when f32 holds every value exactly, else
 * within the f32 rounding's effect. Views of a KV cache, V a view of K, row
 * gaps: the addressing is exercised too. */
static void quant_vs_dequant(void) {
    static const fasv_type types[] = {FASV_TYPE_Q8_0, FASV_TYPE_Q4_0, FASV_TYPE_Q4_1, FASV_TYPE_Q5_0,
                                      FASV_TYPE_Q5_1, FASV_TYPE_F16,  FASV_TYPE_BF16};
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++)
        for (int layout = 0; layout < 3; layout++) {
            fasv_build b;
            fasv_build_defaults(&b);
            b.hsk = 64;
            b.hsv = layout == 2 ? 32 : 64;
            b.nh = 2;
            b.gqa = 2;
            b.kv = 45;
            b.nb = 3;
            b.type_k = b.type_v = types[ti];
            b.mask = true;
            b.seed = 11 + ti;
            b.dist = layout == 1 ? FASV_DIST_NORMAL : FASV_DIST_UNIFORM;
            if (layout == 1) b.kv_capacity = 64;
            if (layout == 2) b.v_view_of_k = true;
            fasv_case c;
            char err[256];
            CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
            fasv_data d;
            CHECK(fasv_gen(&c, &d, 0, err, sizeof err) == 0);
            /* the f32 copy */
            tnode t;
            const fasv_node *n = &c.node;
            tnode_init(&t, 64, b.hsv, 3, 4, 1, 45, 2, 1, FASV_TYPE_F32, FASV_TYPE_F32, 1, 1, 0);
            t.c.node.scale = n->scale;
            int inexact = 0;
            double row[64];
            for (int64_t h = 0; h < 4; h++)
                for (int64_t i = 0; i < 3; i++) {
                    fasv_dequant_row_f64(FASV_TYPE_F32, fasv_data_row(&d, n, FASV_Q, i, h, 0), row, 64);
                    tnode_row(&t, FASV_Q, i, h, 0, row);
                }
            for (int id = FASV_K; id <= FASV_V; id++)
                for (int64_t h = 0; h < 2; h++)
                    for (int64_t j = 0; j < 45; j++) {
                        int64_t ne0 = n->t[id].ne[0];
                        fasv_dequant_row_f64(n->t[id].type, fasv_data_row(&d, n, (fasv_tid)id, j, h, 0), row, ne0);
                        for (int64_t e = 0; e < ne0; e++) inexact |= (double)(float)row[e] != row[e];
                        tnode_row(&t, (fasv_tid)id, j, h, 0, row);
                    }
            for (int64_t i = 0; i < 3; i++)
                memcpy(t.d.buf[FASV_MASK] + i * t.c.node.mask.nb[1], fasv_data_row(&d, n, FASV_MASK, i, 0, 0), 2 * 45);
            int64_t cnt = fasv_out_count(n);
            double *a = malloc(sizeof(double) * (size_t)cnt), *bb = malloc(sizeof(double) * (size_t)cnt);
            fasv_row_stat rs[12];
            fasv_oracle_opts o = {1, 0};
            CHECK(fasv_oracle_ref(n, &d, &o, a, rs, err, sizeof err) == 0);
            CHECK(fasv_oracle_ref(&t.c.node, &t.d, &o, bb, NULL, err, sizeof err) == 0);
            double worst = 0.0;
            for (int64_t x = 0; x < cnt; x++) {
                double e = fabs(a[x] - bb[x]) / rs[x / b.hsv].scale;
                if (e > worst) worst = e;
            }
            if (!inexact)
                CHECKF(worst == 0.0, "%s layout %d: %.3g of W apart from its f32 copy", fasv_type_name(types[ti]),
                       layout, worst);
            else
                CHECKF(worst <= 1e-5, "%s layout %d: %.3g of W apart from its (inexact) f32 copy",
                       fasv_type_name(types[ti]), layout, worst);
            free(a);
            free(bb);
            tnode_free(&t);
            fasv_data_free(&d);
        }
}

/* Decode shapes (few query rows, many keys) are split over key chunks whose
 * partial softmax states are merged: same function as the single loop, same
 * bits on any thread count. Masks with -inf runs, a sink, two sequences. */
static void split_over_keys(void) {
    for (int variant = 0; variant < 3; variant++) {
        fasv_build b;
        fasv_build_defaults(&b);
        b.hsk = b.hsv = 16;
        b.kv = variant == 2 ? 4097 : 9000;
        b.nb = 1;
        b.nh = 1;
        b.gqa = variant == 1 ? 2 : 1;
        b.nr3 = 2;
        b.nr3_kv = variant == 1 ? 1 : 2;
        b.mask = true;
        b.mask_seqs = variant == 1 ? 1 : 2;
        b.sinks = variant != 0;
        b.seed = 90 + (uint64_t)variant;
        b.dist = variant == 2 ? FASV_DIST_ADVERSARIAL : FASV_DIST_NORMAL;
        fasv_case c;
        char err[256];
        CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
        fasv_data d;
        CHECK(fasv_gen(&c, &d, 0, err, sizeof err) == 0);
        int64_t cnt = fasv_out_count(&c.node), rows = fasv_oracle_rows(&c.node);
        double *a = malloc(sizeof(double) * (size_t)cnt), *s1 = malloc(sizeof(double) * (size_t)cnt),
               *t3 = malloc(sizeof(double) * (size_t)cnt);
        fasv_row_stat *ra = malloc(sizeof(fasv_row_stat) * (size_t)rows), *rs = malloc(sizeof(fasv_row_stat) * (size_t)rows);
        fasv_oracle_opts o1 = {1, 0}, o3 = {3, 0};
        CHECK(fasv_oracle_ref(&c.node, &d, &o1, a, ra, err, sizeof err) == 0);
        CHECK(fasv_oracle_ref(&c.node, &d, &o3, t3, NULL, err, sizeof err) == 0);
        CHECK(fasv_oracle_ref_simple(&c.node, &d, s1, rs, err, sizeof err) == 0);
        CHECKF(memcmp(a, t3, sizeof(double) * (size_t)cnt) == 0, "variant %d: thread count changed bits", variant);
        double worst = 0.0, wscale = 0.0;
        for (int64_t x = 0; x < cnt; x++) {
            double W = ra[x / 16].scale;
            double e = W > 0 ? fabs(a[x] - s1[x]) / W : fabs(a[x] - s1[x]) * 1e300;
            if (e > worst) worst = e;
        }
        for (int64_t r = 0; r < rows; r++)
            if (ra[r].scale > 0) wscale = fmax(wscale, fabs(ra[r].scale - rs[r].scale) / ra[r].scale);
        CHECKF(worst <= 1e-12 && wscale <= 1e-12, "variant %d: split reference vs single loop: %.3g of W, scale %.3g",
               variant, worst, wscale);
        free(a);
        free(s1);
        free(t3);
        free(ra);
        free(rs);
        fasv_data_free(&d);
    }
}

/* Past 131072 keys the naive reference recomputes scores instead of keeping
 * them (bounded memory); it must still agree with the reference to its
 * precision. Head size 4 keeps the buffers small. */
static void naive_many_keys(void) {
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = b.hsv = 4;
    b.kv = 140001;
    b.nb = 2;
    b.nh = 1;
    b.gqa = 2;
    b.mask = true;
    b.sinks = true;
    b.seed = 5;
    fasv_case c;
    char err[256];
    CHECK(fasv_build_case(&b, &c, err, sizeof err) == 0);
    for (int prec = 0; prec < 2; prec++) {
        c.node.prec = prec ? FASV_PREC_F32 : FASV_PREC_DEFAULT;
        fasv_data d;
        CHECK(fasv_gen(&c, &d, 0, err, sizeof err) == 0);
        fasv_oracle_result res;
        fasv_oracle_opts o = {2, 0};
        CHECK(fasv_oracle_prepare(&c.node, &d, &o, &res, err, sizeof err) == 0);
        double worst = 0.0;
        for (int64_t x = 0; x < res.count; x++) worst = fmax(worst, fabs(res.naive[x] - res.ref[x]) / res.row[x / 4].scale);
        CHECKF(worst < (prec ? 1e-4 : 1e-2) && worst > 0.0, "prec %d: naive %.3g of W from the reference", prec, worst);
        fasv_oracle_result_free(&res);
        fasv_data_free(&d);
    }
}

/* Illegal nodes and missing buffers are refused with a reason, not read. */
static void refusals(void) {
    tnode t;
    tnode_init(&t, 4, 4, 1, 3, 1, 2, 2, 1, FASV_TYPE_F16, FASV_TYPE_F16, 0, 0, 0); /* 3 heads over 2 KV heads */
    double out[12];
    char err[256] = "";
    fasv_oracle_opts o = {1, 0};
    CHECK(fasv_oracle_ref(&t.c.node, &t.d, &o, out, NULL, err, sizeof err) == -1);
    CHECKF(strstr(err, "illegal") != NULL, "%s", err);
    tnode_free(&t);
    tnode_init(&t, 4, 4, 1, 2, 1, 2, 2, 1, FASV_TYPE_F16, FASV_TYPE_F16, 0, 0, 0);
    free(t.d.buf[FASV_V]);
    t.d.buf[FASV_V] = NULL;
    CHECK(fasv_oracle_ref(&t.c.node, &t.d, &o, out, NULL, err, sizeof err) == -1);
    CHECKF(strstr(err, "no data for v") != NULL, "%s", err);
    float nv[8];
    CHECK(fasv_oracle_naive(&t.c.node, &t.d, &o, nv, err, sizeof err) == -1);
    tnode_free(&t);
}

int main(void) {
    one_key();
    equal_scores();
    two_keys_by_hand();
    neg_inf_sink();
    fully_masked();
    quant_vs_dequant();
    split_over_keys();
    naive_many_keys();
    refusals();
    return check_report("test_oracle");
}
