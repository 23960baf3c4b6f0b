/* test_planner.c — the built-in planner, its registry and the kernels'
 * preconditions, against hand-computed routes and footprints, tampered
 * routes the contract must reject, and the seed report's shapes. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fasv/build.h"
#include "fasv/props.h"
#include "fasv/target.h"
#include "kernels/planner.h"
#include "kernels/mma.h"
#include "kernels/registry.h"
#include "kernels/split.h"
#include "kernels/tile.h"
#include "kernels/vec.h"

static fasv_node make(fasv_build *b) {
    fasv_case c;
    char err[200];
    int rc = fasv_build_case(b, &c, err, sizeof err);
    CHECKF(rc == 0, "build: %s", err);
    char why[256];
    CHECKF(fasv_node_check(&c.node, why, sizeof why) == FASV_LEGAL, "illegal test node: %s", why);
    return c.node;
}

static const fasv_device *dev(const char *name) {
    const fasv_device *d = fasv_device_find(name);
    CHECKF(d != NULL, "no device %s", name);
    return d;
}

static void test_registry(void) {
    int n;
    const fasv_kinst *t = fasv_registry(&n);
    CHECKF(n == 57, "57 instances expected (24 vec, 8 tile, 19 split, 6 mma), got %d", n);
    CHECKF(n <= 60, "CI compiles every instance twice: keep it under 60");
    int fam[FASV_FAM_COUNT] = {0};
    for (int i = 0; i < n; i++) {
        fam[t[i].family]++;
        for (int j = 0; j < i; j++) CHECKF(strcmp(t[i].key, t[j].key) != 0, "duplicate key %s", t[i].key);
        CHECKF(strlen(t[i].key) < FASV_KEY_LEN, "key %s too long for a route", t[i].key);
        CHECKF(t[i].ncols2_max >= 1 && t[i].ncols >= t[i].ncols2_max, "%s columns", t[i].key);
        int exact = t[i].dk == t[i].dv && (t[i].dk == 64 || t[i].dk == 128 || t[i].dk == 256);
        int typed = t[i].type_k != FASV_KT_any || t[i].type_v != FASV_KT_any;
        if (t[i].family == FASV_FAM_VEC || t[i].family == FASV_FAM_MMA || (t[i].family == FASV_FAM_SPLIT && typed)) {
            CHECKF(exact, "%s: exact head sizes only", t[i].key);
            CHECKF(t[i].type_k == t[i].type_v && t[i].type_k >= 0, "%s: one compiled type for K and V", t[i].key);
        } else {
            CHECKF(!typed, "%s converts any type", t[i].key);
        }
        if (t[i].family == FASV_FAM_MMA)
            CHECKF((t[i].type_k == FASV_TYPE_F16 || t[i].type_k == FASV_TYPE_BF16) && t[i].ncols == FASV_MMA_COLS,
                   "%s: f16/bf16 tensor-core operands, 64 slots", t[i].key);
    }
    CHECK(fam[FASV_FAM_VEC] == 24 && fam[FASV_FAM_TILE] == 8 && fam[FASV_FAM_SPLIT] == 19 && fam[FASV_FAM_MMA] == 6);
    /* every same-type pair at every VEC head size; typed SPLIT for the decode cache types; MMA for f16, bf16 */
    static const fasv_type split_types[] = {FASV_TYPE_F16, FASV_TYPE_BF16, FASV_TYPE_Q8_0};
    for (int d = 64; d <= 256; d *= 2) {
        for (int ty = 0; ty < FASV_TYPE_COUNT; ty++)
            CHECKF(fasv_registry_find(FASV_FAM_VEC, d, d, ty, ty, 8) >= 0, "vec d%d %s", d, fasv_type_name(ty));
        for (int k = 0; k < 3; k++)
            CHECKF(fasv_registry_find(FASV_FAM_SPLIT, d, d, split_types[k], split_types[k], 8) >= 0, "split d%d %s", d,
                   fasv_type_name(split_types[k]));
        CHECK(fasv_registry_find(FASV_FAM_MMA, d, d, FASV_TYPE_F16, FASV_TYPE_F16, 64) >= 0);
        CHECK(fasv_registry_find(FASV_FAM_SPLIT, d, d, FASV_TYPE_F16, FASV_TYPE_F16, 16) >= 0); /* MMA decode body */
        CHECK(fasv_registry_find(FASV_FAM_SPLIT, d, d, FASV_TYPE_BF16, FASV_TYPE_BF16, 16) >= 0);
        CHECK(fasv_registry_find(FASV_FAM_SPLIT, d, d, FASV_TYPE_Q8_0, FASV_TYPE_Q8_0, 16) < 0);
        CHECK(fasv_registry_find(FASV_FAM_SPLIT, d, d, FASV_TYPE_F16, FASV_TYPE_F16, 64) < 0);
        CHECK(fasv_registry_find(FASV_FAM_MMA, d, d, FASV_TYPE_BF16, FASV_TYPE_BF16, 64) >= 0);
        CHECK(fasv_registry_find(FASV_FAM_MMA, d, d, FASV_TYPE_F32, FASV_TYPE_F32, 64) < 0);
    }
    CHECK(fasv_registry_find(FASV_FAM_VEC, 96, 96, FASV_TYPE_F16, FASV_TYPE_F16, 8) < 0);
    CHECK(strcmp(t[fasv_registry_find(FASV_FAM_VEC, 128, 128, FASV_TYPE_F16, FASV_TYPE_F16, 8)].key,
                 "vec:128x128:f16,f16:c8g8") == 0);
    CHECK(strcmp(t[fasv_registry_find(FASV_FAM_MMA, 128, 128, FASV_TYPE_F16, FASV_TYPE_F16, 64)].key,
                 "mma:128x128:f16,f16:c64g8") == 0);
    CHECK(fasv_registry_get(-1) == NULL && fasv_registry_get(n) == NULL);
}

