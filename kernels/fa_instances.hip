/* kernels/fa_instances.hip — instantiates every kernel the registry lists.
 *
 * Owns: expanding kernels/instances.def (the single list of compiled
 * instances, shared with kernels/registry.c) into template instantiations
 * and the launch table fa_instances[], indexed exactly like the registry.
 * Must not know: how the planner chooses among them.
 */
#include "fa_kernels.h"
#include "gpu/fa_table.h"

/* PROVISIONAL until kernels/instances.def lands from branch planner. */
#define FA_TYPES_SAME(X, D) X(D, FA_F32, FA_F32) X(D, FA_F16, FA_F16) X(D, FA_BF16, FA_BF16) X(D, FA_Q8_0, FA_Q8_0) \
    X(D, FA_Q4_0, FA_Q4_0) X(D, FA_Q4_1, FA_Q4_1) X(D, FA_Q5_0, FA_Q5_0) X(D, FA_Q5_1, FA_Q5_1)

#define VEC_ENTRY(D, TK, TV) {1, "vec:d" #D, FA_CORE_VEC, D, 8, TK, TV, fa_vec_kernel<D, TK, TV, 8>},
#define SPLITV_ENTRY(D, TK, TV) {3, "split:vec:d" #D, FA_CORE_VEC, D, 8, TK, TV, fa_vec_kernel<D, TK, TV, 8>},

const fa_inst fa_instances[] = {
    FA_TYPES_SAME(VEC_ENTRY, 64) FA_TYPES_SAME(VEC_ENTRY, 128) FA_TYPES_SAME(VEC_ENTRY, 256)
    {2, "tile:d64", FA_CORE_TILE, 64, 0, -1, -1, fa_tile_kernel<64>},
    {2, "tile:d128", FA_CORE_TILE, 128, 0, -1, -1, fa_tile_kernel<128>},
    {2, "tile:d256", FA_CORE_TILE, 256, 0, -1, -1, fa_tile_kernel<256>},
    {2, "tile:d576", FA_CORE_TILE, 576, 0, -1, -1, fa_tile_kernel<576>},
    FA_TYPES_SAME(SPLITV_ENTRY, 64) FA_TYPES_SAME(SPLITV_ENTRY, 128) FA_TYPES_SAME(SPLITV_ENTRY, 256)
    {3, "split:tile:d576", FA_CORE_TILE, 576, 0, -1, -1, fa_tile_kernel<576>},
};
const int fa_instance_count = (int)(sizeof fa_instances / sizeof fa_instances[0]);
const fa_kernel_fn fa_combine_fn = fa_combine_kernel;
