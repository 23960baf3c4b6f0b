/* fasv/device.h — the modeled GPUs a planner plans for.
 *
 * Owns: the table of modeled devices (vendor, architecture family, warp size,
 * shared memory, matrix-core capability) and which kernel families this build
 * of the built-in target provides on each.
 * Must not know: nodes, routes, GPU runtimes. The table is data from vendor
 * documentation (see kernels/device.c for the source of each figure); no
 * device is ever queried here.
 */
#ifndef FASV_DEVICE_H
#define FASV_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fasv_vendor { FASV_VENDOR_AMD = 0, FASV_VENDOR_NVIDIA } fasv_vendor;

/* Matrix-core instruction family of the device. */
typedef enum fasv_mc {
    FASV_MC_NONE = 0, /* no matrix cores (scalar / packed-math / dot4 only) */
    FASV_MC_MMA,      /* NVIDIA mma.sync tensor cores (sm_70+; wgmma on sm_90 too) */
    FASV_MC_MFMA,     /* AMD CDNA matrix fused multiply-add */
    FASV_MC_WMMA      /* AMD RDNA3/4 wave matrix multiply-accumulate */
} fasv_mc;

/* Operand types the matrix cores accept (bitmask). */
enum {
    FASV_MCT_F16 = 1u << 0,
    FASV_MCT_BF16 = 1u << 1,
    FASV_MCT_I8 = 1u << 2,
    FASV_MCT_FP8 = 1u << 3,
};

/* Kernel families of the built-in target (bitmask in fasv_device.families;
 * fasv_family in route.h uses the same numbering). */
enum {
    FASV_FAMBIT_VEC = 1u << 1,
    FASV_FAMBIT_TILE = 1u << 2,
    FASV_FAMBIT_SPLIT = 1u << 3,
    FASV_FAMBIT_MMA = 1u << 4,
};

typedef struct fasv_device {
    const char *name;      /* "gfx1100", "sm_90": the compiler's target name */
    const char *product;   /* a representative product, e.g. "Radeon RX 7900 XTX" */
    fasv_vendor vendor;
    const char *arch;      /* architecture family: "CDNA2", "RDNA3", "Hopper", ... */
    int cc;                /* NVIDIA: compute capability * 10 (61..90); AMD: gfx number as hex (0x906) */
    int warp_size;         /* 64 on GCN/CDNA, 32 on RDNA (HIP default) and NVIDIA */
    int smem_per_block;    /* bytes of shared memory / LDS one block may use (opt-in maximum) */
    int smem_per_sm;       /* bytes of shared memory / LDS per SM, CU (or WGP on RDNA) */
    int n_sm;              /* SMs or CUs of the representative product */
    bool fast_fp16;        /* full-rate packed fp16 arithmetic */
    fasv_mc mc;            /* matrix-core family */
    unsigned mc_types;     /* FASV_MCT_* accepted by the matrix cores */
    unsigned families;     /* FASV_FAMBIT_* the built-in target compiles for this device */
} fasv_device;

/* The table, in a fixed order (AMD first, then NVIDIA, each by generation). */
const fasv_device *fasv_devices(int *count);
/* Find by name ("gfx90a", "sm_90"); also accepts "sm90" and "90a"-less forms
 * such as "sm_90a". Returns NULL if unknown. */
const fasv_device *fasv_device_find(const char *name);
const char *fasv_vendor_name(fasv_vendor v);
const char *fasv_mc_name(fasv_mc mc);

#ifdef __cplusplus
}
#endif
#endif
