/* kernels/gpu/fa_table.h — the launch table: one entry per compiled instance.
 *
 * Owns: the record that ties an instance of the registry (same index) to its
 * device function and what the launcher needs to launch it. Filled by
 * kernels/fa_instances.h from kernels/instances.def, so the registry and
 * the compiled kernels are one list; the launcher checks every entry it uses
 * against the registry's (family, head sizes, types, column slots).
 * Must not know: planners' choices, nodes.
 */
#ifndef FASV_FA_TABLE_H
#define FASV_FA_TABLE_H

#include "gpu/fa_index.h"

typedef void (*fa_kernel_fn)(const fa_params p);

typedef enum fa_core { FA_CORE_VEC = 0, FA_CORE_TILE = 1 } fa_core;

typedef struct fa_inst {
    int family;         /* fasv_family: 1 vec, 2 tile, 3 split */
    fa_core core;       /* which kernel body runs (split partials run the tile body) */
    int dk, dv;         /* vec: exact head sizes; tile/split: bucket */
    int nc;             /* column slots (ncols1 * ncols2 <= nc) */
    int type_k, type_v; /* vec: compiled types; tile/split: -1 (runtime conversion) */
    fa_kernel_fn fn;    /* f32 tiles (vec: its only body) */
    fa_kernel_fn fn16;  /* tile/split: f16 tiles (route compute type f16); vec: NULL */
} fa_inst;

/* One part per family (kernels/fa_vec.hip, fa_tile.hip, fa_split.hip), each
 * as long as kernels/instances.def; entry i is in the part of its family and
 * empty (family 0) in the others. */
extern const fa_inst fa_part_vec[], fa_part_tile[], fa_part_split[];
extern const fa_kernel_fn fa_combine_fn;

#endif