static void test_footprints(void) {
    const fasv_kinst *v256 = fasv_registry_get(fasv_registry_find(FASV_FAM_VEC, 256, 256, FASV_TYPE_F16, FASV_TYPE_F16, 8));
    const fasv_kinst *v64 = fasv_registry_get(fasv_registry_find(FASV_FAM_VEC, 64, 64, FASV_TYPE_F16, FASV_TYPE_F16, 8));
    /* keys per block step: 128 threads x 4 rows x 8 values / D */
    CHECK(fasv_vec_kv(v256) == 16 && fasv_vec_kv(v64) == 64);
    /* 8 columns x max(2 x 16 keys + 4 warps (step buffers), 2 x 4 warps + 256 (merge)) x 4 bytes,
     * plus the cp.async ring: 16 bytes x 4 rows x 2 stages x (K, V) x 128 threads = 32768 */
    CHECK(fasv_vec_smem(v256, dev("gfx1100")) == 8 * 264 * 4 + 32768); /* wave32: 4 warps */
    CHECK(fasv_vec_smem(v256, dev("gfx90a")) == 8 * 260 * 4 + 32768);  /* wave64: 2 waves */
    CHECK(fasv_vec_smem(v64, dev("sm_90")) == 8 * 132 * 4 + 32768);    /* the step buffers are the larger */
    /* VEC fits the smallest modeled device (sm_61: 48 KiB) at every head size */
    CHECK(fasv_vec_smem(v256, dev("sm_61")) <= dev("sm_61")->smem_per_block);
    /* MMA: 2 bytes x (terms x 64 x D + 2 x kv_tile x D) */
    const fasv_kinst *m128 = fasv_registry_get(fasv_registry_find(FASV_FAM_MMA, 128, 128, FASV_TYPE_F16, FASV_TYPE_F16, 64));
    const fasv_kinst *m256b = fasv_registry_get(fasv_registry_find(FASV_FAM_MMA, 256, 256, FASV_TYPE_BF16, FASV_TYPE_BF16, 64));
    CHECK(fasv_mma_kv(m128) == 64 && fasv_mma_q_terms(m128) == 2 && fasv_mma_smem(m128) == 2 * (2 * 64 * 128 + 2 * 64 * 128));
    CHECK(fasv_mma_kv(m256b) == 32 && fasv_mma_q_terms(m256b) == 3 && fasv_mma_smem(m256b) == 131072);
    /* the decode body: 16 x 4 bytes of row factors + 2 bytes x (terms x 16 x D + 4 warps x stages x 2 x 16 x D);
     * 4 stages at D = 64, 2 above */
    const fasv_kinst *d64 = fasv_registry_get(fasv_registry_find(FASV_FAM_SPLIT, 64, 64, FASV_TYPE_F16, FASV_TYPE_F16, 16));
    const fasv_kinst *d256b = fasv_registry_get(fasv_registry_find(FASV_FAM_SPLIT, 256, 256, FASV_TYPE_BF16, FASV_TYPE_BF16, 16));
    CHECK(fasv_mma_decode_body(d64) && !fasv_mma_decode_body(m128) && fasv_mma_kv(d64) == 64 && fasv_mma_kv(d256b) == 64);
    CHECK(fasv_mma_smem(d64) == 192 + 2 * (2 * 16 * 64 + 4 * 4 * 2 * 16 * 64));       /* 69824 */
    CHECK(fasv_mma_smem(d256b) == 192 + 2 * (3 * 16 * 256 + 4 * 2 * 2 * 16 * 256)); /* 155840 */
    const fasv_kinst *w256 = fasv_registry_get(fasv_registry_find(FASV_FAM_TILE, 256, 256, FASV_KT_any, FASV_KT_any, 32));
    /* Q 32x256x2 + KV 64x256x2 + scores 32x64x4 + stats 32x8 */
    CHECK(fasv_tile_smem(w256, 64, FASV_TYPE_F16) == 16384 + 32768 + 8192 + 256);
    const fasv_kinst *n576 = fasv_registry_get(fasv_registry_find(FASV_FAM_TILE, 576, 512, FASV_KT_any, FASV_KT_any, 8));
    CHECK(fasv_tile_smem(n576, 8, FASV_TYPE_F32) == 8 * 576 * 4 + 8 * 576 * 4 + 8 * 8 * 4 + 64); /* 37184 */
    /* TILE is the fallback: its narrowest configuration fits every modeled device. */
    int nd;
    const fasv_device *ds = fasv_devices(&nd);
    for (int i = 0; i < nd; i++) CHECKF(fasv_tile_smem(n576, 8, FASV_TYPE_F32) <= ds[i].smem_per_block, "%s", ds[i].name);
}

