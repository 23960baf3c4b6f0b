/* case.c — the case file format: parse, print, load, save.
 * Grammar and examples: docs/case-format.md. See fasv/case.h. */
#include "fasv/case.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/device.h"

static const char *k_dist_names[FASV_DIST_COUNT] = {"uniform", "normal", "adversarial"};

const char *fasv_dist_name(fasv_dist d) { return (unsigned)d < FASV_DIST_COUNT ? k_dist_names[d] : "?"; }

int fasv_dist_parse(const char *s, fasv_dist *out) {
    for (int i = 0; i < FASV_DIST_COUNT; i++)
        if (strcmp(s, k_dist_names[i]) == 0) {
            *out = (fasv_dist)i;
            return 0;
        }
    return -1;
}

static void tensor_init(fasv_tensor *t, fasv_tid id, fasv_type type, int64_t a, int64_t b, int64_t c, int64_t d) {
    memset(t, 0, sizeof(*t));
    t->type = type;
    t->ne[0] = a;
    t->ne[1] = b;
    t->ne[2] = c;
    t->ne[3] = d;
    fasv_tensor_contiguous(t, id);
}

void fasv_case_init(fasv_case *c) {
    memset(c, 0, sizeof(*c));
    fasv_node *n = &c->node;
    tensor_init(&n->q, FASV_Q, FASV_TYPE_F32, 64, 1, 1, 1);
    tensor_init(&n->k, FASV_K, FASV_TYPE_F16, 64, 1, 1, 1);
    tensor_init(&n->v, FASV_V, FASV_TYPE_F16, 64, 1, 1, 1);
    tensor_init(&n->mask, FASV_MASK, FASV_TYPE_F16, 1, 1, 1, 1);
    tensor_init(&n->sinks, FASV_SINKS, FASV_TYPE_F32, 1, 1, 1, 1);
    n->scale = 0.125f;
    c->dist = FASV_DIST_UNIFORM;
}

void fasv_case_add_comment(fasv_case *c, const char *text) {
    size_t used = strlen(c->comments);
    size_t need = strlen(text) + 3; /* "# " + text + "\n" */
    if (used + need + 1 > sizeof(c->comments)) return;
    snprintf(c->comments + used, sizeof(c->comments) - used, "# %s\n", text);
}

/* ---- printing ------------------------------------------------------------ */

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_printf(sbuf *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = s->len < s->cap ? s->cap - s->len : 0;
    int n = vsnprintf(room ? s->p + s->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) s->len += (size_t)n;
}

/* Shortest %g text that reads back as the same float. */
static void fmt_float(char *out, size_t len, float f) {
    for (int p = 1; p <= 9; p++) {
        snprintf(out, len, "%.*g", p, (double)f);
        if (strtof(out, NULL) == f || (isnan(f) && isnan(strtof(out, NULL)))) return;
    }
}

