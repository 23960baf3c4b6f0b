/* test_types.c — conversions and block formats against independent truth:
 * the compiler's own _Float16 where the target has it, exhaustive round trips,
 * blocks whose values were worked out by hand from the format definitions,
 * and published PRNG test vectors. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "fasv/rng.h"
#include "fasv/types.h"

static void test_f16(void) {
    /* every finite half survives half -> float -> half */
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = fasv_f16_to_f32((uint16_t)h);
        if (isnan(f)) continue;
        if (fasv_f32_to_f16(f) != h) bad++;
    }
    CHECKF(bad == 0, "%d halves do not round-trip", bad);
    /* hand-worked values */
    CHECK(fasv_f16_to_f32(0x3C00) == 1.0f);
    CHECK(fasv_f16_to_f32(0xC000) == -2.0f);
    CHECK(fasv_f16_to_f32(0x7BFF) == 65504.0f);
    CHECK(fasv_f16_to_f32(0x0001) == 0x1p-24f);
    CHECK(fasv_f16_to_f32(0x0400) == 0x1p-14f);
    CHECK(isinf(fasv_f16_to_f32(0xFC00)) && fasv_f16_to_f32(0xFC00) < 0);
    CHECK(isnan(fasv_f16_to_f32(0xFFFF))); /* the padding pattern is NaN */
    CHECK(fasv_f32_to_f16(65520.0f) == 0x7C00);  /* halfway to 2^16 rounds to even: inf */
    CHECK(fasv_f32_to_f16(65519.0f) == 0x7BFF);
    CHECK(fasv_f32_to_f16(1.0f + 0x1p-11f) == 0x3C00); /* tie, even mantissa stays */
    CHECK(fasv_f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3C02); /* tie, odd mantissa rounds up */
    CHECK(fasv_f32_to_f16(0x1p-25f) == 0x0000);          /* tie at half the smallest subnormal: even (0) */
    CHECK(fasv_f32_to_f16(0x1.8p-25f) == 0x0001);
    CHECK(fasv_f32_to_f16(-0.0f) == 0x8000);
#ifdef __FLT16_MAX__
    /* compare with the compiler's conversion on many random floats */
    fasv_rng r;
    fasv_rng_seed(&r, 99);
    int mism = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t u = (uint32_t)fasv_rng_u64(&r);
        float f;
        memcpy(&f, &u, 4);
        if (isnan(f)) continue;
        _Float16 h = (_Float16)f;
        uint16_t hb;
        memcpy(&hb, &h, 2);
        if (hb != fasv_f32_to_f16(f)) mism++;
    }
    CHECKF(mism == 0, "%d conversions differ from _Float16", mism);
#endif
}

static void test_bf16(void) {
    CHECK(fasv_bf16_to_f32(0x3F80) == 1.0f);
    CHECK(fasv_f32_to_bf16(1.0f) == 0x3F80);
    /* 1 + 2^-8 is a tie between 0x3F80 and 0x3F81: even wins */
    CHECK(fasv_f32_to_bf16(1.0f + 0x1p-8f) == 0x3F80);
    CHECK(fasv_f32_to_bf16(1.0f + 3 * 0x1p-8f) == 0x3F82);
    CHECK(isnan(fasv_bf16_to_f32(fasv_f32_to_bf16(NAN))));
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = fasv_bf16_to_f32((uint16_t)h);
        if (!isnan(f) && fasv_f32_to_bf16(f) != h) bad++;
    }
    CHECK(bad == 0);
}

static void test_blocks(void) {
    uint8_t b[34];
    double out[32];
    /* q8_0: d = 0.5 (f16 0x3800), qs[j] = j - 16 -> value (j-16)/2 */
    memset(b, 0, sizeof b);
    b[0] = 0x00;
    b[1] = 0x38;
    for (int j = 0; j < 32; j++) b[2 + j] = (uint8_t)(int8_t)(j - 16);
    fasv_dequant_row_f64(FASV_TYPE_Q8_0, b, out, 32);
    int ok = 1;
    for (int j = 0; j < 32; j++) ok &= out[j] == (j - 16) * 0.5;
    CHECK(ok);
    /* q4_0: d = 2 (0x4000); qs[0] = 0x1F: element 0 low nibble 15 -> (15-8)*2 = 14,
     * element 16 high nibble 1 -> (1-8)*2 = -14; qs[5] = 0x80: el 5 -> -16, el 21 -> 0 */
    memset(b, 0, sizeof b);
    b[1] = 0x40;
    b[2 + 0] = 0x1F;
    b[2 + 5] = 0x80;
    fasv_dequant_row_f64(FASV_TYPE_Q4_0, b, out, 32);
    CHECK(out[0] == 14.0 && out[16] == -14.0 && out[5] == -16.0 && out[21] == 0.0 && out[1] == -16.0);
    /* q4_1: d = 0.25 (0x3400), m = -1 (0xBC00); qs[3] = 0xA4: el 3 = 4*0.25-1 = 0, el 19 = 10*0.25-1 = 1.5 */
    memset(b, 0, sizeof b);
    b[0] = 0x00, b[1] = 0x34, b[2] = 0x00, b[3] = 0xBC;
    b[4 + 3] = 0xA4;
    fasv_dequant_row_f64(FASV_TYPE_Q4_1, b, out, 32);
    CHECK(out[3] == 0.0 && out[19] == 1.5 && out[0] == -1.0);
    /* q5_0: d = 1 (0x3C00); qh bit 2 and bit 18 set; qs[2] = 0x3F:
     * el 2 = (15 | 16) - 16 = 15, el 18 = (3 | 16) - 16 = 3; el 0 = 0 - 16 = -16 */
    memset(b, 0, sizeof b);
    b[1] = 0x3C;
    uint32_t qh = (1u << 2) | (1u << 18);
    fasv_wr32(b + 2, qh);
    b[6 + 2] = 0x3F;
    fasv_dequant_row_f64(FASV_TYPE_Q5_0, b, out, 32);
    CHECK(out[2] == 15.0 && out[18] == 3.0 && out[0] == -16.0);
    /* q5_1: d = 0.5, m = 10; qh bit 31 set, qs[15] = 0xF0: el 31 = (15|16)*0.5+10 = 25.5, el 15 = 0*0.5+10 = 10 */
    memset(b, 0, sizeof b);
    b[1] = 0x38;
    fasv_wr16(b + 2, 0x4900); /* 10.0 */
    fasv_wr32(b + 4, 1u << 31);
    b[8 + 15] = 0xF0;
    fasv_dequant_row_f64(FASV_TYPE_Q5_1, b, out, 32);
    CHECK(out[31] == 25.5 && out[15] == 10.0);
}

