/* planner.c — the built-in route planner. See kernels/planner.h.
 *
 * Decision order for a node inside the envelope, on device d:
 *   1. SPLIT  for one query row (n_q = 1) when n_kv >= 512 and the un-split
 *             grid would starve d (ceil(n_head*n_seq / 8) < 2 * n_sm):
 *             split-KV fills the device; n_split from the grid size, n_sm and
 *             n_kv (non-decreasing in n_kv). The typed instance with the MMA
 *             body where MMA would take the node (3. below), else the one
 *             with the VEC body (exact head size 64/128/256, f16, bf16 or
 *             q8_0 K and V of one type, 16-byte aligned float views) where
 *             one exists and its shared memory fits, else the generic one
 *             (TILE body). Only for decode (n_q = 1).
 * Scratch: every route asks for the same reservation for its (device, Dv),
 * the split-KV workspace bound (fasv_plan_scratch_reserve), because a server
 * sizes scratch once from the graphs it reserves: node-dependent scratch
 * broke the lifecycle property twice (multi-row splits; a graph with fewer
 * sequences than the reserved one), found by the scenarios (DESIGN 3.4).
 *   2. VEC    when an exact instance exists (Dk == Dv in {64,128,256}, K and V
 *             of one type), n_q <= 2 (<= 8 for quantized K/V, which VEC
 *             dequantises in registers instead of a conversion pass, and on
 *             devices without fast fp16), and f32/f16/bf16 K/V views are
 *             16-byte aligned.
 *   3. MMA    on devices that compile it (NVIDIA sm_80+): default precision,
 *             Dk == Dv in {64,128,256}, K and V both f16 or both bf16, 16-byte
 *             aligned views, shared memory that fits. Every multi-row batch
 *             VEC does not take: prefill, prompt chunks, verify batches.
 *   4. TILE   otherwise: the smallest head-size bucket, the wide instance when
 *             more than 8 columns are wanted, the largest kv_tile whose shared
 *             memory fits d (preferring kv_tile >= max(32, warp size), then
 *             falling back to the narrow instance down to kv_tile 8, which
 *             fits every modeled device: that is why TILE is total over the
 *             envelope).
 * Device-dependent choices: warp size (VEC's merge buffer, hence its shared
 * memory; the kv_tile worth having), shared memory per block (kv_tile, wide
 * vs narrow, whether MMA or a typed SPLIT fits), fast fp16 (VEC's n_q limit),
 * SM count (whether and how far to split), the families the device compiles
 * (MMA only on NVIDIA sm_80+). No new threshold: MMA's gate reads only axes
 * the shape classes already split on (head class, types, alignment,
 * precision, device), and n_q only through VEC's limit.
 */
#include "kernels/planner.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "kernels/mma.h"
#include "kernels/registry.h"
#include "kernels/split.h"
#include "kernels/tile.h"
#include "kernels/vec.h"

const int fasv_plan_buckets[FASV_PLAN_NBUCKETS][2] = {{64, 64}, {128, 128}, {256, 256}, {576, 512}};

int fasv_plan_bucket(int64_t dk, int64_t dv) {
    for (int b = 0; b < FASV_PLAN_NBUCKETS; b++)
        if (dk <= fasv_plan_buckets[b][0] && dv <= fasv_plan_buckets[b][1]) return b;
    return -1;
}

static int64_t mul_sat(int64_t a, int64_t b) {
    int64_t p;
    return __builtin_mul_overflow(a, b, &p) ? INT64_MAX : p;
}

int64_t fasv_plan_columns(const fasv_node *n) { return mul_sat(mul_sat(fasv_nq(n), fasv_nhead(n)), fasv_nseq(n)); }

int fasv_plan_starved(const fasv_device *d, const fasv_node *n) {
    int64_t cols = fasv_plan_columns(n);
    int64_t blocks = cols / FASV_PLAN_SPLIT_COLS + (cols % FASV_PLAN_SPLIT_COLS != 0);
    return blocks < (int64_t)FASV_PLAN_SPLIT_WAVES * d->n_sm;
}