/* sm_90, decode, Dk=Dv=128 f16, 32 heads over 8 KV heads. */
static void test_vec_and_split(void) {
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = b.hsv = 128;
    b.nh = 8;
    b.gqa = 4;
    b.nb = 1;
    b.kv = 256;
    fasv_node n = make(&b);
    fasv_route r;
    fasv_plan(dev("sm_90"), &n, &r);
    CHECKF(r.family == FASV_FAM_VEC, "short decode on sm_90 is VEC, got %s (%s)", fasv_family_name(r.family), r.reason);
    CHECK(strcmp(r.key, "vec:128x128:f16,f16:c8g8") == 0);
    CHECK(r.ncols1 == 1 && r.ncols2 == 4 && r.threads == 128 && r.kv_tile == 32 && r.n_split == 1);
    /* scratch: the reservation of sm_90 for Dv = 128: 2 * 8 * 2 * 132 rows of (128 + 2) floats */
    CHECK(r.smem_bytes == 8 * (2 * 4 + 128) * 4 + 32768 && r.scratch_bytes == 4224LL * 130 * 4);
    CHECK(r.eff_type_k == FASV_TYPE_F16 && r.eff_type_v == FASV_TYPE_F16);

    /* Long context: 32 columns make 4 blocks of 8 < 2 x 132 SMs, n_kv >= 512: split,
     * on sm_90 with the typed instance of the MMA decode body: ncols2 = 4,
     * ncols1 = 1, kv_tile 64 (4 warps x 16 keys); shared memory 16 row factors
     * x 4 bytes + 2 bytes x (2 Q terms x 16 rows x 128 + 4 warps x 2 stages x
     * (K, V) x 16 keys x 128) = 64 + 73728; grid 1 x 8 x 1 = 8 blocks -> want
     * floor(132 / 8) = 16 (one wave of one block per SM), at most min(64,
     * 4096 / 256 = 16) -> 16. */
    b.kv = 4096;
    n = make(&b);
    fasv_plan(dev("sm_90"), &n, &r);
    CHECKF(r.family == FASV_FAM_SPLIT, "long decode on sm_90 splits, got %s", fasv_family_name(r.family));
    CHECKF(strcmp(r.key, "split:128x128:f16,f16:c16g8") == 0, "%s", r.key);
    CHECK(r.ncols1 == 1 && r.ncols2 == 4 && r.kv_tile == 64 && r.threads == 128);
    CHECKF(r.n_split == 16, "n_split %d", r.n_split);
    CHECK(r.smem_bytes == 192 + 2 * (2 * 16 * 128 + 4 * 2 * 2 * 16 * 128) && r.eff_type_k == FASV_TYPE_F16); /* 73920 */
    CHECK(fasv_split_scratch(&n, r.n_split) == 16LL * 32 * (128 + 2) * 4); /* what the 16 splits use */
    CHECK(r.scratch_bytes == 4224LL * 130 * 4);                             /* what the route reserves */
    /* D = 256 bf16 decode: the decode body's 155840 bytes fit an A100 (163 KiB
     * per block), not an RTX 3090 (99 KiB), which takes the VEC body */
    {
        fasv_build b2 = b;
        b2.hsk = b2.hsv = 256;
        b2.type_k = b2.type_v = FASV_TYPE_BF16;
        fasv_node n2 = make(&b2);
        fasv_plan(dev("sm_80"), &n2, &r);
        CHECKF(strcmp(r.key, "split:256x256:bf16,bf16:c16g8") == 0 && r.smem_bytes == 155840, "%s", r.key);
        fasv_plan(dev("sm_86"), &n2, &r);
        CHECKF(strcmp(r.key, "split:256x256:bf16,bf16:c8g8") == 0, "%s", r.key);
    }
    /* precision f32: the typed instance of the VEC body (kv_tile 32, VEC's footprint) */
    n.prec = FASV_PREC_F32;
    fasv_plan(dev("sm_90"), &n, &r);
    CHECKF(strcmp(r.key, "split:128x128:f16,f16:c8g8") == 0, "%s", r.key);
    CHECK(r.ncols1 == 1 && r.ncols2 == 4 && r.kv_tile == 32 && r.threads == 128 && r.n_split == 16);
    CHECK(r.smem_bytes == 8 * (2 * 4 + 128) * 4 + 32768 && r.eff_type_k == FASV_TYPE_F16);
    n.prec = FASV_PREC_DEFAULT;
    /* a type without a typed instance takes the generic SPLIT (tile body, f32 tiles) */
    b.type_k = b.type_v = FASV_TYPE_Q4_0;
    n = make(&b);
    fasv_plan(dev("sm_90"), &n, &r);
    CHECK(r.family == FASV_FAM_SPLIT && strcmp(r.key, "split:128x128:any,any:c8g8") == 0 && r.threads == 256);
    CHECK(r.kv_tile == 128 && r.smem_bytes == 8 * 128 * 4 + 128 * 128 * 4 + 8 * 128 * 4 + 64);
    CHECK(r.eff_type_k == FASV_TYPE_F32 && r.n_split == 16);
    b.type_k = b.type_v = FASV_TYPE_F16;
    n = make(&b);
    /* Fewer SMs, fewer splits, no tensor cores: sm_61 (30 SMs): the VEC body, want ceil(2 x 30 / 8) = 8. */
    fasv_plan(dev("sm_61"), &n, &r);
    CHECK(r.family == FASV_FAM_SPLIT && r.n_split == 8 && r.eff_type_k == FASV_TYPE_F16);
    CHECK(strcmp(r.key, "split:128x128:f16,f16:c8g8") == 0);
    /* 32k keys, 4 KV heads (GQA 8), the MMA decode body: want floor(132 / 4) =
     * 33 (132 blocks), at most min(64, 128) -> 33; 8 KV heads (GQA 4): floor(132
     * / 8) = 16 (128 blocks, not 17 x 8 = 136 > 132); the VEC body (precision
     * f32) fills two blocks per SM: ceil(264 / 4) = 66, at most 64 */
    b.nh = 4;
    b.gqa = 8;
    b.kv = 32768;
    n = make(&b);
    fasv_plan(dev("sm_90"), &n, &r);
    CHECK(r.family == FASV_FAM_SPLIT && r.n_split == 33 && r.ncols2 == 8 && r.kv_tile == 64);
    n.prec = FASV_PREC_F32;
    fasv_plan(dev("sm_90"), &n, &r);
    CHECK(r.family == FASV_FAM_SPLIT && r.n_split == 64 && r.kv_tile == 32);
    b.nh = 8;
    b.gqa = 4;
    n = make(&b);
    fasv_plan(dev("sm_90"), &n, &r);
    CHECK(r.family == FASV_FAM_SPLIT && r.n_split == 16 && r.ncols2 == 4 && r.kv_tile == 64);
    b.nh = 8;
    b.gqa = 4;
    b.kv = 4096;
    n = make(&b);

    /* 128 KV heads: 512 columns = 64 blocks of 8, enough for sm_61 (>= 2 x 30 SMs),
     * still starving sm_90 (< 2 x 132). */
    b.nh = 128;
    n = make(&b);
    fasv_plan(dev("sm_61"), &n, &r);
    CHECKF(r.family == FASV_FAM_VEC, "full grid on sm_61 is VEC, got %s", fasv_family_name(r.family));
    fasv_plan(dev("sm_90"), &n, &r); /* 64 blocks < 264 on sm_90: still starved */
    CHECK(r.family == FASV_FAM_SPLIT);
}

