/* kernels/gpu/fa_table.h — the launch table: one entry per compiled instance.
 *
 * Owns: the record that ties an instance of the registry (same index, same
 * key) to its device function and the facts the launcher needs to launch it
 * (family, compile-time head size or bucket, column capacity, which core the
 * split partials use). Filled by kernels/fa_instances.hip from
 * kernels/instances.def, so the registry and the compiled kernels are one list.
 * Must not know: planners' choices, nodes.
 */
#ifndef FASV_FA_TABLE_H
#define FASV_FA_TABLE_H

#include "gpu/fa_index.h"

typedef void (*fa_kernel_fn)(const fa_params p);

typedef enum fa_core { FA_CORE_VEC = 0, FA_CORE_TILE = 1 } fa_core;

typedef struct fa_inst {
    int family;       /* fasv_family */
    const char *key;  /* the registry's instance key */
    fa_core core;     /* which kernel body runs (split partials run either) */
    int d;            /* VEC: exact head size (Dk = Dv = d); TILE: bucket (Dk, Dv <= d) */
    int nc;           /* VEC: most columns (ncols1 * ncols2) a block holds; TILE: 0 = any */
    int type_k, type_v; /* VEC: compiled types; TILE: -1 (runtime conversion) */
    fa_kernel_fn fn;
} fa_inst;

extern const fa_inst fa_instances[];
extern const int fa_instance_count;
extern const fa_kernel_fn fa_combine_fn;

#endif
