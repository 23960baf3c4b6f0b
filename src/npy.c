/* npy.c — minimal .npy reader and writer. See fasv/npy.h. */
#include "fasv/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/types.h"

int fasv_npy_write(const char *path, const char *dtype, const int64_t *shape, int ndim, const void *data,
                   char *err, size_t errlen) {
    char hdr[512], shp[256] = "";
    size_t sl = 0;
    int64_t count = 1;
    for (int i = 0; i < ndim; i++) {
        sl += (size_t)snprintf(shp + sl, sizeof shp - sl, "%s%lld", i ? ", " : "", (long long)shape[i]);
        count *= shape[i];
    }
    if (ndim == 1) snprintf(shp + sl, sizeof shp - sl, ","); /* NumPy's 1-tuple "(n,)" */
    int hl = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", dtype, shp);
    int total = 10 + hl + 1;
    int pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    unsigned char magic[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    int hlen = hl + pad + 1;
    magic[8] = (unsigned char)(hlen & 0xFF);
    magic[9] = (unsigned char)(hlen >> 8);
    int bad = fwrite(magic, 1, 10, f) != 10;
    bad |= fwrite(hdr, 1, (size_t)hl, f) != (size_t)hl;
    for (int i = 0; i < pad; i++) bad |= fputc(' ', f) == EOF;
    bad |= fputc('\n', f) == EOF;
    size_t esz = strcmp(dtype, "<f8") == 0 ? 8 : 4;
    if (count > 0) bad |= fwrite(data, esz, (size_t)count, f) != (size_t)count;
    bad |= fclose(f) != 0;
    if (bad) {
        snprintf(err, errlen, "%s: write failed", path);
        return -1;
    }
    return 0;
}

void fasv_npy_free(fasv_npy *a) {
    free(a->data);
    memset(a, 0, sizeof(*a));
}

int fasv_npy_read(const char *path, fasv_npy *out, char *err, size_t errlen) {
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    unsigned char magic[10];
    char hdr[4096];
    if (fread(magic, 1, 10, f) != 10 || memcmp(magic, "\x93NUMPY", 6) != 0) {
        fclose(f);
        snprintf(err, errlen, "%s: not a .npy file", path);
        return -1;
    }
    size_t hlen;
    if (magic[6] == 1) {
        hlen = (size_t)magic[8] | ((size_t)magic[9] << 8);
    } else {
        unsigned char b[2];
        if (fread(b, 1, 2, f) != 2) {
            fclose(f);
            snprintf(err, errlen, "%s: truncated header", path);
            return -1;
        }
        hlen = (size_t)magic[8] | ((size_t)magic[9] << 8) | ((size_t)b[0] << 16) | ((size_t)b[1] << 24);
    }
    if (hlen >= sizeof hdr || fread(hdr, 1, hlen, f) != hlen) {
        fclose(f);
        snprintf(err, errlen, "%s: bad or truncated header", path);
        return -1;
    }
    hdr[hlen] = 0;
    int esz;
    char kind;
    if (strstr(hdr, "'<f8'")) {
        esz = 8;
        kind = 'd';
    } else if (strstr(hdr, "'<f4'")) {
        esz = 4;
        kind = 'f';
    } else if (strstr(hdr, "'<f2'")) {
        esz = 2;
        kind = 'h';
    } else {
        fclose(f);
        snprintf(err, errlen, "%s: dtype must be little-endian float64, float32 or float16", path);
        return -1;
    }
    if (strstr(hdr, "'fortran_order': True")) {
        fclose(f);
        snprintf(err, errlen, "%s: Fortran-order arrays are not supported", path);
        return -1;
    }
    const char *s = strstr(hdr, "'shape':");
    const char *lp = s ? strchr(s, '(') : NULL;
    const char *rp = lp ? strchr(lp, ')') : NULL;
    if (!lp || !rp) {
        fclose(f);
        snprintf(err, errlen, "%s: header has no shape", path);
        return -1;
    }
    int64_t count = 1;
    const char *q = lp + 1;
    while (q < rp) {
        while (q < rp && (*q == ' ' || *q == ',')) q++;
        if (q >= rp) break;
        char *end;
        long long v = strtoll(q, &end, 10);
        if (end == q || v < 0 || out->ndim >= 8 || v > ((int64_t)1 << 40)) {
            fclose(f);
            snprintf(err, errlen, "%s: bad shape in header", path);
            return -1;
        }
        out->shape[out->ndim++] = v;
        if (v && count > ((int64_t)1 << 40) / v) {
            fclose(f);
            snprintf(err, errlen, "%s: array too large", path);
            return -1;
        }
        count *= v;
        q = end;
    }
    out->count = count;
    out->data = malloc(sizeof(double) * (size_t)(count ? count : 1));
    unsigned char *raw = malloc((size_t)esz * (size_t)(count ? count : 1));
    if (!out->data || !raw) {
        free(raw);
        fclose(f);
        fasv_npy_free(out);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t got = fread(raw, (size_t)esz, (size_t)count, f);
    fclose(f);
    if (got != (size_t)count) {
        free(raw);
        fasv_npy_free(out);
        snprintf(err, errlen, "%s: truncated data (%zu of %lld values)", path, got, (long long)count);
        return -1;
    }
    for (int64_t i = 0; i < count; i++) {
        if (kind == 'd') {
            memcpy(&out->data[i], raw + 8 * i, 8);
        } else if (kind == 'f') {
            float v;
            memcpy(&v, raw + 4 * i, 4);
            out->data[i] = v;
        } else {
            out->data[i] = fasv_f16_to_f32(fasv_rd16(raw + 2 * i));
        }
    }
    free(raw);
    return 0;
}