static void test_tile_choices(void) {
    /* MLA prefill: Dk=576 Dv=512 (V a view of K), f16, 512 rows, GQA 16, n_kv 4096.
     * 8192 columns: not starved. VEC has no 576. Wanted columns 64 x 8 > 8: wide.
     * TILE computes in f32 tiles (tile.c), so on 64 KiB devices (gfx1100 wave32,
     * gfx90a wave64) no wide tile fits and no tile of >= 32 keys: the fallback
     * narrow c8 with the largest tile that fits, 16 keys:
     * 8*576*4 + 16*576*4 + 8*16*4 + 64 = 55872 B. */
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = 576;
    b.hsv = 512;
    b.v_view_of_k = true;
    b.nh = 1;
    b.gqa = 16;
    b.nb = 512;
    b.kv = 4096;
    b.mask = true;
    fasv_node n = make(&b);
    fasv_route r;
    fasv_plan(dev("gfx1100"), &n, &r);
    CHECKF(r.family == FASV_FAM_TILE && strcmp(r.key, "tile:576x512:any,any:c8g8") == 0, "gfx1100: %s", r.key);
    CHECK(r.ncols2 == 8 && r.ncols1 == 1 && r.kv_tile == 16 && r.smem_bytes == 55872);
    CHECK(r.eff_type_k == FASV_TYPE_F32);
    fasv_plan(dev("gfx90a"), &n, &r);
    CHECKF(r.family == FASV_FAM_TILE && strcmp(r.key, "tile:576x512:any,any:c8g8") == 0, "gfx90a: %s", r.key);
    CHECK(r.ncols2 == 8 && r.ncols1 == 1 && r.kv_tile == 16 && r.smem_bytes == 55872);
    /* sm_90 (227 KiB): wide; 128 keys need 340096 B, 64 fit. */
    fasv_plan(dev("sm_90"), &n, &r);
    CHECK(r.family == FASV_FAM_TILE && r.ncols1 == 2 && r.kv_tile == 64);
    CHECK(r.smem_bytes == 16 * 576 * 4 + 64 * 576 * 4 + 16 * 64 * 4 + 128);
    /* precision f32: f32 compute type, more shared memory */
    n.prec = FASV_PREC_F32;
    fasv_plan(dev("sm_90"), &n, &r);
    CHECK(r.eff_type_k == FASV_TYPE_F32 && r.eff_type_v == FASV_TYPE_F32);

    /* n_q = 4, D=128 f16, MHA, many heads: MMA on sm_80+ (64 slots: 64 rows of one head) ... */
    fasv_build_defaults(&b);
    b.nh = 32;
    b.nb = 4;
    b.kv = 256;
    n = make(&b);
    fasv_plan(dev("sm_80"), &n, &r);
    CHECKF(r.family == FASV_FAM_MMA && strcmp(r.key, "mma:128x128:f16,f16:c64g8") == 0, "sm_80: %s", r.key);
    CHECK(r.ncols1 == 64 && r.ncols2 == 1 && r.kv_tile == 64 && r.threads == 128 && r.smem_bytes == 65536);
    /* scratch: the reservation of sm_80 for Dv = 128: 2 * 8 * 2 * 108 rows of (128 + 2) floats */
    CHECK(r.eff_type_k == FASV_TYPE_F16 && r.n_split == 1 && r.scratch_bytes == 3456LL * 130 * 4);
    /* ... TILE narrow where there are no tensor-core kernels (Turing: 64 KiB, f32 tiles:
     * 128 keys need 4096 + 65536 + 4096 + 64 > 65536, so 64: 4096 + 32768 + 2048 + 64) */
    fasv_plan(dev("sm_75"), &n, &r);
    CHECKF(r.family == FASV_FAM_TILE && strcmp(r.key, "tile:128x128:any,any:c8g8") == 0, "sm_75: %s", r.key);
    CHECK(r.ncols1 == 4 && r.ncols2 == 1 && r.kv_tile == 64 && r.smem_bytes == 4096 + 32768 + 2048 + 64);
    /* ... and for precision f32 (MMA rounds P) */
    n.prec = FASV_PREC_F32;
    fasv_plan(dev("sm_90"), &n, &r);
    CHECKF(r.family == FASV_FAM_TILE && strstr(r.reason, "f32 precision"), "prec f32: %s", r.reason);
    n.prec = FASV_PREC_DEFAULT;
    /* ... VEC on Pascal, whose TILE would run in f32 */
    fasv_plan(dev("sm_61"), &n, &r);
    CHECKF(r.family == FASV_FAM_VEC && r.ncols1 == 4 && r.ncols2 == 1, "sm_61: %s", fasv_family_name(r.family));
    /* GQA 8 packs 8 heads x 8 rows; bf16 D=256 (128 KiB) fits sm_80 and sm_90, not the 99 KiB of sm_86 */
    fasv_build_defaults(&b);
    b.hsk = b.hsv = 256;
    b.nh = 2;
    b.gqa = 8;
    b.nb = 100;
    b.type_k = b.type_v = FASV_TYPE_BF16;
    n = make(&b);
    fasv_plan(dev("sm_90"), &n, &r);
    CHECK(r.family == FASV_FAM_MMA && r.ncols1 == 8 && r.ncols2 == 8 && r.kv_tile == 32 && r.smem_bytes == 131072);
    fasv_plan(dev("sm_80"), &n, &r);
    CHECK(r.family == FASV_FAM_MMA);
    fasv_plan(dev("sm_86"), &n, &r);
    CHECKF(r.family == FASV_FAM_TILE && strstr(r.reason, "MMA's shared memory"), "sm_86: %s", r.reason);
    b.type_k = b.type_v = FASV_TYPE_F16; /* f16 D=256: 96 KiB fits sm_86 */
    n = make(&b);
    fasv_plan(dev("sm_86"), &n, &r);
    CHECK(r.family == FASV_FAM_MMA && r.smem_bytes == 98304);
    /* no AMD device routes MMA */
    fasv_plan(dev("gfx942"), &n, &r);
    CHECK(r.family == FASV_FAM_TILE);
    fasv_build_defaults(&b);
    b.nh = 32;
    b.nb = 4;
    b.kv = 256;
    /* quantized K/V keep VEC up to 8 rows everywhere */
    b.type_k = b.type_v = FASV_TYPE_Q8_0;
    b.nb = 8;
    n = make(&b);
    fasv_plan(dev("gfx1100"), &n, &r);
    CHECK(r.family == FASV_FAM_VEC && r.ncols1 == 8 && r.ncols2 == 1 && r.eff_type_k == FASV_TYPE_Q8_0);
    b.nb = 9;
    n = make(&b);
    fasv_plan(dev("gfx1100"), &n, &r);
    CHECK(r.family == FASV_FAM_TILE && r.eff_type_k == FASV_TYPE_F32);

    /* bf16 K/V never compute in f16 */
    b.type_k = b.type_v = FASV_TYPE_BF16;
    n = make(&b);
    fasv_plan(dev("gfx1100"), &n, &r);
    CHECK(r.family == FASV_FAM_TILE && r.eff_type_k == FASV_TYPE_F32);

    /* A K view 2 bytes off 16-byte alignment: no VEC for f16, TILE instead; q8_0 does not care. */
    fasv_build_defaults(&b);
    b.nh = 32;
    b.kv = 256;
    b.off_k = 2;
    n = make(&b);
    fasv_plan(dev("gfx1100"), &n, &r);
    CHECKF(r.family == FASV_FAM_TILE && strstr(r.reason, "16-byte"), "misaligned f16: %s", r.reason);
    b.nb = 40; /* ... nor MMA (cp.async) */
    n = make(&b);
    fasv_plan(dev("sm_90"), &n, &r);
    CHECKF(r.family == FASV_FAM_TILE && strstr(r.reason, "cp.async"), "misaligned f16 on sm_90: %s", r.reason);
    b.nb = 1;
    b.type_k = b.type_v = FASV_TYPE_Q8_0;
    n = make(&b);
    fasv_plan(dev("gfx1100"), &n, &r);
    CHECK(r.family == FASV_FAM_VEC);
}

