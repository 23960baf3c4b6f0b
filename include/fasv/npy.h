/* fasv/npy.h — NumPy .npy files (format version 1.0), little-endian f4/f8.
 *
 * Owns: writing arrays for outside tools and reading candidate outputs back.
 * Must not know: what the arrays mean.
 */
#ifndef FASV_NPY_H
#define FASV_NPY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* dtype: "<f4" or "<f8"; shape in NumPy order (slowest first). 0 or -1 with err. */
int fasv_npy_write(const char *path, const char *dtype, const int64_t *shape, int ndim, const void *data,
                   char *err, size_t errlen);

typedef struct fasv_npy {
    int ndim;
    int64_t shape[8];
    int64_t count;  /* product of shape */
    double *data;   /* values widened to double, C order */
} fasv_npy;

/* Read a C-order .npy of dtype <f4, <f8 or <f2. 0 or -1 with err "PATH: ...". */
int fasv_npy_read(const char *path, fasv_npy *out, char *err, size_t errlen);
void fasv_npy_free(fasv_npy *a);

#ifdef __cplusplus
}
#endif
#endif
