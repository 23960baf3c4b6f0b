/* fz_input.c — input forms and the binary node record. See fz_input.h. */
#include "fz_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/device.h"
#include "fasv/types.h"

const char *fasv_input_form_name(fasv_input_form f) {
    switch (f) {
    case FASV_INPUT_TEXT: return "text";
    case FASV_INPUT_RECORD: return "record";
    case FASV_INPUT_STREAM: return "stream";
    default: return "bad";
    }
}

/* ---- little-endian fields ------------------------------------------------ */

static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static void putf(uint8_t *p, float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    fasv_wr32(p, u);
}
static float getf(const uint8_t *p) {
    uint32_t u = fasv_rd32(p);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static int device_index(const char *name) {
    int n;
    const fasv_device *d = fasv_devices(&n);
    for (int i = 0; i < n; i++)
        if (strcmp(d[i].name, name) == 0) return i;
    return -1;
}

size_t fasv_record_encode(const fasv_case *c, uint8_t *out) {
    const fasv_node *n = &c->node;
    uint8_t *p = out;
    memcpy(p, FASV_RECORD_MAGIC, FASV_RECORD_MAGIC_LEN);
    p += FASV_RECORD_MAGIC_LEN;
    p[0] = (uint8_t)((n->has_mask ? 1 : 0) | (n->has_sinks ? 2 : 0) | (n->prec == FASV_PREC_F32 ? 4 : 0));
    p[1] = (uint8_t)c->dist;
    int di = c->device[0] ? device_index(c->device) : -1;
    p[2] = (uint8_t)(di + 1);
    p[3] = 0;
    p += 4;
    putf(p, n->scale);
    putf(p + 4, n->max_bias);
    putf(p + 8, n->softcap);
    p += 12;
    put64(p, c->seed);
    p += 8;
    for (int id = 0; id < FASV_NT; id++) {
        const fasv_tensor *t = &n->t[id];
        p[0] = (uint8_t)t->type;
        p[1] = (uint8_t)t->buf;
        p[2] = p[3] = 0;
        for (int i = 0; i < 4; i++) fasv_wr32(p + 4 + 4 * i, (uint32_t)t->ne[i]);
        for (int i = 0; i < 4; i++) put64(p + 20 + 8 * i, (uint64_t)t->nb[i]);
        put64(p + 52, (uint64_t)t->offset);
        put64(p + 60, (uint64_t)t->buf_bytes);
        p += FASV_RECORD_TENSOR;
    }
    return (size_t)(p - out);
}

int fasv_record_decode(const uint8_t *data, size_t size, fasv_case *out) {
    if (size < FASV_RECORD_SIZE || memcmp(data, FASV_RECORD_MAGIC, FASV_RECORD_MAGIC_LEN) != 0) return -1;
    /* Every byte pattern decodes (enums are taken modulo their range), so
     * byte-level mutations of a record stay records; legality is the
     * caller's question. Only the node and the case header are written:
     * the comment buffer is left empty without clearing all of it. */
    const uint8_t *p = data + FASV_RECORD_MAGIC_LEN;
    fasv_node *n = &out->node;
    out->comments[0] = 0;
    n->has_mask = p[0] & 1;
    n->has_sinks = (p[0] >> 1) & 1;
    n->prec = (p[0] & 4) ? FASV_PREC_F32 : FASV_PREC_DEFAULT;
    out->dist = (fasv_dist)(p[1] % FASV_DIST_COUNT);
    int ndev;
    const fasv_device *devs = fasv_devices(&ndev);
    int di = p[2] % (ndev + 1);
    if (di == 0)
        out->device[0] = 0;
    else
        snprintf(out->device, sizeof out->device, "%s", devs[di - 1].name);
    p += 4;
    n->scale = getf(p);
    n->max_bias = getf(p + 4);
    n->softcap = getf(p + 8);
    p += 12;
    out->seed = get64(p);
    p += 8;
    for (int id = 0; id < FASV_NT; id++) {
        fasv_tensor *t = &n->t[id];
        t->type = (fasv_type)(p[0] % FASV_TYPE_COUNT);
        t->buf = p[1] % FASV_NT;
        for (int i = 0; i < 4; i++) t->ne[i] = (int64_t)fasv_rd32(p + 4 + 4 * i);
        for (int i = 0; i < 4; i++) t->nb[i] = (int64_t)get64(p + 20 + 8 * i);
        t->offset = (int64_t)get64(p + 52);
        t->buf_bytes = (int64_t)get64(p + 60);
        p += FASV_RECORD_TENSOR;
    }
    /* absent tensors take the values a parsed case has, so the record of a
     * case without a mask prints the same text as the case */
    for (int id = FASV_MASK; id <= FASV_SINKS; id++) {
        if (fasv_node_has(n, (fasv_tid)id)) continue;
        fasv_tensor *t = &n->t[id];
        memset(t, 0, sizeof *t);
        t->type = id == FASV_MASK ? FASV_TYPE_F16 : FASV_TYPE_F32;
        t->ne[0] = t->ne[1] = t->ne[2] = t->ne[3] = 1;
        fasv_tensor_contiguous(t, (fasv_tid)id);
    }
    return 0;
}

/* ---- input forms --------------------------------------------------------- */

static int starts_with(const uint8_t *d, size_t n, const char *s) {
    size_t l = strlen(s);
    return n >= l && memcmp(d, s, l) == 0;
}

fasv_input_form fasv_input_decode(const uint8_t *data, size_t size, const fasv_rand_opts *ro, fasv_case *out,
                                  char *err, size_t errlen) {
    if (err && errlen) err[0] = 0;
    if (starts_with(data, size, "fasv-case")) {
        if (fasv_case_parse((const char *)data, size, "<input>", out, err, errlen) != 0) return FASV_INPUT_BAD;
        return FASV_INPUT_TEXT;
    }
    if (size > 0 && data[0] == '#' && fasv_case_parse((const char *)data, size, "<input>", out, NULL, 0) == 0)
        return FASV_INPUT_TEXT;
    if (fasv_record_decode(data, size, out) == 0) return FASV_INPUT_RECORD;
    static const fasv_rand_opts k_shapes = {0};
    fasv_rng r;
    fasv_rng_bytes(&r, data, size);
    fasv_random_case(&r, ro ? ro : &k_shapes, out);
    return FASV_INPUT_STREAM;
}

int fasv_read_file(const char *path, uint8_t **data, size_t *size, char *err, size_t errlen) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (len == cap) {
            if (cap > ((size_t)64 << 20)) break; /* inputs are small; stop at 64 MiB */
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int bad = !buf || ferror(f) || (len == cap && !feof(f));
    if (f != stdin) fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s:0: cannot read (too large or a read error)", path);
        return -1;
    }
    *data = buf;
    *size = len;
    return 0;
}

int fasv_input_load(const char *path, fasv_case *out, fasv_input_form *form, char *err, size_t errlen) {
    uint8_t *data;
    size_t size;
    if (fasv_read_file(path, &data, &size, err, errlen) != 0) return -1;
    fasv_case_init(out);
    char perr[512];
    fasv_input_form f = fasv_input_decode(data, size, NULL, out, perr, sizeof perr);
    free(data);
    if (form) *form = f;
    if (f == FASV_INPUT_BAD) {
        /* "<input>:LINE: msg" -> "PATH:LINE: msg" */
        const char *rest = strncmp(perr, "<input>", 7) == 0 ? perr + 7 : perr;
        snprintf(err, errlen, "%s%s", path, rest);
        return -1;
    }
    return 0;
}
