/* device.c — the modeled GPUs. See fasv/device.h.
 *
 * Sources of the figures:
 *  - NVIDIA: CUDA C++ Programming Guide, "Features and Technical
 *    Specifications" (warp size 32; maximum shared memory per block with
 *    opt-in: 48 KB cc 6.x, 96 KB 7.0, 64 KB 7.5, 163 KB 8.0, 99 KB 8.6/8.9,
 *    227 KB 9.0; per SM: 96/96/64/164/100/100/228 KB), tensor-core operand
 *    types per architecture whitepaper (Volta f16; Turing f16, i8; Ampere adds
 *    bf16; Ada and Hopper add fp8). Pascal GP10x (cc 6.1) runs fp16 at 1/64
 *    rate: not fast. SM counts of the named products from their datasheets.
 *  - AMD: AMD GPU ISA guides and the ROCm "GPU hardware specifications" table
 *    (wavefront 64 on GCN/CDNA, 32 by default on RDNA under HIP; 64 KiB LDS per
 *    workgroup on all listed chips, 64 KiB per CU on GCN/CDNA and 128 KiB per
 *    WGP on RDNA; MFMA on CDNA1-3 with f16/bf16/i8, fp8 on CDNA3; WMMA on
 *    RDNA3/4 with f16/bf16/i8, fp8 on RDNA4). CU counts of the named products.
 * Families: what this build of the built-in target compiles for each device
 * (kernels/ registry); MMA (mma.sync m16n8k16 with f16/bf16, cp.async) on
 * NVIDIA sm_80+ only: Volta and Turing lack the bf16 MMA shape and cp.async,
 * and the AMD build compiles no MMA device code.
 */
#include "fasv/device.h"

#include <string.h>

#define KiB 1024
#define F_BASE (FASV_FAMBIT_VEC | FASV_FAMBIT_TILE | FASV_FAMBIT_SPLIT)
#define F_MMA (F_BASE | FASV_FAMBIT_MMA)

