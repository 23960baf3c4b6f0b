/* types.c — element types: names, block geometry, exact conversions,
 * dequantization and ggml's reference quantizers. See fasv/types.h. */
#include "fasv/types.h"

#include <math.h>
#include <string.h>

static const fasv_type_info k_types[FASV_TYPE_COUNT] = {
    [FASV_TYPE_F32] = {"f32", 1, 4, 4, 0},
    [FASV_TYPE_F16] = {"f16", 1, 2, 2, 0},
    [FASV_TYPE_BF16] = {"bf16", 1, 2, 2, 0},
    [FASV_TYPE_Q8_0] = {"q8_0", 32, 34, 2, 1},
    [FASV_TYPE_Q4_0] = {"q4_0", 32, 18, 2, 1},
    [FASV_TYPE_Q4_1] = {"q4_1", 32, 20, 2, 1},
    [FASV_TYPE_Q5_0] = {"q5_0", 32, 22, 2, 1},
    [FASV_TYPE_Q5_1] = {"q5_1", 32, 24, 2, 1},
};

const fasv_type_info *fasv_type_get(fasv_type t) {
    if ((unsigned)t >= FASV_TYPE_COUNT) return NULL;
    return &k_types[t];
}

const char *fasv_type_name(fasv_type t) {
    const fasv_type_info *i = fasv_type_get(t);
    return i ? i->name : "?";
}

int fasv_type_parse(const char *name, fasv_type *out) {
    for (int i = 0; i < FASV_TYPE_COUNT; i++) {
        if (strcmp(name, k_types[i].name) == 0) {
            *out = (fasv_type)i;
            return 0;
        }
    }
    return -1;
}

int64_t fasv_row_bytes(fasv_type t, int64_t n) {
    const fasv_type_info *i = fasv_type_get(t);
    if (!i) return 0;
    return n / i->block * i->block_bytes;
}

/* ---- f16 / bf16 ---------------------------------------------------------- */

static inline uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float fasv_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t man = h & 0x3FFu;
    if (exp == 0x1F) return bits_f32(sign | 0x7F800000u | (man << 13)); /* inf / nan (payload kept) */
    if (exp == 0) {
        /* zero or subnormal: man * 2^-24, exact in float */
        float v = (float)man * 0x1p-24f;
        return sign ? -v : v;
    }
    return bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

uint16_t fasv_f32_to_f16(float f) {
    uint32_t u = f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t exp = (u >> 23) & 0xFFu;
    uint32_t man = u & 0x7FFFFFu;
    if (exp == 0xFF) {
        if (man) return (uint16_t)(sign | 0x7E00u | (man >> 13)); /* quiet NaN, keep top payload */
        return (uint16_t)(sign | 0x7C00u);
    }
    int32_t e = (int32_t)exp - 127 + 15; /* biased half exponent */
    if (e >= 0x1F) return (uint16_t)(sign | 0x7C00u); /* overflow -> inf */
    if (e <= 0) {
        /* subnormal half (or zero): value = m * 2^-24 with m rounded to nearest even */
        if (e < -10) return sign; /* below half of the smallest subnormal: +-0 */
        uint32_t m = man | 0x800000u; /* implicit bit */
        int shift = 14 - e;           /* 13 + (1 - e) */
        uint32_t q = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1);
        uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1))) q++;
        return (uint16_t)(sign | q); /* q may carry into the exponent field: correct */
    }
    uint32_t q = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1FFFu;
    if (rem > 0x1000u || (rem == 0x1000u && (q & 1))) q++; /* carry may reach inf: correct */
    return (uint16_t)(sign | q);
}

float fasv_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

uint16_t fasv_f32_to_bf16(float f) {
    uint32_t u = f32_bits(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x40u); /* quiet NaN */
    uint32_t lsb = (u >> 16) & 1u;
    u += 0x7FFFu + lsb;
    return (uint16_t)(u >> 16);
}

/* ---- quantized blocks ---------------------------------------------------- */

