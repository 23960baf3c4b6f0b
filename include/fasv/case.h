/* fasv/case.h — one test case as readable text.
 *
 * Owns: the case record (a node, optionally the device it is planned for, the
 * data seed and distribution, and the comment lines a human wrote), its
 * line-oriented text format (docs/case-format.md) and file I/O. Parsing never
 * checks op legality (fasv_node_check does that), only that the text is well
 * formed; every error is one line "FILE:LINE: what is wrong".
 * Must not know: planners, kernels, the oracle.
 */
#ifndef FASV_CASE_H
#define FASV_CASE_H

#include <stddef.h>
#include <stdint.h>

#include "fasv/node.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FASV_CASE_VERSION 1
#define FASV_CASE_MAX_FILE (1 << 20)   /* a case file is at most 1 MiB */
#define FASV_CASE_MAX_LINE 4096        /* and no line is longer */
#define FASV_COMMENTS_MAX 4096         /* bytes of comment text kept */
#define FASV_DEVICE_NAME_MAX 32

typedef enum fasv_dist {
    FASV_DIST_UNIFORM = 0, /* U[-1,1] */
    FASV_DIST_NORMAL,      /* N(0,1) (Irwin-Hall sum of 12 uniforms: exact same bytes everywhere) */
    FASV_DIST_ADVERSARIAL, /* large logits, -inf mask blocks, fully masked rows, large sinks, type limits */
    FASV_DIST_COUNT
} fasv_dist;

const char *fasv_dist_name(fasv_dist d);
int fasv_dist_parse(const char *s, fasv_dist *out);

typedef struct fasv_case {
    fasv_node node;
    char device[FASV_DEVICE_NAME_MAX]; /* "" when the case names no device */
    uint64_t seed;
    fasv_dist dist;
    char comments[FASV_COMMENTS_MAX];  /* full-line comments, each "# ...\n", in file order */
} fasv_case;

/* A tiny legal default: Dk=Dv=64, n_q=1, one head, n_kv=1, f16 K/V, no mask,
 * scale 1/8, seed 0, uniform. */
void fasv_case_init(fasv_case *c);

/* Parse text (need not be NUL-terminated). fname is used in messages only.
 * Returns 0, or -1 with err = "FNAME:LINE: message". Never crashes on any
 * input; does not check legality. */
int fasv_case_parse(const char *text, size_t len, const char *fname, fasv_case *out, char *err,
                    size_t errlen);
/* Read and parse a file ("-" = stdin). Same contract; errors about the file
 * itself are "FNAME:0: ...". */
int fasv_case_load(const char *path, fasv_case *out, char *err, size_t errlen);

/* Canonical text. Returns the length the full text needs (like snprintf);
 * writes at most len-1 bytes plus a NUL. */
size_t fasv_case_print(const fasv_case *c, char *buf, size_t len);
/* Canonical text in a malloc'd string (caller frees). */
char *fasv_case_to_string(const fasv_case *c);
/* Write canonical text to path; 0 or -1 with err. */
int fasv_case_save(const fasv_case *c, const char *path, char *err, size_t errlen);
/* Write text (NULL: out of memory) to path; 0 or -1 with err "PATH:0: ...".
 * Shared by every text format fasv saves. */
int fasv_write_text(const char *path, const char *text, char *err, size_t errlen);

/* Append one comment line (without "# " or newline); silently stops at the cap. */
void fasv_case_add_comment(fasv_case *c, const char *text);

#ifdef __cplusplus
}
#endif
#endif
