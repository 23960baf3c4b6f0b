/* kernels/classes.h — the shape classes of the built-in planner:
 * node -> class -> representative node.
 *
 * Owns: the partition of the legal shape space into the classes the sweep
 * enumerates (one axis per planner input, one class per value range the
 * planner cannot tell apart), the function that puts a concrete node in its
 * class, and the builder of each class's representative node. The axes and
 * their boundaries follow the planner's thresholds (kernels/planner.h);
 * docs/sweep.md argues the partition is complete, and tests/test_sweep_classes.c
 * checks it on random nodes.
 * Must not know: the planner's decisions (it never calls fasv_plan), GPUs.
 */
#ifndef FASV_KERNELS_CLASSES_H
#define FASV_KERNELS_CLASSES_H

#include <stddef.h>
#include <stdint.h>

#include "fasv/device.h"
#include "fasv/node.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Axis sizes, outermost first (the enumeration order of fasv_class_at). */
#define FASV_CL_HEADS 22 /* head-size classes: fasv_head_classes() */
#define FASV_CL_TYPES 8  /* K type and V type: each of the eight */
#define FASV_CL_GQA 4    /* power-of-two part of the GQA ratio: 1, 2, 4, >= 8 */
#define FASV_CL_NQ 7     /* n_q: 1, 2, 3-4, 5-8, 9-16, 17-32, >= 33 */
#define FASV_CL_NKV 4    /* n_kv: (< 512 | >= 512) x (% 256 == 0 | != 0) */
#define FASV_CL_OCC 2    /* grid: full | starved on the device */
#define FASV_CL_ALIGN 2  /* K and V views 16-byte aligned | not */
#define FASV_CL_PREC 2   /* precision: default | f32 */
#define FASV_CL_SIDE 6   /* representative variants of inputs the planner does not read */

typedef struct fasv_head_class {
    int64_t dk, dv;    /* representative pair */
    int inside;        /* inside the built-in envelope */
    const char *label; /* "256/256 exact", "40/40 <=64" ... */
} fasv_head_class;

const fasv_head_class *fasv_head_classes(int *count);
/* Class of a head-size pair (any positive pair). */
int fasv_head_class_of(int64_t dk, int64_t dv);

typedef struct fasv_class {
    int head;  /* index into fasv_head_classes() */
    int tk, tv;/* fasv_type of K and V */
    int gqa;   /* min(log2(power-of-two part of the GQA ratio), 3) */
    int nq;    /* 0: 1, 1: 2, 2: 3-4, 3: 5-8, 4: 9-16, 5: 17-32, 6: >= 33 */
    int nkv;   /* 2 * (n_kv >= 512) + (n_kv % 256 != 0) */
    int occ;   /* 1: the un-split grid starves the device (fasv_plan_starved) */
    int align; /* 1: a K or V view is not 16-byte aligned (offset or a used stride) */
    int prec;  /* fasv_prec */
    int side;  /* variant of the representative (mask kind, flags, layout); not an input class */
} fasv_class;

/* The class of a legal node on a device (side is set to 0). */
void fasv_class_of(const fasv_device *d, const fasv_node *n, fasv_class *c);
/* Same class, ignoring side. */
int fasv_class_equal(const fasv_class *a, const fasv_class *b);

/* Representative of a class: a legal node of exactly that class on every
 * modeled device, with the side variant's mask, flags and layout. 0, or -1
 * when the class holds no legal node (a quantized type with a head size that
 * is not a multiple of 32). */
int fasv_class_repr(const fasv_class *c, fasv_node *out);

/* The enumeration: index in [0, fasv_class_space()) <-> class, head outermost,
 * precision innermost. Returns 0, or -1 when the class holds no legal node.
 * side is chosen by rotation, (sum of the other coordinates) mod FASV_CL_SIDE,
 * so that every variant meets every value of every axis. */
int64_t fasv_class_space(void);
int fasv_class_at(int64_t index, fasv_class *c);
int64_t fasv_class_index(const fasv_class *c);

/* "d=256/256 f16/f16 gqa=p2:2 nq=9-16 nkv=>=512,%256!=0 grid=starved align=16B prec=default" */
void fasv_class_format(const fasv_class *c, char *buf, size_t len);
/* Short name of an n_q class ("9-16") and of an n_kv class (">=512,%256!=0"). */
const char *fasv_class_nq_name(int nq);
const char *fasv_class_nkv_name(int nkv);

/* Representative values of the axes (tests use them). */
extern const int64_t fasv_class_gqa_rep[FASV_CL_GQA];
extern const int64_t fasv_class_nq_rep[FASV_CL_NQ];
extern const int64_t fasv_class_nkv_rep[FASV_CL_NKV];

#ifdef __cplusplus
}
#endif
#endif