int64_t fasv_plan_scratch_reserve(const fasv_device *d, const fasv_node *n) {
    if (!(d->families & FASV_FAMBIT_SPLIT)) return 0;
    /* A split happens on a starved grid: c = n_q * n_head * n_seq columns with
     * ceil(c / COLS) < WAVES * n_sm, so c < COLS * WAVES * n_sm; a block packs
     * at most COLS columns, so B >= c / COLS blocks, and
     * n_split <= max(2, ceil(FILL * n_sm / B)) gives
     * n_split * c <= max(2 * COLS * WAVES, COLS * (FILL + WAVES)) * n_sm. */
    int64_t k2 = 2 * FASV_PLAN_SPLIT_COLS * FASV_PLAN_SPLIT_WAVES;
    int64_t kf = FASV_PLAN_SPLIT_COLS * (FASV_PLAN_SPLIT_FILL + FASV_PLAN_SPLIT_WAVES);
    int64_t rows = mul_sat(k2 > kf ? k2 : kf, d->n_sm);
    return mul_sat(mul_sat(rows, fasv_dv(n) + 2), 4);
}

int fasv_envelope(const fasv_device *d, const fasv_node *n, char *why, size_t len) {
    (void)d; /* the same envelope on every modeled device */
    int64_t dk = fasv_dk(n), dv = fasv_dv(n);
    if (dk % 8) {
        snprintf(why, len, "Dk=%lld is not a multiple of 8 (TILE and SPLIT step head sizes by 8)", (long long)dk);
        return 0;
    }
    if (dv % 8) {
        snprintf(why, len, "Dv=%lld is not a multiple of 8 (TILE and SPLIT step head sizes by 8)", (long long)dv);
        return 0;
    }
    if (dk > FASV_PLAN_MAX_D) {
        snprintf(why, len, "Dk=%lld is above the largest head-size bucket (Dk <= %d)", (long long)dk, FASV_PLAN_MAX_D);
        return 0;
    }
    if (dv > FASV_PLAN_MAX_DV) {
        snprintf(why, len, "Dv=%lld is above the largest head-size bucket (Dv <= %d)", (long long)dv,
                 FASV_PLAN_MAX_DV);
        return 0;
    }
    return 1;
}

static int is_quant(fasv_type t) { return t >= FASV_TYPE_Q8_0; }
static int is_float(fasv_type t) { return !is_quant(t); }

static int64_t pow2_part(int64_t v) { return v & -v; }

static int64_t pow2_ceil(int64_t v, int64_t cap) {
    int64_t p = 1;
    while (p < v && p < cap) p <<= 1;
    return p;
}

/* Bounded copy (the planner runs millions of times in a sweep: no snprintf on
 * the success path). */
static void copy_str4(char *dst, size_t cap, const char *a, const char *b, const char *c, const char *e) {
    const char *p[4] = {a, b, c, e};
    size_t at = 0;
    for (int i = 0; i < 4; i++) {
        if (!p[i]) continue;
        size_t l = strlen(p[i]);
        if (l > cap - 1 - at) l = cap - 1 - at;
        memcpy(dst + at, p[i], l);
        at += l;
    }
    dst[at] = 0;
}

static void copy_str(char *dst, size_t cap, const char *a, const char *b) { copy_str4(dst, cap, a, b, NULL, NULL); }

static void set_route(fasv_route *r, fasv_family f, int idx, const fasv_kinst *k, int ncols1, int ncols2, int kv_tile,
                      int n_split, int threads, int64_t smem, int64_t scratch, int eff_k, int eff_v,
                      const char *reason, const char *reason2, const char *reason3) {
    r->family = f;
    r->instance = idx;
    copy_str(r->key, sizeof r->key, k->key, NULL);
    r->ncols1 = ncols1;
    r->ncols2 = ncols2;
    r->kv_tile = kv_tile;
    r->n_split = n_split;
    r->threads = threads;
    r->smem_bytes = smem;
    r->scratch_bytes = scratch;
    r->eff_type_k = eff_k;
    r->eff_type_v = eff_v;
    /* reason3: why MMA was not taken, where the device has it */
    copy_str4(r->reason, sizeof r->reason, reason, reason2, reason3 ? "; " : NULL, reason3);
}

