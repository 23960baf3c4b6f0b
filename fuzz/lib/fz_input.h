/* fz_input.h — what a fuzzer's bytes mean.
 *
 * Owns: the three input forms every harness, driver and tool accepts, and the
 * compact binary node record the structure-aware mutator writes:
 *   text     bytes starting with "fasv-case" (or with '#' and parsing as a
 *            case): the readable case format, as in corpus/ and findings;
 *   record   bytes starting with FASV_RECORD_MAGIC and at least
 *            FASV_RECORD_SIZE long: a fixed little-endian image of a case
 *            (every field of the node, device, seed, dist) — cheap to decode
 *            and to write, so the mutator costs little per execution;
 *   stream   anything else: a byte stream that drives fasv_random_case, so
 *            every byte string is an input and the producer's choices are
 *            themselves fuzzed.
 * The record is lossless for cases without comments: decode(encode(c)) has
 * the same canonical text as c.
 * Must not know: planners, devices' behaviour, engines.
 */
#ifndef FASV_FZ_INPUT_H
#define FASV_FZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "fasv/build.h"
#include "fasv/case.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FASV_RECORD_MAGIC "\xFA\x5E\x4E\x01" /* 0xFA 0x5E 'N' version 1 */
#define FASV_RECORD_MAGIC_LEN 4
#define FASV_RECORD_TENSOR 68               /* type, buf, 2 reserved, 4 x u32 ne, 4 x i64 nb, i64 offset, i64 buf_bytes */
#define FASV_RECORD_SIZE (FASV_RECORD_MAGIC_LEN + 4 + 12 + 8 + FASV_NT * FASV_RECORD_TENSOR)

typedef enum fasv_input_form {
    FASV_INPUT_BAD = -1, /* text that does not parse */
    FASV_INPUT_TEXT = 0,
    FASV_INPUT_RECORD,
    FASV_INPUT_STREAM,
} fasv_input_form;

const char *fasv_input_form_name(fasv_input_form f); /* "text", "record", "stream", "bad" */

/* Decode bytes into a case. Streams use fasv_random_case with *ro (NULL =
 * shapes only, no budgets). The node may be illegal for text and records:
 * callers check fasv_node_check. Comments are kept for text only. err gets
 * the parse error of bad text (may be NULL). */
fasv_input_form fasv_input_decode(const uint8_t *data, size_t size, const fasv_rand_opts *ro, fasv_case *out,
                                  char *err, size_t errlen);

/* Write the record of c (comments are not part of it) into out, which must
 * hold FASV_RECORD_SIZE bytes. Returns FASV_RECORD_SIZE. */
size_t fasv_record_encode(const fasv_case *c, uint8_t *out);
/* Decode a record; -1 when size < FASV_RECORD_SIZE or the magic differs, or
 * a field holds no valid enum value (type, buffer, dist, device). */
int fasv_record_decode(const uint8_t *data, size_t size, fasv_case *out);

/* Read a whole file (case text, record or stream) into a malloc'd buffer.
 * 0, or -1 with err "PATH:0: reason". */
int fasv_read_file(const char *path, uint8_t **data, size_t *size, char *err, size_t errlen);
/* Load a case from any input form; illegal nodes are returned as they are. */
int fasv_input_load(const char *path, fasv_case *out, fasv_input_form *form, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