static void print_tensor(sbuf *s, const fasv_node *n, fasv_tid id) {
    const fasv_tensor *t = &n->t[id];
    sb_printf(s, "%s %s ne=%lld,%lld,%lld,%lld nb=%lld,%lld,%lld,%lld off=%lld ", fasv_tid_name(id),
              fasv_type_name(t->type), (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
              (long long)t->ne[3], (long long)t->nb[0], (long long)t->nb[1], (long long)t->nb[2],
              (long long)t->nb[3], (long long)t->offset);
    if (t->buf == (int)id)
        sb_printf(s, "buf=%lld\n", (long long)t->buf_bytes);
    else
        sb_printf(s, "buf=%s\n", fasv_tid_name((fasv_tid)t->buf));
}

size_t fasv_case_print(const fasv_case *c, char *buf, size_t len) {
    sbuf s = {buf, 0, len};
    if (buf && len) buf[0] = 0;
    const fasv_node *n = &c->node;
    char f[32];
    sb_printf(&s, "fasv-case %d\n", FASV_CASE_VERSION);
    sb_printf(&s, "%s", c->comments);
    if (c->device[0]) sb_printf(&s, "device %s\n", c->device);
    for (int id = 0; id < FASV_NT; id++)
        if (fasv_node_has(n, (fasv_tid)id)) print_tensor(&s, n, (fasv_tid)id);
    fmt_float(f, sizeof f, n->scale);
    sb_printf(&s, "scale %s\n", f);
    fmt_float(f, sizeof f, n->max_bias);
    sb_printf(&s, "max_bias %s\n", f);
    fmt_float(f, sizeof f, n->softcap);
    sb_printf(&s, "softcap %s\n", f);
    sb_printf(&s, "prec %s\n", fasv_prec_name(n->prec));
    sb_printf(&s, "seed %llu\n", (unsigned long long)c->seed);
    sb_printf(&s, "dist %s\n", fasv_dist_name(c->dist));
    return s.len;
}

char *fasv_case_to_string(const fasv_case *c) {
    size_t need = fasv_case_print(c, NULL, 0) + 1;
    char *p = malloc(need);
    if (p) fasv_case_print(c, p, need);
    return p;
}

int fasv_write_text(const char *path, const char *text, char *err, size_t errlen) {
    if (!text) {
        snprintf(err, errlen, "%s:0: out of memory", path);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s:0: cannot write: %s", path, strerror(errno));
        return -1;
    }
    size_t len = strlen(text);
    int bad = fwrite(text, 1, len, f) != len;
    bad |= fclose(f) != 0;
    if (bad) {
        snprintf(err, errlen, "%s:0: write failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int fasv_case_save(const fasv_case *c, const char *path, char *err, size_t errlen) {
    char *text = fasv_case_to_string(c);
    int r = fasv_write_text(path, text, err, errlen);
    free(text);
    return r;
}

/* ---- parsing ------------------------------------------------------------- */

#define MAX_TOK 16

typedef struct parser {
    const char *fname;
    int line;
    char *err;
    size_t errlen;
} parser;

static int perr(parser *p, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->err && p->errlen) snprintf(p->err, p->errlen, "%s:%d: %s", p->fname, p->line, msg);
    return -1;
}

/* Strict signed 64-bit integer: optional '-', digits only, no overflow. */
static int parse_i64(const char *s, int64_t *out) {
    const char *q = s;
    int neg = 0;
    if (*q == '-') {
        neg = 1;
        q++;
    }
    if (!*q) return -1;
    uint64_t v = 0;
    for (; *q; q++) {
        if (*q < '0' || *q > '9') return -1;
        unsigned d = (unsigned)(*q - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int parse_u64(const char *s, uint64_t *out) {
    if (!*s) return -1;
    uint64_t v = 0;
    for (const char *q = s; *q; q++) {
        if (*q < '0' || *q > '9') return -1;
        unsigned d = (unsigned)(*q - '0');
        if (v > (UINT64_MAX - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int parse_float(const char *s, float *out) {
    if (!*s) return -1;
    char *end;
    errno = 0;
    float f = strtof(s, &end);
    if (*end) return -1;
    *out = f;
    return 0;
}

/* "a,b,c" -> up to max integers; returns count or -1. */
static int parse_list(const char *s, int64_t *out, int max) {
    char tmp[256];
    size_t len = strlen(s);
    if (len == 0 || len >= sizeof tmp) return -1;
    memcpy(tmp, s, len + 1);
    int n = 0;
    char *save = tmp;
    for (;;) {
        char *comma = strchr(save, ',');
        if (comma) *comma = 0;
        if (n >= max || parse_i64(save, &out[n]) != 0) return -1;
        n++;
        if (!comma) break;
        save = comma + 1;
    }
    return n;
}

typedef struct tensor_seen {
    int present, has_nb, has_buf, buf_ref; /* buf_ref: shares another tensor's buffer */
    int line;
} tensor_seen;

static int parse_tensor(parser *p, fasv_node *n, fasv_tid id, char **tok, int ntok, tensor_seen *seen) {
    const char *name = fasv_tid_name(id);
    fasv_tensor *t = &n->t[id];
    if (ntok < 3) return perr(p, "%s: expected '%s TYPE ne=...'", name, name);
    fasv_type type;
    if (fasv_type_parse(tok[1], &type) != 0)
        return perr(p, "%s: unknown type '%s' (f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1)", name, tok[1]);
    memset(t, 0, sizeof(*t));
    t->type = type;
    t->buf = (int)id;
    int have_ne = 0, have_off = 0;
    for (int i = 2; i < ntok; i++) {
        char *eq = strchr(tok[i], '=');
        if (!eq) return perr(p, "%s: expected KEY=VALUE, got '%s'", name, tok[i]);
        *eq = 0;
        const char *key = tok[i], *val = eq + 1;
        if (strcmp(key, "ne") == 0) {
            if (have_ne) return perr(p, "%s: ne= given twice", name);
            int64_t v[4];
            int cnt = parse_list(val, v, 4);
            if (cnt < 1) return perr(p, "%s: ne= needs 1 to 4 comma-separated integers, got '%s'", name, val);
            for (int j = 0; j < 4; j++) t->ne[j] = j < cnt ? v[j] : 1;
            have_ne = 1;
        } else if (strcmp(key, "nb") == 0) {
            if (seen->has_nb) return perr(p, "%s: nb= given twice", name);
            int cnt = parse_list(val, t->nb, 4);
            if (cnt != 4) return perr(p, "%s: nb= needs exactly 4 comma-separated byte strides, got '%s'", name, val);
            seen->has_nb = 1;
        } else if (strcmp(key, "off") == 0) {
            if (have_off) return perr(p, "%s: off= given twice", name);
            if (parse_i64(val, &t->offset) != 0) return perr(p, "%s: off= needs an integer, got '%s'", name, val);
            have_off = 1;
        } else if (strcmp(key, "buf") == 0) {
            if (seen->has_buf) return perr(p, "%s: buf= given twice", name);
            if (val[0] >= 'a' && val[0] <= 'z') {
                int ref = -1;
                for (int j = 0; j < FASV_NT; j++)
                    if (strcmp(val, fasv_tid_name((fasv_tid)j)) == 0) ref = j;
                if (ref < 0) return perr(p, "%s: buf= names no tensor: '%s' (q k v mask sinks)", name, val);
                if (ref == (int)id) return perr(p, "%s: buf= names the tensor itself; give a size in bytes", name);
                t->buf = ref;
                seen->buf_ref = 1;
            } else if (parse_i64(val, &t->buf_bytes) != 0) {
                return perr(p, "%s: buf= needs a size in bytes or a tensor name, got '%s'", name, val);
            }
            seen->has_buf = 1;
        } else {
            return perr(p, "%s: unknown field '%s' (ne nb off buf)", name, key);
        }
    }
    if (!have_ne) return perr(p, "%s: missing ne=", name);
    seen->present = 1;
    seen->line = p->line;
    return 0;
}

enum { K_DEVICE, K_SCALE, K_MAX_BIAS, K_SOFTCAP, K_PREC, K_SEED, K_DIST, K_NKEYS };
static const char *k_keys[K_NKEYS] = {"device", "scale", "max_bias", "softcap", "prec", "seed", "dist"};

int fasv_case_parse(const char *text, size_t len, const char *fname, fasv_case *out, char *err, size_t errlen) {
    parser p = {fname ? fname : "<case>", 0, err, errlen};
    if (err && errlen) err[0] = 0;
    fasv_case c;
    fasv_case_init(&c);
    tensor_seen seen[FASV_NT];
    memset(seen, 0, sizeof seen);
    int key_seen[K_NKEYS] = {0};
    int have_header = 0;
    char line[FASV_CASE_MAX_LINE + 1];

    if (len > FASV_CASE_MAX_FILE) {
        p.line = 0;
        return perr(&p, "file is %zu bytes; a case file is at most %d", len, FASV_CASE_MAX_FILE);
    }
    size_t pos = 0;
    while (pos < len) {
        p.line++;
        size_t start = pos;
        while (pos < len && text[pos] != '\n') pos++;
        size_t l = pos - start;
        if (pos < len) pos++; /* skip '\n' */
        if (l > FASV_CASE_MAX_LINE) return perr(&p, "line longer than %d bytes", FASV_CASE_MAX_LINE);
        if (memchr(text + start, 0, l)) return perr(&p, "binary data (NUL byte) in a text case file");
        memcpy(line, text + start, l);
        line[l] = 0;
        /* trim */
        char *s = line;
        while (*s == ' ' || *s == '\t' || *s == '\r') s++;
        char *e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) *--e = 0;
        if (!*s) continue;
        for (char *q = s; *q; q++) {
            unsigned char ch = (unsigned char)*q;
            if (ch < 0x20 && ch != '\t') return perr(&p, "control character 0x%02x", ch);
        }
        if (*s == '#') {
            size_t used = strlen(c.comments);
            size_t need = strlen(s) + 1;
            if (used + need + 1 > sizeof c.comments)
                return perr(&p, "comments exceed %d bytes in all", FASV_COMMENTS_MAX);
            memcpy(c.comments + used, s, need - 1);
            c.comments[used + need - 1] = '\n';
            c.comments[used + need] = 0;
            continue;
        }
        /* strip a trailing comment */
        char *hash = strstr(s, " #");
        if (!hash) hash = strstr(s, "\t#");
        if (hash) {
            *hash = 0;
            e = hash;
            while (e > s && (e[-1] == ' ' || e[-1] == '\t')) *--e = 0;
        }
        char *tok[MAX_TOK];
        int ntok = 0;
        for (char *q = s; *q;) {
            while (*q == ' ' || *q == '\t') *q++ = 0;
            if (!*q) break;
            if (ntok == MAX_TOK) return perr(&p, "too many fields (at most %d)", MAX_TOK);
            tok[ntok++] = q;
            while (*q && *q != ' ' && *q != '\t') q++;
        }
        if (!have_header) {
            if (strcmp(tok[0], "fasv-case") != 0)
                return perr(&p, "expected the header 'fasv-case %d' before '%s'", FASV_CASE_VERSION, tok[0]);
            int64_t ver;
            if (ntok != 2 || parse_i64(tok[1], &ver) != 0) return perr(&p, "header must be 'fasv-case %d'", FASV_CASE_VERSION);
            if (ver != FASV_CASE_VERSION)
                return perr(&p, "case format version %lld; this fasv reads version %d", (long long)ver, FASV_CASE_VERSION);
            have_header = 1;
            continue;
        }
        if (strcmp(tok[0], "fasv-case") == 0) return perr(&p, "second 'fasv-case' header");

        int tid = -1;
        for (int j = 0; j < FASV_NT; j++)
            if (strcmp(tok[0], fasv_tid_name((fasv_tid)j)) == 0) tid = j;
        if (tid >= 0) {
            if (seen[tid].present) return perr(&p, "duplicate '%s' line (first on line %d)", tok[0], seen[tid].line);
            if (parse_tensor(&p, &c.node, (fasv_tid)tid, tok, ntok, &seen[tid]) != 0) return -1;
            continue;
        }
        int key = -1;
        for (int j = 0; j < K_NKEYS; j++)
            if (strcmp(tok[0], k_keys[j]) == 0) key = j;
        if (key < 0)
            return perr(&p, "unknown key '%s' (device q k v mask sinks scale max_bias softcap prec seed dist)", tok[0]);
        if (key_seen[key]) return perr(&p, "duplicate '%s' line", tok[0]);
        key_seen[key] = 1;
        if (ntok != 2) return perr(&p, "'%s' takes exactly one value", tok[0]);
        const char *val = tok[1];
        switch (key) {
        case K_DEVICE: {
            const fasv_device *d = fasv_device_find(val);
            if (!d) return perr(&p, "unknown device '%s' (see 'fasv devices')", val);
            snprintf(c.device, sizeof c.device, "%s", d->name);
            break;
        }
        case K_SCALE:
            if (parse_float(val, &c.node.scale)) return perr(&p, "scale: not a number: '%s'", val);
            break;
        case K_MAX_BIAS:
            if (parse_float(val, &c.node.max_bias)) return perr(&p, "max_bias: not a number: '%s'", val);
            break;
        case K_SOFTCAP:
            if (parse_float(val, &c.node.softcap)) return perr(&p, "softcap: not a number: '%s'", val);
            break;
        case K_PREC:
            if (strcmp(val, "default") == 0)
                c.node.prec = FASV_PREC_DEFAULT;
            else if (strcmp(val, "f32") == 0)
                c.node.prec = FASV_PREC_F32;
            else
                return perr(&p, "prec: expected 'default' or 'f32', got '%s'", val);
            break;
        case K_SEED:
            if (parse_u64(val, &c.seed)) return perr(&p, "seed: expected an unsigned 64-bit integer, got '%s'", val);
            break;
        case K_DIST:
            if (fasv_dist_parse(val, &c.dist)) return perr(&p, "dist: expected uniform, normal or adversarial, got '%s'", val);
            break;
        }
    }
    p.line++;
    if (!have_header) return perr(&p, "truncated: no 'fasv-case %d' header", FASV_CASE_VERSION);
    for (int id = FASV_Q; id <= FASV_V; id++)
        if (!seen[id].present) return perr(&p, "truncated: missing the '%s' line", fasv_tid_name((fasv_tid)id));

    fasv_node *n = &c.node;
    n->has_mask = seen[FASV_MASK].present;
    n->has_sinks = seen[FASV_SINKS].present;
    if (!n->has_mask) tensor_init(&n->mask, FASV_MASK, FASV_TYPE_F16, 1, 1, 1, 1);
    if (!n->has_sinks) tensor_init(&n->sinks, FASV_SINKS, FASV_TYPE_F32, 1, 1, 1, 1);
    if (!key_seen[K_SCALE]) {
        double dk = (double)n->q.ne[0];
        n->scale = dk > 0 ? (float)(1.0 / sqrt(dk)) : 1.0f;
    }
    /* Defaults: contiguous strides, and an own buffer exactly as large as the
     * view. Computed only from well-formed values; legality is checked later. */
    for (int id = 0; id < FASV_NT; id++) {
        if (!seen[id].present) continue;
        fasv_tensor *t = &n->t[id];
        int ok = 1;
        for (int i = 0; i < 4; i++) ok &= t->ne[i] >= 1 && t->ne[i] <= FASV_MAX_NE;
        if (!seen[id].has_nb && ok) {
            /* contiguous strides, saturated past the byte limit (reported by the legality check) */
            __int128 st = fasv_type_get(t->type)->block_bytes;
            t->nb[0] = (int64_t)st;
            st = fasv_tensor_row_bytes(t);
            for (int i = 1; i < 4; i++) {
                t->nb[i] = st > FASV_MAX_BYTES ? FASV_MAX_BYTES + 1 : (int64_t)st;
                st *= t->ne[i];
                if (st > FASV_MAX_BYTES) st = FASV_MAX_BYTES + 1;
            }
        }
        if (t->buf == id && !seen[id].has_buf) {
            int bounded = ok && t->offset >= 0 && t->offset <= FASV_MAX_BYTES;
            for (int i = 1; i < 4; i++) bounded &= t->nb[i] >= 0 && t->nb[i] <= FASV_MAX_BYTES;
            if (bounded) {
                /* (2^31) * (2^50) needs 81 bits: sum in 128-bit */
                __int128 end = (__int128)t->offset + fasv_tensor_row_bytes(t);
                for (int i = 1; i < 4; i++) end += (__int128)(t->ne[i] - 1) * t->nb[i];
                t->buf_bytes = end > FASV_MAX_BYTES ? FASV_MAX_BYTES + 1 : (int64_t)end;
            } else {
                t->buf_bytes = FASV_MAX_BYTES + 1;
            }
        }
    }
    *out = c;
    return 0;
}

int fasv_case_load(const char *path, fasv_case *out, char *err, size_t errlen) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = FASV_CASE_MAX_FILE + 1;
    char *buf = malloc(cap);
    if (!buf) {
        if (f != stdin) fclose(f);
        snprintf(err, errlen, "%s:0: out of memory", path);
        return -1;
    }
    size_t len = fread(buf, 1, cap, f);
    int rerr = ferror(f);
    if (f != stdin) fclose(f);
    if (rerr) {
        free(buf);
        snprintf(err, errlen, "%s:0: read error", path);
        return -1;
    }
    int r = fasv_case_parse(buf, len, path, out, err, errlen);
    free(buf);
    return r;
}
