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

typedef enum fa_core { FA_CORE_VEC = 0, FA_CORE_TILE = 1, FA_CORE_MMA = 2, FA_CORE_MMAD = 3 } fa_core;

typedef struct fa_inst {
    int family;         /* fasv_family: 1 vec, 2 tile, 3 split, 4 mma */
    fa_core core;       /* which kernel body runs (generic split partials run the
                           tile body, typed split partials the vec body
                           (8 slots) or the MMA decode body (16 slots)) */
    int dk, dv;         /* vec, mma, typed split: exact head sizes; tile, split "any": bucket */
    int nc;             /* column slots (ncols1 * ncols2 <= nc) */
    int type_k, type_v; /* compiled types; -1 where the kernel converts at run time */
    fa_kernel_fn fn;    /* the kernel (tile: f32 tiles); NULL: not compiled in this
                           build (mma under hipcc) */
    fa_kernel_fn fn16;  /* tile/split "any": f16 tiles (route compute type f16); else NULL */
} fa_inst;

/* One part per family (kernels/fa_vec.hip, fa_tile.hip, fa_split.hip,
 * fa_mma.hip), each as long as kernels/instances.def; entry i is in the part
 * of its family and empty (family 0) in the others. */
extern const fa_inst fa_part_vec[], fa_part_tile[], fa_part_split[], fa_part_mma[];
extern const fa_kernel_fn fa_combine_fn;

#endif