/* Largest kv_tile in {128, 64, 32, 16, 8}, >= min_kv, whose footprint fits d; 0 if none. */
static int pick_kv(const fasv_kinst *k, fasv_type ct, const fasv_device *d, int min_kv) {
    for (int kv = FASV_TILE_KV_MAX; kv >= min_kv; kv >>= 1)
        if (fasv_tile_smem(k, kv, ct) <= d->smem_per_block) return kv;
    return 0;
}

/* The kv_tile worth having: the softmax pass maps one key to one lane, so a
 * tile narrower than the warp leaves lanes idle (32 on wave32, 64 on wave64). */
static int kv_good(const fasv_device *d) { return d->warp_size > FASV_PLAN_KV_GOOD ? d->warp_size : FASV_PLAN_KV_GOOD; }

/* The narrow (8 slots) or wide (more) instance of family f for bucket b; -1 if none. */
static int scan_bucket_instance(fasv_family f, int b, int wide) {
    int cnt;
    const fasv_kinst *t = fasv_registry(&cnt);
    for (int i = 0; i < cnt; i++)
        if (t[i].family == f && t[i].dk == fasv_plan_buckets[b][0] && t[i].dv == fasv_plan_buckets[b][1] &&
            (wide ? t[i].ncols > FASV_PLAN_NARROW_COLS : t[i].ncols == FASV_PLAN_NARROW_COLS))
            return i;
    return -1;
}

/* Registry lookups the planner makes on every call, resolved once. */
static struct {
    int tile[FASV_PLAN_NBUCKETS][2]; /* [bucket][wide] */
    int split[FASV_PLAN_NBUCKETS];
    int vec[3][FASV_TYPE_COUNT];     /* [64, 128, 256][type] */
    int tsplit[3][FASV_TYPE_COUNT];  /* typed SPLIT (VEC body), same indexing */
    int msplit[3][FASV_TYPE_COUNT];  /* typed SPLIT (MMA decode body) */
    int mma[3][FASV_TYPE_COUNT];
} g_idx;
static pthread_once_t g_idx_once = PTHREAD_ONCE_INIT;

static void init_idx(void) {
    for (int b = 0; b < FASV_PLAN_NBUCKETS; b++) {
        g_idx.tile[b][0] = scan_bucket_instance(FASV_FAM_TILE, b, 0);
        g_idx.tile[b][1] = scan_bucket_instance(FASV_FAM_TILE, b, 1);
        g_idx.split[b] = scan_bucket_instance(FASV_FAM_SPLIT, b, 0);
    }
    for (int i = 0; i < 3; i++)
        for (int t = 0; t < FASV_TYPE_COUNT; t++) {
            g_idx.vec[i][t] = fasv_registry_find(FASV_FAM_VEC, 64 << i, 64 << i, t, t, 8);
            g_idx.tsplit[i][t] = fasv_registry_find(FASV_FAM_SPLIT, 64 << i, 64 << i, t, t, 8);
            g_idx.msplit[i][t] = fasv_registry_find(FASV_FAM_SPLIT, 64 << i, 64 << i, t, t, FASV_MMAD_COLS);
            g_idx.mma[i][t] = fasv_registry_find(FASV_FAM_MMA, 64 << i, 64 << i, t, t, FASV_MMA_COLS);
        }
}

/* Index 0, 1, 2 of an exact head size 64, 128, 256 (Dk == Dv), else -1. */
static int exact_d(const fasv_node *n) {
    int64_t dk = fasv_dk(n);
    if (dk != fasv_dv(n)) return -1;
    return dk == 64 ? 0 : dk == 128 ? 1 : dk == 256 ? 2 : -1;
}

/* f32/f16/bf16 views must be 16-byte aligned for the vector loads of VEC and
 * the typed SPLIT instances; quantized blocks are read in 2-byte units. */
static int float_views_aligned(const fasv_node *n) {
    return !((is_float(n->k.type) && !fasv_view_aligned16(&n->k)) ||
             (is_float(n->v.type) && !fasv_view_aligned16(&n->v)));
}

