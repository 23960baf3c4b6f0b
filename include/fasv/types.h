/* fasv/types.h — element types of the attention node and their storage.
 *
 * Owns: the eight tensor types fasv models (f32, f16, bf16 and ggml's q8_0,
 * q4_0, q4_1, q5_0, q5_1 block formats), their byte layouts, exact
 * conversions (f16/bf16 <-> f32, block dequantization), and the reference
 * quantizers the data generator uses.
 * Must not know: nodes, devices, planners, kernels. Pure arithmetic on bytes.
 *
 * Block layouts (32 values per block, little-endian, no padding):
 *   q8_0: f16 d;                 int8  qs[32]             x = qs[j]*d
 *   q4_0: f16 d;                 uint8 qs[16]             x = (nib-8)*d
 *   q4_1: f16 d; f16 m;          uint8 qs[16]             x = nib*d + m
 *   q5_0: f16 d; uint8 qh[4];    uint8 qs[16]             x = (nib|hi<<4)-16)*d
 *   q5_1: f16 d; f16 m; uint8 qh[4]; uint8 qs[16]         x = (nib|hi<<4)*d + m
 * Element j < 16 uses the low nibble of qs[j], element j >= 16 the high nibble
 * of qs[j-16]; the fifth bit of element j is bit j of the 32-bit qh word.
 */
#ifndef FASV_TYPES_H
#define FASV_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fasv_type {
    FASV_TYPE_F32 = 0,
    FASV_TYPE_F16,
    FASV_TYPE_BF16,
    FASV_TYPE_Q8_0,
    FASV_TYPE_Q4_0,
    FASV_TYPE_Q4_1,
    FASV_TYPE_Q5_0,
    FASV_TYPE_Q5_1,
    FASV_TYPE_COUNT
} fasv_type;

#define FASV_QK 32 /* values per quantized block */

typedef struct fasv_type_info {
    const char *name;    /* "f32", "q8_0", ... as ggml spells them */
    int block;           /* values per block: 1 for float types, 32 for quantized */
    int block_bytes;     /* bytes per block (ggml's type_size) */
    int align;           /* natural byte alignment of rows and strides */
    int is_quant;
} fasv_type_info;

const fasv_type_info *fasv_type_get(fasv_type t);
const char *fasv_type_name(fasv_type t);
/* Returns 0 and sets *out when name is one of the eight names, else -1. */
int fasv_type_parse(const char *name, fasv_type *out);
/* Bytes of one row of n values (n must be a multiple of the block size). */
int64_t fasv_row_bytes(fasv_type t, int64_t n);

/* Exact IEEE conversions. f32->f16/bf16 round to nearest even; NaN stays NaN. */
float fasv_f16_to_f32(uint16_t h);
uint16_t fasv_f32_to_f16(float f);
float fasv_bf16_to_f32(uint16_t h);
uint16_t fasv_f32_to_bf16(float f);

/* Dequantize n values (a multiple of the block size) of a row stored in type t.
 * The f64 form is exact: every representable value of every type is a double. */
void fasv_dequant_row_f64(fasv_type t, const void *row, double *out, int64_t n);
void fasv_dequant_row_f32(fasv_type t, const void *row, float *out, int64_t n);

/* Store n floats as a row of type t. For quantized types this is ggml's
 * reference quantizer (round to nearest, scale chosen from the block's range). */
void fasv_quant_row(fasv_type t, const float *in, void *row, int64_t n);

/* Little-endian helpers for unaligned storage. */
static inline uint16_t fasv_rd16(const void *p) {
    const uint8_t *b = (const uint8_t *)p;
    return (uint16_t)(b[0] | (b[1] << 8));
}
static inline void fasv_wr16(void *p, uint16_t v) {
    uint8_t *b = (uint8_t *)p;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}
static inline uint32_t fasv_rd32(const void *p) {
    const uint8_t *b = (const uint8_t *)p;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
}
static inline void fasv_wr32(void *p, uint32_t v) {
    uint8_t *b = (uint8_t *)p;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)(v >> 16);
    b[3] = (uint8_t)(v >> 24);
}

#ifdef __cplusplus
}
#endif
#endif
