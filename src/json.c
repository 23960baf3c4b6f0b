/* json.c — streaming JSON writer. See fasv/json.h. */
#include "fasv/json.h"

#include <math.h>

void fasv_json_init(fasv_json *j, FILE *f, int pretty) {
    j->f = f;
    j->depth = 0;
    j->first[0] = 1;
    j->pretty = pretty;
    j->after_key = 0;
}

static void indent(fasv_json *j) {
    if (!j->pretty) return;
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
}

/* Before any value or key: the comma and the line break. */
static void sep(fasv_json *j) {
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (!j->first[j->depth]) fputc(',', j->f);
    j->first[j->depth] = 0;
    if (j->depth > 0) indent(j);
}

static void open(fasv_json *j, char c) {
    sep(j);
    fputc(c, j->f);
    if (j->depth < 63) j->depth++;
    j->first[j->depth] = 1;
    j->close[j->depth] = c == '{' ? '}' : ']';
}

void fasv_json_obj(fasv_json *j) { open(j, '{'); }
void fasv_json_arr(fasv_json *j) { open(j, '['); }

void fasv_json_end(fasv_json *j) {
    if (j->depth == 0) return;
    int empty = j->first[j->depth];
    char c = j->close[j->depth];
    j->depth--;
    if (!empty) indent(j);
    fputc(c, j->f);
}
static void put_str(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20 || *p >= 0x7F)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void fasv_json_key(fasv_json *j, const char *k) {
    sep(j);
    put_str(j->f, k);
    fputs(j->pretty ? ": " : ":", j->f);
    j->after_key = 1;
}

void fasv_json_str(fasv_json *j, const char *s) {
    sep(j);
    put_str(j->f, s ? s : "");
}
void fasv_json_int(fasv_json *j, int64_t v) {
    sep(j);
    fprintf(j->f, "%lld", (long long)v);
}
void fasv_json_num(fasv_json *j, double v) {
    sep(j);
    if (isnan(v))
        fputs("\"nan\"", j->f);
    else if (isinf(v))
        fputs(v > 0 ? "\"inf\"" : "\"-inf\"", j->f);
    else
        fprintf(j->f, "%.17g", v);
}
void fasv_json_bool(fasv_json *j, int v) {
    sep(j);
    fputs(v ? "true" : "false", j->f);
}
void fasv_json_null(fasv_json *j) {
    sep(j);
    fputs("null", j->f);
}
void fasv_json_kstr(fasv_json *j, const char *k, const char *s) {
    fasv_json_key(j, k);
    fasv_json_str(j, s);
}
void fasv_json_kint(fasv_json *j, const char *k, int64_t v) {
    fasv_json_key(j, k);
    fasv_json_int(j, v);
}
void fasv_json_knum(fasv_json *j, const char *k, double v) {
    fasv_json_key(j, k);
    fasv_json_num(j, v);
}
void fasv_json_kbool(fasv_json *j, const char *k, int v) {
    fasv_json_key(j, k);
    fasv_json_bool(j, v);
}
void fasv_json_done(fasv_json *j) {
    fputc('\n', j->f);
    fflush(j->f);
}
