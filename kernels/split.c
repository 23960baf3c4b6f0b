/* split.c — preconditions and scratch size of the SPLIT (split-KV) family.
 * See kernels/split.h for the kernels' structure. */
#include "kernels/split.h"

#include <stdio.h>

#include "kernels/mma.h"
#include "kernels/tile.h"
#include "kernels/vec.h"

static int64_t mul_sat(int64_t a, int64_t b) {
    int64_t p;
    if (a < 0 || b < 0) return INT64_MAX;
    if (__builtin_mul_overflow(a, b, &p)) return INT64_MAX;
    return p;
}

int64_t fasv_split_scratch(const fasv_node *n, int n_split) {
    int64_t rows = mul_sat(mul_sat(fasv_nq(n), fasv_nhead(n)), fasv_nseq(n));
    return mul_sat(mul_sat(mul_sat(rows, n_split), fasv_dv(n) + 2), 4);
}

int fasv_split_accepts(const fasv_kinst *k, const fasv_device *d, const fasv_node *n, const fasv_route *r, char *why,
                       size_t len) {
    /* Typed instances run the VEC body (8 slots) or the MMA decode body (16 slots),
     * with that body's preconditions; the generic ones ("any") the TILE
     * loader and tile loop. */
    if (k->type_k != FASV_KT_any || k->type_v != FASV_KT_any) {
        if (fasv_mma_decode_body(k) ? fasv_mma_check_body(k, d, n, r, why, len)
                                      : fasv_vec_check_body(k, d, n, r, why, len))
            return 1;
    } else if (fasv_tile_check_common(k, d, n, r, why, len)) {
        return 1;
    }
    /* At least two splits (one split is the unsplit kernel with an extra
     * pass), at most FASV_SPLIT_MAX (the combine's loops and the scratch). */
    if (r->n_split < 2 || r->n_split > FASV_SPLIT_MAX)
        return fasv_kfail(why, len, "%s combines 2..%d splits, the route says %d", k->key, FASV_SPLIT_MAX, r->n_split);
    /* Every split must own at least one KV tile: a split without one returns
     * before writing its partial, and the combine reads every partial. */
    int64_t tiles = (fasv_nkv(n) + r->kv_tile - 1) / r->kv_tile;
    if (r->n_split > tiles)
        return fasv_kfail(why, len, "%s: %d splits of %lld KV tiles (n_kv=%lld, kv_tile=%d) leave a split without a tile",
                    k->key, r->n_split, (long long)tiles, (long long)fasv_nkv(n), r->kv_tile);
    /* Partials and (max, sum) of every row of every split live in scratch. */
    int64_t need = fasv_split_scratch(n, r->n_split);
    if (r->scratch_bytes < need)
        return fasv_kfail(why, len, "%s with %d splits needs %lld bytes of scratch, the route reserves %lld", k->key,
                    r->n_split, (long long)need, (long long)r->scratch_bytes);
    return 0;
}