/* Decode one block of 32 values as the integer code q[j] and the affine pair
 * (d, m): value = q[j]*d + m (m = 0 for the symmetric formats). */
static void block_codes(fasv_type t, const uint8_t *b, int q[32], double *d, double *m) {
    *m = 0.0;
    *d = fasv_f16_to_f32(fasv_rd16(b));
    switch (t) {
    case FASV_TYPE_Q8_0:
        for (int j = 0; j < 32; j++) q[j] = (int8_t)b[2 + j];
        break;
    case FASV_TYPE_Q4_0:
        for (int j = 0; j < 16; j++) {
            q[j] = (b[2 + j] & 0x0F) - 8;
            q[j + 16] = (b[2 + j] >> 4) - 8;
        }
        break;
    case FASV_TYPE_Q4_1:
        *m = fasv_f16_to_f32(fasv_rd16(b + 2));
        for (int j = 0; j < 16; j++) {
            q[j] = b[4 + j] & 0x0F;
            q[j + 16] = b[4 + j] >> 4;
        }
        break;
    case FASV_TYPE_Q5_0:
    case FASV_TYPE_Q5_1: {
        int has_m = t == FASV_TYPE_Q5_1;
        if (has_m) *m = fasv_f16_to_f32(fasv_rd16(b + 2));
        const uint8_t *p = b + (has_m ? 4 : 2);
        uint32_t qh = fasv_rd32(p);
        const uint8_t *qs = p + 4;
        int off = has_m ? 0 : 16;
        for (int j = 0; j < 16; j++) {
            int lo = (qs[j] & 0x0F) | (int)(((qh >> j) & 1u) << 4);
            int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1u) << 4);
            q[j] = lo - off;
            q[j + 16] = hi - off;
        }
        break;
    }
    default:
        for (int j = 0; j < 32; j++) q[j] = 0;
        break;
    }
}

void fasv_dequant_row_f64(fasv_type t, const void *row, double *out, int64_t n) {
    const uint8_t *p = (const uint8_t *)row;
    switch (t) {
    case FASV_TYPE_F32:
        for (int64_t i = 0; i < n; i++) out[i] = bits_f32(fasv_rd32(p + 4 * i));
        return;
    case FASV_TYPE_F16:
        for (int64_t i = 0; i < n; i++) out[i] = fasv_f16_to_f32(fasv_rd16(p + 2 * i));
        return;
    case FASV_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) out[i] = fasv_bf16_to_f32(fasv_rd16(p + 2 * i));
        return;
    default: {
        const fasv_type_info *ti = fasv_type_get(t);
        if (!ti) return;
        for (int64_t b = 0; b < n / 32; b++) {
            int q[32];
            double d, m;
            block_codes(t, p + b * ti->block_bytes, q, &d, &m);
            /* q*d has <= 19 significant bits and both terms lie in [2^-24, 2^21]:
             * the double sum is exact. */
            for (int j = 0; j < 32; j++) out[b * 32 + j] = (double)q[j] * d + m;
        }
    }
    }
}

void fasv_dequant_row_f32(fasv_type t, const void *row, float *out, int64_t n) {
    /* ggml's kernels compute q*d (+ m) in f32; do the same. */
    const fasv_type_info *ti = fasv_type_get(t);
    if (!ti) return;
    if (!ti->is_quant) {
        double tmp[64];
        for (int64_t i = 0; i < n; i += 64) {
            int64_t c = n - i < 64 ? n - i : 64;
            fasv_dequant_row_f64(t, (const uint8_t *)row + i * ti->block_bytes, tmp, c);
            for (int64_t j = 0; j < c; j++) out[i + j] = (float)tmp[j];
        }
        return;
    }
    const uint8_t *p = (const uint8_t *)row;
    for (int64_t b = 0; b < n / 32; b++) {
        int q[32];
        double d, m;
        block_codes(t, p + b * ti->block_bytes, q, &d, &m);
        float fd = (float)d, fm = (float)m;
        for (int j = 0; j < 32; j++) out[b * 32 + j] = (float)q[j] * fd + fm;
    }
}