static void test_envelope(void) {
    const fasv_target *t = fasv_builtin_target();
    static const int64_t inside[][2] = {{40, 40}, {64, 64}, {72, 72}, {80, 80}, {96, 96}, {112, 112}, {128, 128},
                                        {192, 128}, {256, 256}, {320, 256}, {512, 512}, {576, 512}, {8, 8}, {248, 248}};
    static const int64_t outside[][2] = {{100, 100}, {600, 600}, {576, 576}, {640, 512}, {36, 36}, {64, 60}};
    char why[256];
    int nd;
    const fasv_device *ds = fasv_devices(&nd);
    for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++) {
        fasv_build b;
        fasv_build_defaults(&b);
        b.hsk = inside[i][0];
        b.hsv = inside[i][1];
        fasv_node n = make(&b);
        for (int d = 0; d < nd; d++) {
            fasv_finding f;
            CHECKF(fasv_check_route(t, &ds[d], &n, &f) == FASV_CLEAN, "%lld/%lld on %s: %s", (long long)b.hsk,
                   (long long)b.hsv, ds[d].name, f.detail);
        }
    }
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        fasv_build b;
        fasv_build_defaults(&b);
        b.hsk = outside[i][0];
        b.hsv = outside[i][1];
        b.type_k = b.type_v = FASV_TYPE_F32;
        fasv_node n = make(&b);
        CHECK(fasv_envelope(&ds[0], &n, why, sizeof why) == 0 && why[0]);
        fasv_route r;
        fasv_plan(&ds[0], &n, &r);
        CHECKF(r.family == FASV_FAM_NONE && strncmp(r.reason, "outside envelope: ", 18) == 0, "%s", r.reason);
        fasv_finding f;
        CHECK(fasv_check_route(t, &ds[0], &n, &f) == FASV_OUTSIDE);
    }
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = b.hsv = 100;
    fasv_node n = make(&b);
    fasv_route r;
    fasv_plan(&ds[0], &n, &r);
    CHECKF(strstr(r.reason, "Dk=100") != NULL, "%s", r.reason);
}

/* The contract rejects routes that break a kernel's preconditions. */
static void expect_reject(const fasv_device *d, const fasv_node *n, const fasv_route *r, const char *needle) {
    char why[512] = "";
    int rc = fasv_registry_contract(d, n, r, why, sizeof why);
    CHECKF(rc != 0, "a tampered route was accepted (expected: %s)", needle);
    CHECKF(strstr(why, needle) != NULL, "reason '%s' lacks '%s'", why, needle);
}