static void test_quantizers(void) {
    /* quantize then dequantize: error bounded by half a step of each format */
    fasv_rng r;
    fasv_rng_seed(&r, 5);
    static const fasv_type qt[] = {FASV_TYPE_Q8_0, FASV_TYPE_Q4_0, FASV_TYPE_Q4_1, FASV_TYPE_Q5_0, FASV_TYPE_Q5_1};
    static const double steps[] = {127, 8, 15, 16, 31};
    for (int t = 0; t < 5; t++) {
        float x[64];
        uint8_t row[64];
        double y[64];
        int ok = 1;
        for (int it = 0; it < 200; it++) {
            double amax = 0, mn = 1e9, mx = -1e9;
            for (int i = 0; i < 32; i++) {
                x[i] = (float)(2 * fasv_rng_unit(&r) - 1);
                amax = fmax(amax, fabs(x[i]));
                mn = fmin(mn, x[i]);
                mx = fmax(mx, x[i]);
            }
            fasv_quant_row(qt[t], x, row, 32);
            fasv_dequant_row_f64(qt[t], row, y, 32);
            int affine = qt[t] == FASV_TYPE_Q4_1 || qt[t] == FASV_TYPE_Q5_1;
            double step = affine ? (mx - mn) / steps[t] : amax / steps[t];
            /* q4_0/q5_0 put the largest magnitude at code 0 (-8 or -16 steps);
             * a value of the opposite sign and equal size needs code 16 (32),
             * clamped to 15 (31): one full step there, half a step elsewhere. */
            double bound = (qt[t] == FASV_TYPE_Q4_0 || qt[t] == FASV_TYPE_Q5_0) ? 1.0 : 0.5;
            for (int i = 0; i < 32; i++) ok &= fabs(y[i] - x[i]) <= step * (bound + 0.01) + 1e-3 * amax + 1e-6;
        }
        CHECKF(ok, "%s quantizer error above its bound", fasv_type_name(qt[t]));
    }
    /* the float types store exactly what fits */
    float x[3] = {1.5f, -2.25f, 65504.0f};
    uint8_t row[12];
    double y[3];
    fasv_quant_row(FASV_TYPE_F16, x, row, 3);
    fasv_dequant_row_f64(FASV_TYPE_F16, row, y, 3);
    CHECK(y[0] == 1.5 && y[1] == -2.25 && y[2] == 65504.0);
    CHECK(fasv_row_bytes(FASV_TYPE_Q8_0, 64) == 68 && fasv_row_bytes(FASV_TYPE_Q5_1, 32) == 24 &&
          fasv_row_bytes(FASV_TYPE_BF16, 7) == 14);
}

static void test_rng(void) {
    /* published vectors: splitmix64 from state 0, xoshiro256** from state {1,2,3,4} */
    uint64_t st = 0;
    CHECK(fasv_splitmix64(&st) == 0xe220a8397b1dcdafull);
    CHECK(fasv_splitmix64(&st) == 0x6e789e6aa1b965f4ull);
    fasv_rng r = {{1, 2, 3, 4}, 0, 0, 0};
    CHECK(fasv_rng_u64(&r) == 11520ull);
    CHECK(fasv_rng_u64(&r) == 0ull);
    CHECK(fasv_rng_u64(&r) == 1509978240ull);
    CHECK(fasv_rng_u64(&r) == 1215971899390074240ull);
    /* byte streams: little-endian, minimal width, zeros when exhausted */
    const uint8_t bytes[] = {7, 0x34, 0x12, 200};
    fasv_rng b;
    fasv_rng_bytes(&b, bytes, sizeof bytes);
    CHECK(fasv_rng_below(&b, 10) == 7);
    CHECK(fasv_rng_below(&b, 60000) == 0x1234);
    CHECK(fasv_rng_below(&b, 100) == 0);
    CHECK(fasv_rng_below(&b, 100) == 0 && fasv_rng_exhausted(&b));
    /* range stays in range */
    fasv_rng_seed(&r, 1);
    int ok = 1;
    for (int i = 0; i < 10000; i++) {
        int64_t v = fasv_rng_range(&r, -3, 5);
        ok &= v >= -3 && v <= 5;
    }
    CHECK(ok);
}

int main(void) {
    test_f16();
    test_bf16();
    test_blocks();
    test_quantizers();
    test_rng();
    return check_report("test_types");
}