static const char *mma_veto(const fasv_device *d, const fasv_node *n, int *idx);

static int plan_split(const fasv_device *d, const fasv_node *n, int b, int64_t p2, int64_t q2, fasv_type ct,
                      fasv_route *r) {
    /* The typed instance with the MMA decode body where MMA would take the
     * node (the MMA family, default precision, f16/bf16, aligned, it fits)
     * and the decode body's own footprint fits the device, else
     * the one with the VEC body where one exists for the exact head size and
     * the one K/V type, the views allow its vector loads and it fits, else
     * the generic one. */
    int xd = exact_d(n), idx = -1, typed = 0, midx = -1;
    if (!mma_veto(d, n, &midx) && xd >= 0 && g_idx.msplit[xd][n->k.type] >= 0 &&
        fasv_mma_smem(fasv_registry_get(g_idx.msplit[xd][n->k.type])) <= d->smem_per_block) {
        idx = g_idx.msplit[xd][n->k.type];
        typed = 2;
    } else if (xd >= 0 && n->k.type == n->v.type && float_views_aligned(n)) {
        idx = g_idx.tsplit[xd][n->k.type];
        typed = idx >= 0 && fasv_vec_smem(fasv_registry_get(idx), d) <= d->smem_per_block;
    }
    if (!typed) idx = g_idx.split[b];
    const fasv_kinst *k = fasv_registry_get(idx);
    if (!k) return 0;
    int ncols2 = (int)(p2 < k->ncols2_max ? p2 : k->ncols2_max);
    int ncols1 = (int)(q2 < k->ncols / ncols2 ? q2 : k->ncols / ncols2);
    int kv = typed == 2 ? fasv_mma_kv(k) : typed ? fasv_vec_kv(k) : pick_kv(k, ct, d, kv_good(d));
    if (!kv) kv = pick_kv(k, ct, d, FASV_TILE_KV_MIN);
    if (!kv) return 0;
    /* Grid of the split kernel before splitting; split until it covers the
     * device FASV_PLAN_SPLIT_FILL times, with >= 256 keys per split. The MMA
     * decode body instead splits to at most FASV_PLAN_SPLIT_FILL_MMAD * n_sm
     * blocks (rounding down: no partial second wave). Measured on an H200
     * (bench/results/gpu-h200-split-2026-11-26.md): one block per SM beats two
     * (two share an SM's bandwidth unevenly and pay the block's start and end
     * twice), and a wave of 136 blocks on 132 SMs costs a second round. */
    int64_t nq = fasv_nq(n);
    int64_t blocks = mul_sat(mul_sat((nq + ncols1 - 1) / ncols1, fasv_nhead(n) / ncols2), fasv_nseq(n));
    int64_t want;
    if (typed == 2) {
        want = (int64_t)FASV_PLAN_SPLIT_FILL_MMAD * d->n_sm / blocks;
    } else {
        int64_t target = (int64_t)FASV_PLAN_SPLIT_FILL * d->n_sm;
        want = target / blocks + (target % blocks != 0);
    }
    int64_t most = fasv_nkv(n) / FASV_PLAN_SPLIT_CHUNK;
    if (most > FASV_SPLIT_MAX) most = FASV_SPLIT_MAX;
    int64_t ns = want < most ? want : most;
    if (ns < 2) ns = 2; /* n_kv >= 512 guarantees most >= 2 */
    if (typed == 2)
        set_route(r, FASV_FAM_SPLIT, idx, k, ncols1, ncols2, kv, (int)ns, fasv_mma_threads(k), fasv_mma_smem(k),
                  fasv_split_scratch(n, (int)ns), n->k.type, n->v.type,
                  "long KV on a starved grid: split-KV on the tensor cores, then combine", NULL, NULL);
    else if (typed)
        set_route(r, FASV_FAM_SPLIT, idx, k, ncols1, ncols2, kv, (int)ns, FASV_VEC_THREADS, fasv_vec_smem(k, d),
                  fasv_split_scratch(n, (int)ns), n->k.type, n->v.type,
                  "long KV on a starved grid: split-KV with the decode body, then combine", NULL, NULL);
    else
        set_route(r, FASV_FAM_SPLIT, idx, k, ncols1, ncols2, kv, (int)ns, FASV_TILE_THREADS,
                  fasv_tile_smem(k, kv, ct), fasv_split_scratch(n, (int)ns), ct, ct,
                  "long KV on a starved grid: split-KV, then combine", NULL, NULL);
    return 1;
}

