/* kernels/fa_instances.h — instantiates the kernels of one family from
 * kernels/instances.def. Each kernels/fa_<family>.hip defines FA_FAMILY_vec,
 * FA_FAMILY_tile, FA_FAMILY_split or FA_FAMILY_mma and includes this file,
 * so the four families compile in parallel. Every file expands every line of the .def
 * (lines of other families give an empty entry), which keeps each part
 * indexed exactly like the registry; the launcher takes entry i from the
 * part whose entry is not empty.
 *   vec   -> fa_vec_kernel<D, TK, TV, NCOLS>         (Dk = Dv = D, K/V types fixed)
 *   tile  -> fa_tile_kernel<DK, DV, NCOLS, float>    (runtime types and head sizes;
 *            f32 tiles: the f16 form (CT = __half) is written but not
 *            compiled, since the planner never asks for it: kernels/tile.c)
 *   split -> "any" lines: fa_tile_kernel<DK, DV, NCOLS, float> run as split-KV
 *            partials; typed lines of 8 slots: fa_vec_kernel<D, TK, TV, NCOLS>,
 *            of 16 slots: fa_mmad_kernel<D, T> (the MMA decode body, nvcc
 *            only), run as split-KV
 *            partials; then fa_combine_kernel
 *   mma   -> fa_mma_kernel<D, T> under nvcc (kernels/fa_mma.h); under hipcc
 *            the entries exist with no kernel (AMD devices never route MMA)
 * Must not know: how the planner chooses among them.
 */
#include "fa_kernels.h"
#include "fa_mma.h"
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

/* A split line's body: the generic tile loop ("any") or the typed VEC body. */
template <int DK, int DV, int TK, int TV, int NC> struct fa_split_sel {
    static constexpr fa_core core = FA_CORE_VEC;
    static constexpr fa_kernel_fn fn = fa_vec_kernel<DK, TK, TV, NC>;
};
template <int DK, int DV, int NC> struct fa_split_sel<DK, DV, -1, -1, NC> {
    static constexpr fa_core core = FA_CORE_TILE;
    static constexpr fa_kernel_fn fn = fa_tile_kernel<DK, DV, NC, float>;
};
/* 16 slots: the MMA decode body (nvcc only; no kernel under hipcc) */
template <int DK, int DV, int TK, int TV> struct fa_split_sel<DK, DV, TK, TV, FA_MMAD_COLS> {
    static constexpr fa_core core = FA_CORE_MMAD;
#if defined(FASV_CUDA)
    static constexpr fa_kernel_fn fn = fa_mmad_kernel<DK, TK>;
#else
    static constexpr fa_kernel_fn fn = NULL;
#endif
};

#define FA_EMPTY(dk, dv, tk, tv, nc) {0, FA_CORE_VEC, 0, 0, 0, 0, 0, NULL, NULL},
#define FA_REAL_vec(dk, dv, tk, tv, nc)                                                                    \
    {1, FA_CORE_VEC, dk, dv, nc, FA_TOK_##tk, FA_TOK_##tv, fa_vec_kernel<dk, FA_TOK_##tk, FA_TOK_##tv, nc>, NULL},
#define FA_REAL_tile(dk, dv, tk, tv, nc) \
    {2, FA_CORE_TILE, dk, dv, nc, -1, -1, fa_tile_kernel<dk, dv, nc, float>, NULL},
#define FA_REAL_split(dk, dv, tk, tv, nc)                                                                  \
    {3, fa_split_sel<dk, dv, FA_TOK_##tk, FA_TOK_##tv, nc>::core, dk, dv, nc, FA_TOK_##tk, FA_TOK_##tv,        \
     fa_split_sel<dk, dv, FA_TOK_##tk, FA_TOK_##tv, nc>::fn, NULL},
#if defined(FASV_CUDA)
#define FA_REAL_mma(dk, dv, tk, tv, nc) {4, FA_CORE_MMA, dk, dv, nc, FA_TOK_##tk, FA_TOK_##tv, fa_mma_kernel<dk, FA_TOK_##tk>, NULL},
#else
#define FA_REAL_mma(dk, dv, tk, tv, nc) {4, FA_CORE_MMA, dk, dv, nc, FA_TOK_##tk, FA_TOK_##tv, NULL, NULL},
#endif

#if defined(FA_FAMILY_vec)
#define FA_ENTRY_vec FA_REAL_vec
#define FA_ENTRY_tile FA_EMPTY
#define FA_ENTRY_split FA_EMPTY
#define FA_ENTRY_mma FA_EMPTY
#define FA_PART fa_part_vec
#elif defined(FA_FAMILY_tile)
#define FA_ENTRY_vec FA_EMPTY
#define FA_ENTRY_tile FA_REAL_tile
#define FA_ENTRY_split FA_EMPTY
#define FA_ENTRY_mma FA_EMPTY
#define FA_PART fa_part_tile
#elif defined(FA_FAMILY_split)
#define FA_ENTRY_vec FA_EMPTY
#define FA_ENTRY_tile FA_EMPTY
#define FA_ENTRY_split FA_REAL_split
#define FA_ENTRY_mma FA_EMPTY
#define FA_PART fa_part_split
#elif defined(FA_FAMILY_mma)
#define FA_ENTRY_vec FA_EMPTY
#define FA_ENTRY_tile FA_EMPTY
#define FA_ENTRY_split FA_EMPTY
#define FA_ENTRY_mma FA_REAL_mma
#define FA_PART fa_part_mma
#else
#error "define FA_FAMILY_vec, FA_FAMILY_tile, FA_FAMILY_split or FA_FAMILY_mma"
#endif

const fa_inst FA_PART[] = {
#define FASV_INSTANCE(fam, dk, dv, tk, tv, nc, nc2) FA_ENTRY_##fam(dk, dv, tk, tv, nc)
#include "kernels/instances.def"
#undef FASV_INSTANCE
};