static const fasv_device k_devices[] = {
    /* name     product                            vendor            arch      cc    warp smem/blk    smem/sm     nsm fp16  mc             mc types                                        families */
    {"gfx906", "Radeon Instinct MI50", FASV_VENDOR_AMD, "GCN5 (Vega20)", 0x906, 64, 64 * KiB, 64 * KiB, 60, true,
     FASV_MC_NONE, 0, F_BASE},
    {"gfx908", "Instinct MI100", FASV_VENDOR_AMD, "CDNA1", 0x908, 64, 64 * KiB, 64 * KiB, 120, true, FASV_MC_MFMA,
     FASV_MCT_F16 | FASV_MCT_BF16 | FASV_MCT_I8, F_BASE},
    {"gfx90a", "Instinct MI210", FASV_VENDOR_AMD, "CDNA2", 0x90a, 64, 64 * KiB, 64 * KiB, 104, true, FASV_MC_MFMA,
     FASV_MCT_F16 | FASV_MCT_BF16 | FASV_MCT_I8, F_BASE},
    {"gfx942", "Instinct MI300X", FASV_VENDOR_AMD, "CDNA3", 0x942, 64, 64 * KiB, 64 * KiB, 304, true, FASV_MC_MFMA,
     FASV_MCT_F16 | FASV_MCT_BF16 | FASV_MCT_I8 | FASV_MCT_FP8, F_BASE},
    {"gfx1030", "Radeon RX 6900 XT", FASV_VENDOR_AMD, "RDNA2", 0x1030, 32, 64 * KiB, 128 * KiB, 80, true,
     FASV_MC_NONE, 0, F_BASE},
    {"gfx1100", "Radeon RX 7900 XTX", FASV_VENDOR_AMD, "RDNA3", 0x1100, 32, 64 * KiB, 128 * KiB, 96, true,
     FASV_MC_WMMA, FASV_MCT_F16 | FASV_MCT_BF16 | FASV_MCT_I8, F_BASE},
    {"gfx1201", "Radeon RX 9070 XT", FASV_VENDOR_AMD, "RDNA4", 0x1201, 32, 64 * KiB, 128 * KiB, 64, true,
     FASV_MC_WMMA, FASV_MCT_F16 | FASV_MCT_BF16 | FASV_MCT_I8 | FASV_MCT_FP8, F_BASE},
    {"sm_61", "Tesla P40", FASV_VENDOR_NVIDIA, "Pascal", 61, 32, 48 * KiB, 96 * KiB, 30, false, FASV_MC_NONE, 0,
     F_BASE},
    {"sm_70", "Tesla V100", FASV_VENDOR_NVIDIA, "Volta", 70, 32, 96 * KiB, 96 * KiB, 80, true, FASV_MC_MMA,
     FASV_MCT_F16, F_BASE},
    {"sm_75", "Tesla T4", FASV_VENDOR_NVIDIA, "Turing", 75, 32, 64 * KiB, 64 * KiB, 40, true, FASV_MC_MMA,
     FASV_MCT_F16 | FASV_MCT_I8, F_BASE},
    {"sm_80", "A100", FASV_VENDOR_NVIDIA, "Ampere", 80, 32, 163 * KiB, 164 * KiB, 108, true, FASV_MC_MMA,
     FASV_MCT_F16 | FASV_MCT_BF16 | FASV_MCT_I8, F_MMA},
    {"sm_86", "GeForce RTX 3090", FASV_VENDOR_NVIDIA, "Ampere", 86, 32, 99 * KiB, 100 * KiB, 82, true, FASV_MC_MMA,
     FASV_MCT_F16 | FASV_MCT_BF16 | FASV_MCT_I8, F_MMA},
    {"sm_89", "GeForce RTX 4090", FASV_VENDOR_NVIDIA, "Ada Lovelace", 89, 32, 99 * KiB, 100 * KiB, 128, true,
     FASV_MC_MMA, FASV_MCT_F16 | FASV_MCT_BF16 | FASV_MCT_I8 | FASV_MCT_FP8, F_MMA},
    {"sm_90", "H100 SXM", FASV_VENDOR_NVIDIA, "Hopper", 90, 32, 227 * KiB, 228 * KiB, 132, true, FASV_MC_MMA,
     FASV_MCT_F16 | FASV_MCT_BF16 | FASV_MCT_I8 | FASV_MCT_FP8, F_MMA},
};

const fasv_device *fasv_devices(int *count) {
    if (count) *count = (int)(sizeof(k_devices) / sizeof(k_devices[0]));
    return k_devices;
}

const fasv_device *fasv_device_find(const char *name) {
    if (!name) return NULL;
    char norm[32];
    size_t len = strlen(name);
    /* room for the name, a '_' inserted after "sm" and the terminator */
    if (len == 0 || len + 2 > sizeof(norm)) return NULL;
    /* accept sm90 / sm_90a / SM_90 as sm_90 */
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        norm[j++] = c;
    }
    norm[j] = 0;
    if (strncmp(norm, "sm", 2) == 0 && norm[2] >= '0' && norm[2] <= '9') {
        memmove(norm + 3, norm + 2, j - 1);
        norm[2] = '_';
        j++;
    }
    if (strncmp(norm, "sm_", 3) == 0 && j > 0 && norm[j - 1] == 'a') norm[--j] = 0;
    int n;
    const fasv_device *d = fasv_devices(&n);
    for (int i = 0; i < n; i++)
        if (strcmp(d[i].name, norm) == 0) return &d[i];
    return NULL;
}

const char *fasv_vendor_name(fasv_vendor v) { return v == FASV_VENDOR_NVIDIA ? "NVIDIA" : "AMD"; }

const char *fasv_mc_name(fasv_mc mc) {
    switch (mc) {
    case FASV_MC_MMA:
        return "mma";
    case FASV_MC_MFMA:
        return "mfma";
    case FASV_MC_WMMA:
        return "wmma";
    default:
        return "none";
    }
}
