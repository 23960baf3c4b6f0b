/* kernels/sweep.h — the sweep: properties 1-3 on a representative of every
 * shape class, on every device, for any target.
 *
 * Owns: the enumeration of the class space (kernels/classes.h) over a set of
 * devices, fasv_check_route on each representative, and the result: class
 * counts, the route histogram per device and family (and per instance key),
 * the route map (device x head class x n_q class), and the violations with
 * their class, representative node and finding. Rendering is in
 * sweep_report.c (text, JSON, HTML map).
 * Must not know: how the target decides (it is seen through fasv_target only).
 */
#ifndef FASV_KERNELS_SWEEP_H
#define FASV_KERNELS_SWEEP_H

#include <stdio.h>

#include "fasv/props.h"
#include "fasv/target.h"
#include "kernels/classes.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FASV_SWEEP_MAX_DEVICES 64
#define FASV_SWEEP_MAX_KEYS 64 /* distinct instance keys counted per device */

typedef struct fasv_sweep_opts {
    const fasv_device *const *devices; /* NULL = every modeled device */
    int n_devices;
    unsigned type_mask; /* types allowed for K and V (bit 1u << fasv_type); 0 = all eight */
    int threads;        /* worker threads; 0 = online CPUs, at most 8 */
    int progress;       /* report progress on stderr once the sweep has run for a second */
    int max_kept;       /* violations kept with node and finding; 0 = 10000 */
} fasv_sweep_opts;

typedef struct fasv_sweep_violation {
    int64_t class_index;
    int device; /* index into fasv_sweep_result.devices */
    fasv_class cls;
    fasv_node node; /* the representative */
    fasv_finding finding;
} fasv_sweep_violation;

/* One cell of the route map: a device, a head class and an n_q class. */
typedef struct fasv_sweep_cell {
    int64_t routes[FASV_FAM_COUNT]; /* clean checks by the family of the route */
    int64_t outside;                /* outside the envelope */
    int64_t violations;
} fasv_sweep_cell;

typedef struct fasv_sweep_keycount {
    char key[FASV_KEY_LEN];
    int64_t count;
} fasv_sweep_keycount;

typedef struct fasv_sweep_result {
    const char *target;
    int n_devices;
    const fasv_device *devices[FASV_SWEEP_MAX_DEVICES];
    int64_t space;      /* size of the enumerated product (fasv_class_space) */
    int64_t classes;    /* classes that hold a legal node, within the type mask */
    int64_t checks;     /* classes x devices */
    int64_t clean, outside, violations;
    fasv_sweep_cell *cells; /* [n_devices][FASV_CL_HEADS][FASV_CL_NQ] */
    fasv_sweep_keycount *keys; /* [n_devices][FASV_SWEEP_MAX_KEYS]: route histogram by instance key */
    int n_keys[FASV_SWEEP_MAX_DEVICES];
    int64_t other_keys[FASV_SWEEP_MAX_DEVICES];
    fasv_sweep_violation *viol; /* sorted by (device, class index) */
    int n_viol;                 /* kept */
    double seconds;
    int threads;
    char error[512]; /* internal error (a representative that is not legal) */
} fasv_sweep_result;

/* Run the sweep. Returns 0 when every check is clean or outside the
 * envelope, 1 when there are violations, -1 on an internal error (res->error).
 * Free with fasv_sweep_free. */
int fasv_sweep_run(const fasv_target *t, const fasv_sweep_opts *o, fasv_sweep_result *res);
void fasv_sweep_free(fasv_sweep_result *res);

static inline fasv_sweep_cell *fasv_sweep_cell_at(const fasv_sweep_result *r, int dev, int head, int nq) {
    return &r->cells[((size_t)dev * FASV_CL_HEADS + (size_t)head) * FASV_CL_NQ + (size_t)nq];
}

/* Renderings (sweep_report.c). fasv_sweep_print lists every kept violation,
 * the first `limit` with the diagnostic block (0 = all). */
void fasv_sweep_print(FILE *f, const fasv_sweep_result *r, int limit);
void fasv_sweep_write_json(FILE *f, const fasv_sweep_result *r);
/* The same with the boundary-probing result (kernels/probe.h) under "probe". */
struct fasv_probe_result;
void fasv_sweep_write_json_probe(FILE *f, const fasv_sweep_result *r, const struct fasv_probe_result *probe);
/* The route map: a self-contained HTML page with one SVG grid per device
 * (rows: head classes; columns: n_q classes; colour: the family serving the
 * cell, red where any class of the cell is a violation, grey outside). */
void fasv_sweep_write_map(FILE *f, const fasv_sweep_result *r);

#ifdef __cplusplus
}
#endif
#endif