static void test_contract(void) {
    const fasv_device *d = dev("gfx1100");
    fasv_build b;
    fasv_build_defaults(&b);
    b.nh = 8;
    b.gqa = 4;
    b.kv = 256;
    fasv_node n = make(&b);
    fasv_route r, t;
    fasv_plan(d, &n, &r);
    CHECK(r.family == FASV_FAM_VEC);
    char why[256];
    CHECKF(fasv_registry_contract(d, &n, &r, why, sizeof why) == 0, "%s", why);
    t = r, t.ncols2 = 3;
    expect_reject(d, &n, &t, "does not divide");
    t = r, t.ncols1 = 4; /* 4 x 4 > 8 slots */
    expect_reject(d, &n, &t, "column slots");
    t = r, t.smem_bytes -= 4;
    expect_reject(d, &n, &t, "shared memory");
    t = r, t.threads = 64;
    expect_reject(d, &n, &t, "threads");
    t = r, t.instance = 999;
    expect_reject(d, &n, &t, "does not exist");
    t = r, t.eff_type_k = FASV_TYPE_F32;
    expect_reject(d, &n, &t, "storage types");
    /* the same VEC route on a node whose K view is off 16-byte alignment */
    fasv_node mis = n;
    mis.k.offset = 2;
    mis.k.buf_bytes += 2;
    CHECK(fasv_node_check(&mis, why, sizeof why) == FASV_LEGAL);
    expect_reject(d, &mis, &r, "16-byte");
    /* ... or another head size */
    fasv_build b2 = b;
    b2.hsk = b2.hsv = 64;
    fasv_node n64 = make(&b2);
    expect_reject(d, &n64, &r, "compiled for");
    /* a device whose build does not compile VEC */
    fasv_device novec = *d;
    novec.families = FASV_FAMBIT_TILE | FASV_FAMBIT_SPLIT;
    expect_reject(&novec, &n, &r, "not compiled");
    fasv_plan(&novec, &n, &r);
    CHECK(r.family == FASV_FAM_TILE && fasv_registry_contract(&novec, &n, &r, why, sizeof why) == 0);

    /* TILE */
    t = r, t.kv_tile = 12;
    expect_reject(d, &n, &t, "kv_tile");
    t = r, t.eff_type_k = t.eff_type_v = FASV_TYPE_F16;
    CHECK(fasv_registry_contract(dev("sm_61"), &n, &t, why, sizeof why) != 0); /* no f16 path on Pascal */
    t = r, t.n_split = 2;
    expect_reject(d, &n, &t, "does not split");
    fasv_build b3 = b;
    b3.hsk = b3.hsv = 136; /* bucket 256: a 128 tile cannot hold it */
    fasv_node n136 = make(&b3);
    expect_reject(d, &n136, &r, "holds Dk<=128");

    /* SPLIT (typed: the VEC body) */
    b.kv = 4096;
    n = make(&b);
    fasv_plan(d, &n, &r);
    CHECK(r.family == FASV_FAM_SPLIT && strcmp(r.key, "split:128x128:f16,f16:c8g8") == 0);
    CHECKF(fasv_registry_contract(d, &n, &r, why, sizeof why) == 0, "%s", why);
    t = r, t.scratch_bytes = fasv_split_scratch(&n, r.n_split) - 1;
    expect_reject(d, &n, &t, "scratch");
    t = r, t.n_split = 1;
    expect_reject(d, &n, &t, "splits");
    t = r, t.kv_tile = 128;
    expect_reject(d, &n, &t, "steps 32 keys");
    t = r, t.smem_bytes += 4;
    expect_reject(d, &n, &t, "shared memory");
    fasv_node shortkv = n; /* 33 keys: 2 steps of 32, but the route has more splits */
    shortkv.k.ne[1] = shortkv.v.ne[1] = 33;
    t = r, t.n_split = 3;
    t.scratch_bytes = fasv_split_scratch(&shortkv, 3);
    expect_reject(d, &shortkv, &t, "without a tile");
    /* the generic SPLIT's preconditions are TILE's */
    fasv_build bq = b;
    bq.type_k = bq.type_v = FASV_TYPE_Q4_0;
    fasv_node nq = make(&bq);
    fasv_plan(d, &nq, &r);
    CHECK(r.family == FASV_FAM_SPLIT && strcmp(r.key, "split:128x128:any,any:c8g8") == 0);
    CHECKF(fasv_registry_contract(d, &nq, &r, why, sizeof why) == 0, "%s", why);
    t = r, t.kv_tile = 12;
    expect_reject(d, &nq, &t, "kv_tile");
    t = r, t.threads = 128;
    expect_reject(d, &nq, &t, "threads");

    /* MMA */
    const fasv_device *h = dev("sm_90");
    fasv_build bm;
    fasv_build_defaults(&bm);
    bm.nh = 4;
    bm.gqa = 2;
    bm.nb = 100;
    bm.kv = 300;
    fasv_node nm = make(&bm);
    fasv_plan(h, &nm, &r);
    CHECK(r.family == FASV_FAM_MMA && r.ncols1 == 32 && r.ncols2 == 2);
    CHECKF(fasv_registry_contract(h, &nm, &r, why, sizeof why) == 0, "%s", why);
    t = r, t.threads = 256;
    expect_reject(h, &nm, &t, "threads");
    t = r, t.kv_tile = 32;
    expect_reject(h, &nm, &t, "steps 64 keys");
    t = r, t.smem_bytes -= 2;
    expect_reject(h, &nm, &t, "shared memory");
    t = r, t.ncols1 = 33; /* 33 x 2 > 64 slots */
    expect_reject(h, &nm, &t, "column slots");
    t = r, t.n_split = 2;
    expect_reject(h, &nm, &t, "does not split");
    t = r, t.eff_type_k = FASV_TYPE_F32;
    expect_reject(h, &nm, &t, "storage types");
    fasv_node mf = nm;
    mf.prec = FASV_PREC_F32;
    expect_reject(h, &mf, &r, "f32 precision");
    fasv_node mk = nm;
    mk.k.offset = 8;
    mk.k.buf_bytes += 8;
    CHECK(fasv_node_check(&mk, why, sizeof why) == FASV_LEGAL);
    expect_reject(h, &mk, &r, "cp.async");
    fasv_build bm2 = bm;
    bm2.type_k = bm2.type_v = FASV_TYPE_BF16;
    fasv_node nbf = make(&bm2);
    expect_reject(h, &nbf, &r, "tensor-core operands");
    /* devices without the family: the contract says so before the kernel's own check */
    expect_reject(dev("sm_75"), &nm, &r, "not compiled");
    expect_reject(dev("gfx942"), &nm, &r, "not compiled");
    fasv_device fake = *dev("sm_75");
    fake.families |= FASV_FAMBIT_MMA; /* a build that claimed MMA on Turing */
    expect_reject(&fake, &nm, &r, "sm_80+");
    /* SPLIT with the MMA body: MMA's preconditions and SPLIT's */
    fasv_build bs;
    fasv_build_defaults(&bs);
    bs.nh = 8;
    bs.gqa = 4;
    bs.kv = 8192;
    fasv_node ns = make(&bs);
    fasv_route rsp;
    fasv_plan(h, &ns, &rsp);
    CHECK(rsp.family == FASV_FAM_SPLIT && strcmp(rsp.key, "split:128x128:f16,f16:c16g8") == 0 && rsp.n_split == 16);
    CHECKF(fasv_registry_contract(h, &ns, &rsp, why, sizeof why) == 0, "%s", why);
    t = rsp, t.kv_tile = 32;
    expect_reject(h, &ns, &t, "steps 64 keys");
    t = rsp, t.n_split = 1;
    expect_reject(h, &ns, &t, "splits");
    t = rsp, t.scratch_bytes = fasv_split_scratch(&ns, rsp.n_split) - 4;
    expect_reject(h, &ns, &t, "scratch");
    fasv_node sf = ns;
    sf.prec = FASV_PREC_F32;
    expect_reject(h, &sf, &rsp, "f32 precision");
    expect_reject(dev("sm_75"), &ns, &rsp, "sm_80+");
}