/* ggml's reference quantizers (quantize_row_*_ref), re-derived from the
 * format definitions above. */
static void quant_block(fasv_type t, const float *x, uint8_t *b) {
    switch (t) {
    case FASV_TYPE_Q8_0: {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        fasv_wr16(b, fasv_f32_to_f16(d));
        for (int j = 0; j < 32; j++) b[2 + j] = (uint8_t)(int8_t)roundf(x[j] * id);
        break;
    }
    case FASV_TYPE_Q4_0:
    case FASV_TYPE_Q5_0: {
        int q5 = t == FASV_TYPE_Q5_0;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 32; j++) {
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        float d = max / (q5 ? -16.0f : -8.0f);
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        fasv_wr16(b, fasv_f32_to_f16(d));
        uint8_t *qs = b + (q5 ? 6 : 2);
        uint32_t qh = 0;
        int top = q5 ? 31 : 15;
        float bias = q5 ? 16.5f : 8.5f;
        for (int j = 0; j < 16; j++) {
            int a = (int)(int8_t)(x[j] * id + bias);
            int c = (int)(int8_t)(x[j + 16] * id + bias);
            if (a > top) a = top;
            if (c > top) c = top;
            if (a < 0) a = 0;
            if (c < 0) c = 0;
            qs[j] = (uint8_t)((a & 0x0F) | ((c & 0x0F) << 4));
            qh |= (uint32_t)((a >> 4) & 1) << j;
            qh |= (uint32_t)((c >> 4) & 1) << (j + 16);
        }
        if (q5) fasv_wr32(b + 2, qh);
        break;
    }
    case FASV_TYPE_Q4_1:
    case FASV_TYPE_Q5_1: {
        int q5 = t == FASV_TYPE_Q5_1;
        float min = x[0], max = x[0];
        for (int j = 1; j < 32; j++) {
            min = fminf(min, x[j]);
            max = fmaxf(max, x[j]);
        }
        float d = (max - min) / (q5 ? 31.0f : 15.0f);
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        fasv_wr16(b, fasv_f32_to_f16(d));
        fasv_wr16(b + 2, fasv_f32_to_f16(min));
        uint8_t *qs = b + (q5 ? 8 : 4);
        uint32_t qh = 0;
        int top = q5 ? 31 : 15;
        for (int j = 0; j < 16; j++) {
            int a = (int)(int8_t)((x[j] - min) * id + 0.5f);
            int c = (int)(int8_t)((x[j + 16] - min) * id + 0.5f);
            if (a > top) a = top;
            if (c > top) c = top;
            if (a < 0) a = 0;
            if (c < 0) c = 0;
            qs[j] = (uint8_t)((a & 0x0F) | ((c & 0x0F) << 4));
            qh |= (uint32_t)((a >> 4) & 1) << j;
            qh |= (uint32_t)((c >> 4) & 1) << (j + 16);
        }
        if (q5) fasv_wr32(b + 4, qh);
        break;
    }
    default:
        break;
    }
}

void fasv_quant_row(fasv_type t, const float *in, void *row, int64_t n) {
    uint8_t *p = (uint8_t *)row;
    switch (t) {
    case FASV_TYPE_F32:
        for (int64_t i = 0; i < n; i++) fasv_wr32(p + 4 * i, f32_bits(in[i]));
        return;
    case FASV_TYPE_F16:
        for (int64_t i = 0; i < n; i++) fasv_wr16(p + 2 * i, fasv_f32_to_f16(in[i]));
        return;
    case FASV_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) fasv_wr16(p + 2 * i, fasv_f32_to_bf16(in[i]));
        return;
    default: {
        const fasv_type_info *ti = fasv_type_get(t);
        if (!ti) return;
        for (int64_t b = 0; b < n / 32; b++) quant_block(t, in + b * 32, p + b * ti->block_bytes);
    }
    }
}
