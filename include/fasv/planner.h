/* fasv/planner.h — the planner plugin ABI (version 1).
 *
 * A plugin is a shared library exporting one C function,
 *
 *     const fasv_pl_table *fasv_planner_entry(const fasv_pl_host *host);
 *
 * that returns a table describing the planner: the ABI version it was built
 * against, its name, the devices it plans for, its envelope (a predicate with
 * a reason string) and plan(device, node) -> route. Optional members give an
 * instance table (for the contract property) and a kernel-run entry (for GPU
 * differential testing). fasv calls the entry once, checks the table, and
 * then calls plan() on many nodes; plan() must be a pure function of its
 * arguments and must not keep pointers into them.
 *
 * Stability rules. This header depends on nothing else of fasv: every struct
 * here is frozen for a given FASV_PLANNER_ABI_VERSION and only grows at the
 * end; each struct starts with its size in bytes so both sides can tell what
 * the other was built with. A plugin whose abi_version differs from the
 * host's is refused with a clear message. Strings are NUL-terminated UTF-8.
 *
 * Conventions (ggml's FLASH_ATTN_EXT, DESIGN §1): ne[0] fastest, nb[] in bytes,
 * q [Dk, n_q, n_head, n_seq] f32; k [Dk, n_kv, n_head_kv, n_seq_k];
 * v [Dv, n_kv, n_head_kv, n_seq_k]; mask [n_kv, n_q_pad, m2, m3] f16;
 * sinks [n_head] f32. Type codes are FASV_PL_TYPE_*.
 */
#ifndef FASV_PLANNER_H
#define FASV_PLANNER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FASV_PLANNER_ABI_VERSION 1
#define FASV_PLANNER_ENTRY "fasv_planner_entry"

enum {
    FASV_PL_TYPE_F32 = 0,
    FASV_PL_TYPE_F16 = 1,
    FASV_PL_TYPE_BF16 = 2,
    FASV_PL_TYPE_Q8_0 = 3,
    FASV_PL_TYPE_Q4_0 = 4,
    FASV_PL_TYPE_Q4_1 = 5,
    FASV_PL_TYPE_Q5_0 = 6,
    FASV_PL_TYPE_Q5_1 = 7,
};

enum { FASV_PL_VENDOR_AMD = 0, FASV_PL_VENDOR_NVIDIA = 1 };
enum { FASV_PL_MC_NONE = 0, FASV_PL_MC_MMA = 1, FASV_PL_MC_MFMA = 2, FASV_PL_MC_WMMA = 3 };

typedef struct fasv_pl_tensor {
    int32_t present; /* 0 for an absent mask or sinks */
    int32_t type;    /* FASV_PL_TYPE_* */
    int64_t ne[4];
    int64_t nb[4];   /* bytes */
    int64_t offset;  /* bytes into its buffer */
    int32_t buffer;  /* 0..4: index (q,k,v,mask,sinks) of the tensor owning the buffer */
    int32_t reserved;
    int64_t buffer_bytes; /* size of the buffer this tensor owns (when buffer is its own index) */
} fasv_pl_tensor;

typedef struct fasv_pl_node {
    uint32_t size; /* sizeof(fasv_pl_node) of the host */
    uint32_t reserved;
    fasv_pl_tensor q, k, v, mask, sinks;
    float scale;
    float max_bias; /* ALiBi; 0 = off */
    float softcap;  /* logit softcap; 0 = off */
    int32_t prec;   /* 0 = default, 1 = f32 */
} fasv_pl_node;

typedef struct fasv_pl_device {
    uint32_t size; /* sizeof(fasv_pl_device) of the host */
    int32_t vendor;          /* FASV_PL_VENDOR_* */
    const char *name;        /* "gfx1100", "sm_90" */
    const char *arch;        /* "RDNA3", "Hopper", ... */
    int32_t cc;              /* NVIDIA: compute capability * 10; AMD: gfx number as hex (0x1100) */
    int32_t warp_size;
    int32_t smem_per_block;  /* bytes */
    int32_t n_sm;
    int32_t fast_fp16;
    int32_t matrix_cores;    /* FASV_PL_MC_* */
} fasv_pl_device;

#define FASV_PL_NAME_LEN 32
#define FASV_PL_KEY_LEN 64
#define FASV_PL_REASON_LEN 256

/* Filled by plan(). The host zeroes it and sets size before the call. */
typedef struct fasv_pl_route {
    uint32_t size;
    int32_t selected;                  /* 1: a kernel was selected; 0: none (reason says why) */
    char family[FASV_PL_NAME_LEN];     /* the plugin's family name, e.g. "vec", "tile", "mma" */
    char instance[FASV_PL_KEY_LEN];    /* instance key, unique within the plugin */
    int64_t scratch_bytes;             /* device scratch the launch needs; >= 0 */
    int32_t ncols1, ncols2;            /* query columns x GQA heads per block (>= 1; 0 = not said) */
    int32_t kv_tile;                   /* keys per iteration (0 = not said) */
    int32_t n_split;                   /* KV splits (>= 1; 0 = not said) */
    char reason[FASV_PL_REASON_LEN];   /* why none, or why this route */
} fasv_pl_route;

/* One compiled instance, for the contract property: a route must name an
 * instance in this table, of the same family. */
typedef struct fasv_pl_instance {
    const char *family;
    const char *key;
} fasv_pl_instance;

/* What the host offers a plugin: the built-in planner, so a plugin can wrap
 * it (the built-in route comes back in the plugin ABI's terms). */
typedef struct fasv_pl_host {
    uint32_t size;
    uint32_t abi_version;
    void (*builtin_plan)(const fasv_pl_device *dev, const fasv_pl_node *node, fasv_pl_route *out);
    int (*builtin_envelope)(const fasv_pl_device *dev, const fasv_pl_node *node, char *why, size_t len);
} fasv_pl_host;

typedef struct fasv_pl_table {
    uint32_t abi_version; /* FASV_PLANNER_ABI_VERSION the plugin was built with */
    uint32_t size;        /* sizeof(fasv_pl_table) of the plugin */
    const char *name;
    /* Devices planned for, by fasv name, NULL-terminated; NULL = every modeled device. */
    const char *const *devices;
    /* Envelope: 1 when the planner promises a route for (dev, node), else 0
     * and a reason in why. Required. */
    int (*envelope)(const fasv_pl_device *dev, const fasv_pl_node *node, char *why, size_t len);
    /* Plan. Required. Returns 0 (the route is in *out). */
    int (*plan)(const fasv_pl_device *dev, const fasv_pl_node *node, fasv_pl_route *out);
    /* Optional: the compiled instances (for the contract property). */
    const fasv_pl_instance *instances;
    int32_t n_instances;
    /* Optional: the kernel's own precondition for an instance: 0 = accepts,
     * else a reason in why. */
    int (*precondition)(const char *instance, const fasv_pl_device *dev, const fasv_pl_node *node, char *why,
                        size_t len);
    /* Optional: run the routed kernel on the GPU (reserved for GPU differential
     * testing of plugin kernels; fasv does not call it in ABI version 1). */
    int (*run)(const fasv_pl_device *dev, const fasv_pl_node *node, const fasv_pl_route *route,
               const void *const buffers[5], float *out, char *why, size_t len);
} fasv_pl_table;

typedef const fasv_pl_table *(*fasv_planner_entry_fn)(const fasv_pl_host *host);

#ifdef __cplusplus
}
#endif
#endif