/* The seed report: Gemma 4 31B on two GPUs with tensor split (per GPU 16 query
 * heads over 8 KV heads, GQA 2) and its MTP draft head (2 KV heads, GQA 2,
 * and 1 KV head per GPU when split), D=256, f16 or q8_0 cache, unpadded
 * mask, KV views of a 32768-token cache, n_q 1..11, n_kv from 1806 up and
 * not a multiple of 256. Every modeled device must route all of them. */
static void test_seed_shapes(void) {
    const fasv_target *t = fasv_builtin_target();
    static const int64_t heads[][2] = {{8, 2}, {2, 2}, {1, 2}, {16, 2}};
    static const int64_t kvs[] = {1806, 1807, 2047, 2049, 4095, 8191, 32767};
    static const fasv_type types[] = {FASV_TYPE_F16, FASV_TYPE_Q8_0};
    int nd, checked = 0;
    const fasv_device *ds = fasv_devices(&nd);
    for (size_t h = 0; h < sizeof heads / sizeof heads[0]; h++)
        for (size_t ti = 0; ti < 2; ti++)
            for (size_t k = 0; k < sizeof kvs / sizeof kvs[0]; k++)
                for (int64_t nq = 1; nq <= 11; nq++) {
                    fasv_build b;
                    fasv_build_defaults(&b);
                    b.hsk = b.hsv = 256;
                    b.nh = heads[h][0];
                    b.gqa = heads[h][1];
                    b.kv = kvs[k];
                    b.nb = nq;
                    b.type_k = b.type_v = types[ti];
                    b.mask = true;
                    b.kv_capacity = 32768;
                    b.scale = 1.0f;
                    b.softcap = (nq & 1) ? 30.0f : 0.0f;
                    fasv_node n = make(&b);
                    for (int d = 0; d < nd; d++) {
                        fasv_finding f;
                        fasv_verdict v = fasv_check_route(t, &ds[d], &n, &f);
                        CHECKF(v == FASV_CLEAN, "seed shape nh=%lld gqa=%lld kv=%lld nq=%lld %s on %s: %s",
                               (long long)b.nh, (long long)b.gqa, (long long)b.kv, (long long)nq,
                               fasv_type_name(types[ti]), ds[d].name, f.detail);
                        checked++;
                    }
                }
    CHECK(checked == 4 * 2 * 7 * 11 * nd);
}

/* Every case in corpus/regress routes cleanly on every device. */
static void test_regress_corpus(void) {
    const fasv_target *t = fasv_builtin_target();
    DIR *dir = opendir("corpus/regress");
    CHECKF(dir != NULL, "corpus/regress missing (run from the source root)");
    if (!dir) return;
    int files = 0, nd;
    const fasv_device *ds = fasv_devices(&nd);
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".case") != 0) continue;
        char path[512], err[512], why[256];
        snprintf(path, sizeof path, "corpus/regress/%s", e->d_name);
        fasv_case c;
        CHECKF(fasv_case_load(path, &c, err, sizeof err) == 0, "%s", err);
        CHECKF(fasv_node_check(&c.node, why, sizeof why) == FASV_LEGAL, "%s: %s", path, why);
        for (int d = 0; d < nd; d++) {
            fasv_finding f;
            CHECKF(fasv_check_route(t, &ds[d], &c.node, &f) == FASV_CLEAN, "%s on %s: %s", path, ds[d].name,
                   f.detail);
        }
        files++;
    }
    closedir(dir);
    CHECKF(files >= 8, "expected the seed shapes in corpus/regress, found %d cases", files);
}