/* Why VEC is not eligible, or NULL when it is (idx set). */
static const char *vec_veto(const fasv_device *d, const fasv_node *n, int *idx) {
    if (!(d->families & FASV_FAMBIT_VEC)) return "VEC is not compiled for this device";
    int64_t dk = fasv_dk(n), dv = fasv_dv(n);
    if (dk != dv || (dk != 64 && dk != 128 && dk != 256)) return "no VEC instance for this head size (VEC: Dk=Dv in 64,128,256)";
    if (n->k.type != n->v.type) return "no VEC instance for mixed K/V types";
    /* Above 2 query rows TILE wins where it can compute in f16 from K/V it
     * loads once per tile; VEC keeps up to 8 rows where TILE would pay a
     * conversion pass (quantized K/V) or run in f32 (no fast fp16). */
    int64_t limit = is_quant(n->k.type) || !d->fast_fp16 ? FASV_PLAN_VEC_MAX_Q_QUANT : FASV_PLAN_VEC_MAX_Q;
    if (fasv_nq(n) > limit) return "n_q above the VEC limit (2; 8 for quantized K/V or without fast fp16)";
    if (!float_views_aligned(n)) return "K/V views not 16-byte aligned for VEC's vector loads";
    *idx = g_idx.vec[dk == 64 ? 0 : dk == 128 ? 1 : 2][n->k.type];
    if (*idx < 0) return "no VEC instance for this head size and type";
    return NULL;
}

/* Why MMA is not eligible, or NULL when it is (idx set). */
static const char *mma_veto(const fasv_device *d, const fasv_node *n, int *idx) {
    if (!(d->families & FASV_FAMBIT_MMA)) return "MMA is not compiled for this device (NVIDIA sm_80+ only)";
    if (n->prec != FASV_PREC_DEFAULT) return "MMA rounds P to f16/bf16, which f32 precision rejects";
    int xd = exact_d(n);
    if (xd < 0) return "no MMA instance for this head size (MMA: Dk=Dv in 64,128,256)";
    if (n->k.type != n->v.type || (n->k.type != FASV_TYPE_F16 && n->k.type != FASV_TYPE_BF16))
        return "MMA reads f16 or bf16 K and V of one type";
    if (!fasv_view_aligned16(&n->k) || !fasv_view_aligned16(&n->v))
        return "K/V views not 16-byte aligned for MMA's cp.async";
    *idx = g_idx.mma[xd][n->k.type];
    if (*idx < 0) return "no MMA instance for this head size and type";
    if (fasv_mma_smem(fasv_registry_get(*idx)) > d->smem_per_block) return "MMA's shared memory does not fit this device";
    return NULL;
}

