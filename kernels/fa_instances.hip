/* kernels/fa_instances.hip — instantiates every kernel the registry lists.
 *
 * Owns: expanding kernels/instances.def (the single list of compiled
 * instances, shared with kernels/registry.c) into template instantiations
 * and the launch table fa_instances[], indexed exactly like the registry:
 *   vec   -> fa_vec_kernel<D, TK, TV, NCOLS>        (Dk = Dv = D, K/V types fixed)
 *   tile  -> fa_tile_kernel<DK, DV, NCOLS, CT>      (runtime types and head sizes;
 *            CT = float and __half: the route's compute type picks one)
 *   split -> fa_tile_kernel<DK, DV, NCOLS, CT> run as split-KV partials, then
 *            fa_combine_kernel
 * Must not know: how the planner chooses among them.
 */
#define FA_DEFINE_KERNELS
#include "fa_kernels.h"
#include "gpu/fa_table.h"

#define FA_TOK_f32 FA_F32
#define FA_TOK_f16 FA_F16
#define FA_TOK_bf16 FA_BF16
#define FA_TOK_q8_0 FA_Q8_0
#define FA_TOK_q4_0 FA_Q4_0
#define FA_TOK_q4_1 FA_Q4_1
#define FA_TOK_q5_0 FA_Q5_0
#define FA_TOK_q5_1 FA_Q5_1
#define FA_TOK_any (-1)

#define FA_ENTRY_vec(dk, dv, tk, tv, nc)                                                                   \
    {1, FA_CORE_VEC, dk, dv, nc, FA_TOK_##tk, FA_TOK_##tv, fa_vec_kernel<dk, FA_TOK_##tk, FA_TOK_##tv, nc>, NULL},
#define FA_ENTRY_tile(dk, dv, tk, tv, nc) \
    {2, FA_CORE_TILE, dk, dv, nc, -1, -1, fa_tile_kernel<dk, dv, nc, float>, fa_tile_kernel<dk, dv, nc, __half>},
#define FA_ENTRY_split(dk, dv, tk, tv, nc) \
    {3, FA_CORE_TILE, dk, dv, nc, -1, -1, fa_tile_kernel<dk, dv, nc, float>, fa_tile_kernel<dk, dv, nc, __half>},

const fa_inst fa_instances[] = {
#define FASV_INSTANCE(fam, dk, dv, tk, tv, nc, nc2) FA_ENTRY_##fam(dk, dv, tk, tv, nc)
#include "kernels/instances.def"
#undef FASV_INSTANCE
};
const int fa_instance_count = (int)(sizeof fa_instances / sizeof fa_instances[0]);
const fa_kernel_fn fa_combine_fn = fa_combine_kernel;