/* The lifecycle rule of scratch (docs/envelope.md 4.1): a server sizes
 * scratch once from the graphs it reserves, so a compute-time node may need
 * no more. Checked on many shapes and devices: every route reserves the
 * device's bound for its Dv (2 * 8 * 2 * n_sm * (Dv + 2) * 4, worked out by
 * hand here), every split needs less than it, no multi-row node splits, and a
 * single-row node's scratch never shrinks as n_kv grows. */
static void test_split_scratch_lifecycle(void) {
    int nd;
    const fasv_device *devs = fasv_devices(&nd);
    fasv_rng r;
    fasv_rng_seed(&r, 314);
    int multirow_splits = 0, shrinks = 0, splits_seen = 0, over_reserve = 0, reserve_varies = 0;
    static const int64_t heads[] = {64, 128, 256, 512};
    for (int it = 0; it < 4000; it++) {
        fasv_build b;
        fasv_build_defaults(&b);
        b.hsk = b.hsv = heads[fasv_rng_below(&r, 4)];
        b.nh = fasv_rng_range(&r, 1, 8);
        b.gqa = fasv_rng_range(&r, 1, 8);
        b.nr3 = fasv_rng_range(&r, 1, 4);
        b.nb = fasv_rng_chance(&r, 50) ? 1 : fasv_rng_range(&r, 2, 600);
        b.kv = fasv_rng_range(&r, 1, 40000);
        b.mask = true;
        const fasv_device *d = &devs[fasv_rng_below(&r, (uint64_t)nd)];
        fasv_case c, c2;
        char err[256];
        if (fasv_build_case(&b, &c, err, sizeof err) != 0) continue;
        fasv_route ra, rb;
        fasv_plan(d, &c.node, &ra);
        if (ra.family == FASV_FAM_SPLIT) splits_seen++;
        if (b.nb > 1 && ra.family == FASV_FAM_SPLIT) multirow_splits++;
        /* the reservation covers the split and is the same for every node of this (device, Dv) */
        if (ra.family == FASV_FAM_SPLIT && fasv_split_scratch(&c.node, ra.n_split) > ra.scratch_bytes) over_reserve++;
        int64_t bound = 2LL * 8 * 2 * d->n_sm * (b.hsv + 2) * 4;
        if (ra.family != FASV_FAM_NONE && ra.scratch_bytes != bound) reserve_varies++;
        if (b.nb == 1) {
            b.kv += fasv_rng_range(&r, 1, 30000); /* a longer context, same model */
            if (fasv_build_case(&b, &c2, err, sizeof err) != 0) continue;
            fasv_plan(d, &c2.node, &rb);
            if (rb.scratch_bytes < ra.scratch_bytes) shrinks++;
        }
    }
    CHECKF(multirow_splits == 0, "%d multi-row nodes split", multirow_splits);
    CHECKF(over_reserve == 0, "%d split routes need more than the reservation", over_reserve);
    CHECKF(reserve_varies == 0, "%d routes reserve other than the device's bound for their Dv", reserve_varies);
    CHECKF(shrinks == 0, "%d single-row nodes need less scratch at a longer context", shrinks);
    CHECKF(splits_seen > 100, "only %d split routes: the test does not reach SPLIT", splits_seen);
}

/* The decode focus of the generator reaches the split routes on sm_90 --
 * the MMA decode body, the VEC body and the generic one -- which the general
 * mix almost never does (an n_q = 1, long-KV, exact-head, f16/bf16,
 * default-precision, 16-byte-aligned node is a product of rare draws). */
static void test_focus_reaches_split(void) {
    const fasv_device *h = dev("sm_90");
    int mmad[2] = {0, 0}, vecbody = 0, generic = 0, n = 3000;
    for (int f = 0; f < 2; f++) {
        fasv_rng r;
        fasv_rng_seed(&r, 5);
        fasv_rand_opts o = {.max_bytes = (int64_t)64 << 20, .max_work = (int64_t)1 << 28,
                            .focus = f ? FASV_FOCUS_DECODE : FASV_FOCUS_NONE};
        for (int it = 0; it < n; it++) {
            fasv_case c;
            fasv_random_case(&r, &o, &c);
            fasv_route rt;
            fasv_plan(h, &c.node, &rt);
            if (rt.family != FASV_FAM_SPLIT) continue;
            const fasv_kinst *k = fasv_registry_get(rt.instance);
            if (fasv_mma_decode_body(k)) mmad[f]++;
            else if (f && k->type_k != FASV_KT_any) vecbody++;
            else if (f) generic++;
        }
    }
    CHECKF(mmad[0] < n / 50, "the general mix reached the MMA decode body %d times of %d", mmad[0], n);
    CHECKF(mmad[1] > n * 15 / 100 && vecbody > n / 20 && generic > n / 20,
           "decode focus: MMA decode body %d, VEC body %d, generic %d of %d", mmad[1], vecbody, generic, n);
}

int main(void) {
    test_registry();
    test_focus_reaches_split();
    test_footprints();
    test_vec_and_split();
    test_tile_choices();
    test_envelope();
    test_contract();
    test_seed_shapes();
    test_regress_corpus();
    test_split_scratch_lifecycle();
    return check_report("test_planner");
}