static void plan_route(const fasv_device *d, const fasv_node *n, fasv_route *r) {
    memset(r, 0, sizeof *r);
    r->family = FASV_FAM_NONE;
    r->instance = -1;
    r->eff_type_k = r->eff_type_v = -1;
    char why[200];
    if (!fasv_envelope(d, n, why, sizeof why)) {
        snprintf(r->reason, sizeof r->reason, "outside envelope: %s", why);
        return;
    }
    int b = fasv_plan_bucket(fasv_dk(n), fasv_dv(n));
    int64_t p2 = pow2_part(fasv_gqa(n));
    if (p2 > 8) p2 = 8;
    int64_t q2 = pow2_ceil(fasv_nq(n), 64);
    fasv_type ct = fasv_tile_f16_ok(d, n) ? FASV_TYPE_F16 : FASV_TYPE_F32;

    if ((d->families & FASV_FAMBIT_SPLIT) && fasv_nq(n) == 1 && fasv_nkv(n) >= FASV_PLAN_SPLIT_MIN_KV &&
        fasv_plan_starved(d, n) &&
        plan_split(d, n, b, p2, q2, ct, r))
        return;

    int vidx = -1;
    const char *veto = vec_veto(d, n, &vidx);
    if (!veto) {
        const fasv_kinst *k = fasv_registry_get(vidx);
        int ncols1 = (int)(q2 < k->ncols ? q2 : k->ncols);
        int64_t c2 = k->ncols / ncols1;
        int ncols2 = (int)(p2 < c2 ? p2 : c2);
        if (ncols2 > k->ncols2_max) ncols2 = k->ncols2_max;
        int64_t smem = fasv_vec_smem(k, d);
        if (smem <= d->smem_per_block) {
            set_route(r, FASV_FAM_VEC, vidx, k, ncols1, ncols2, fasv_vec_kv(k), 1, FASV_VEC_THREADS, smem, 0,
                      n->k.type, n->v.type, "decode: exact VEC instance for this head size and type", NULL, NULL);
            return;
        }
        veto = "VEC's shared memory does not fit this device";
    }

    int midx = -1;
    const char *mveto = mma_veto(d, n, &midx);
    if (!mveto) {
        const fasv_kinst *k = fasv_registry_get(midx);
        int ncols2 = (int)(p2 < k->ncols2_max ? p2 : k->ncols2_max);
        set_route(r, FASV_FAM_MMA, midx, k, k->ncols / ncols2, ncols2, fasv_mma_kv(k), 1, FASV_MMA_THREADS,
                  fasv_mma_smem(k), 0, n->k.type, n->v.type, "tensor cores: ", veto, NULL);
        return;
    }

    if (!(d->families & FASV_FAMBIT_TILE)) {
        snprintf(r->reason, sizeof r->reason, "TILE is not compiled for %s, and %s", d->name, veto);
        return;
    }
    int bk = fasv_plan_buckets[b][0], bv = fasv_plan_buckets[b][1];
    int narrow = g_idx.tile[b][0];
    int wide = g_idx.tile[b][1];
    int want_wide = q2 * p2 > FASV_PLAN_NARROW_COLS && wide >= 0;
    int good = kv_good(d);
    int tries[3] = {want_wide ? wide : -1, narrow, narrow};
    int mins[3] = {good, good, FASV_TILE_KV_MIN};
    for (int t = 0; t < 3; t++) {
        const fasv_kinst *k = fasv_registry_get(tries[t]);
        if (!k) continue;
        int kv = pick_kv(k, ct, d, mins[t]);
        if (!kv) continue;
        int ncols2 = (int)(p2 < k->ncols2_max ? p2 : k->ncols2_max);
        int ncols1 = (int)(q2 < k->ncols / ncols2 ? q2 : k->ncols / ncols2);
        set_route(r, FASV_FAM_TILE, tries[t], k, ncols1, ncols2, kv, 1, FASV_TILE_THREADS, fasv_tile_smem(k, kv, ct), 0,
                  ct, ct, k->ncols > FASV_PLAN_NARROW_COLS ? "wide TILE: " : "narrow TILE: ", veto,
                  (d->families & FASV_FAMBIT_MMA) ? mveto : NULL);
        return;
    }
    snprintf(r->reason, sizeof r->reason, "no TILE configuration for Dk<=%d Dv<=%d fits %d bytes of shared memory (%s)",
             bk, bv, d->smem_per_block, veto);
}

void fasv_plan(const fasv_device *d, const fasv_node *n, fasv_route *r) {
    pthread_once(&g_idx_once, init_idx);
    plan_route(d, n, r);
    /* Every route asks for the same reservation for its (device, Dv): see
     * fasv_plan_scratch_reserve and docs/envelope.md (the lifecycle rule). */
    if (r->family != FASV_FAM_NONE) {
        int64_t reserve = fasv_plan_scratch_reserve(d, n);
        if (r->scratch_bytes < reserve) r->scratch_bytes = reserve;
    }
}
