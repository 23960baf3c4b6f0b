/* fasv/json.h — a small streaming JSON writer for every report fasv prints.
 *
 * Owns: well-formed, escaped JSON text with commas handled; nothing else.
 * Must not know: what is being reported.
 */
#ifndef FASV_JSON_H
#define FASV_JSON_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fasv_json {
    FILE *f;
    int depth;
    int first[64];  /* per depth: no element written yet */
    char close[64]; /* per depth: the closing bracket */
    int pretty;
    int after_key;
} fasv_json;

void fasv_json_init(fasv_json *j, FILE *f, int pretty);
void fasv_json_obj(fasv_json *j);   /* { */
void fasv_json_arr(fasv_json *j);   /* [ */
void fasv_json_end(fasv_json *j);   /* } or ] */
void fasv_json_key(fasv_json *j, const char *k);
void fasv_json_str(fasv_json *j, const char *s);
void fasv_json_int(fasv_json *j, int64_t v);
void fasv_json_num(fasv_json *j, double v); /* non-finite numbers are written as strings "nan", "inf", "-inf" */
void fasv_json_bool(fasv_json *j, int v);
void fasv_json_null(fasv_json *j);
/* key + value shorthands */
void fasv_json_kstr(fasv_json *j, const char *k, const char *s);
void fasv_json_kint(fasv_json *j, const char *k, int64_t v);
void fasv_json_knum(fasv_json *j, const char *k, double v);
void fasv_json_kbool(fasv_json *j, const char *k, int v);
/* Finish the document with a newline. */
void fasv_json_done(fasv_json *j);

#ifdef __cplusplus
}
#endif
#endif
