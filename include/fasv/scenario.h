/* fasv/scenario.h — serving-lifecycle scenarios: a model, server settings and
 * a sequence of requests, expanded into the FLASH_ATTN_EXT nodes a
 * llama.cpp-style server builds at reserve time and at compute time, and the
 * lifecycle property of DESIGN §3.4 checked on them.
 *
 * Owns: the model zoo (attention configurations of real model families, data
 * only), the scenario record and its line-oriented text format
 * (docs/scenarios.md), event expansion (a KV-cache cell model: ubatches,
 * slots, sliding-window caches, prompt reuse, checkpoint restore, context
 * shift, speculative drafting, tensor-split shards), the lifecycle check
 * (supported at reserve => routes at compute; scratch sized at allocation
 * covers compute; every shard routes), random scenarios and reduction of a
 * finding to a short event sequence.
 * Must not know: how any target decides (it sees targets through
 * fasv_target only), GPUs, the oracle.
 */
#ifndef FASV_SCENARIO_H
#define FASV_SCENARIO_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fasv/case.h"
#include "fasv/props.h"
#include "fasv/rng.h"
#include "fasv/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- model zoo ------------------------------------------------------------ */

#define FASV_SCN_MAX_KINDS 4 /* layer kinds of one model part */

/* One kind of attention layer: every layer of a kind builds the same node. */
typedef struct fasv_layer_kind {
    const char *name;    /* "global", "sliding" */
    int n_layers;        /* layers of this kind (reports and layer split) */
    int window;          /* 0: global attention; else the sliding window n_swa */
    int n_head;          /* query heads */
    int n_head_kv;       /* KV heads (1 for MLA: one latent head) */
    int dk, dv;          /* head sizes of K (and Q) and V */
    bool v_is_k;         /* V is a view of K's first dv values (MLA; Gemma 4 attention_k_eq_v) */
    bool sinks;          /* one learned sink logit per head (gpt-oss) */
    float softcap;       /* attention logit softcap (0 = off) */
    float max_bias;      /* ALiBi max_bias (0 = off) */
    float scale;         /* softmax scale; 0 = 1/sqrt(dk) */
} fasv_layer_kind;

/* Where a speculative head's attention reads its K/V. */
typedef enum fasv_mtp_kv {
    FASV_MTP_NONE = 0,  /* the model has no MTP head */
    FASV_MTP_OWN,       /* the head has its own cache (DeepSeek/GLM nextn layer) */
    FASV_MTP_TARGET,    /* no K/V of its own: it attends to the target's cache (Gemma 4 assistant) */
} fasv_mtp_kv;

typedef struct fasv_model {
    const char *name;    /* zoo key: "gemma4-31b" */
    const char *title;   /* "Gemma 4 31B" */
    const char *source;  /* the public source of the figures, in a few words */
    int n_layers;
    int swa_period;      /* 0: all layers are of kind[0]; else layer il is of kind[0] (global)
                            when il % swa_period == swa_period - 1, otherwise of kind[1] */
    int n_kinds;
    fasv_layer_kind kind[FASV_SCN_MAX_KINDS];
    fasv_mtp_kv mtp;     /* the model's own multi-token-prediction draft head */
    int n_mtp_kinds;
    fasv_layer_kind mtp_kind[FASV_SCN_MAX_KINDS];
} fasv_model;

const fasv_model *fasv_models(int *count);
const fasv_model *fasv_model_find(const char *name); /* NULL if unknown */

/* ---- scenarios -------------------------------------------------------------- */

#define FASV_SCN_MAX_DEVICES 8
#define FASV_SCN_MAX_CTX ((int64_t)1 << 22)   /* cells per cache */
#define FASV_SCN_MAX_EVENTS 4096
#define FASV_SCN_MAX_SLOTS 16
#define FASV_SCN_MAX_REPEAT 100000
#define FASV_SCN_NAME_MAX 64

typedef enum fasv_split_mode { FASV_SPLIT_NONE = 0, FASV_SPLIT_LAYER, FASV_SPLIT_TENSOR } fasv_split_mode;
typedef enum fasv_spec { FASV_SPEC_NONE = 0, FASV_SPEC_MTP, FASV_SPEC_DRAFT } fasv_spec;

typedef enum fasv_event_type {
    FASV_EV_PREFILL = 0, /* prefill N            N prompt tokens in batch/ubatch chunks */
    FASV_EV_DECODE,      /* decode N             N single-token steps (slot all: one token per slot) */
    FASV_EV_DRAFT,       /* draft N accept A     speculative rounds: draft N, verify N+1, keep A */
    FASV_EV_REUSE,       /* reuse P              new request sharing a P-token prefix (seq_rm P..) */
    FASV_EV_RESTORE,     /* restore MIN MAX      context-checkpoint restore of positions MIN..MAX */
    FASV_EV_SHIFT,       /* shift K keep N       context shift: drop K tokens after the first N */
    FASV_EV_CLEAR,       /* clear                drop the slot's tokens */
    FASV_EV_COUNT
} fasv_event_type;

#define FASV_SLOT_ALL (-1)

typedef struct fasv_event {
    fasv_event_type type;
    int64_t n;      /* prefill/decode/draft: tokens or steps; reuse: P; restore: MIN; shift: K */
    int64_t a;      /* draft: accepted A; restore: MAX; shift: keep N */
    int64_t repeat; /* "x R": the event is applied R times (>= 1) */
    int slot;       /* 0.. or FASV_SLOT_ALL (decode only) */
    int line;       /* line in the scenario file (0 when built in memory) */
} fasv_event;

typedef struct fasv_scn_settings {
    int64_t ctx;          /* -c: cells of the (base) KV cache, all slots together */
    int64_t batch;        /* -b: logical batch a request is cut into */
    int64_t ubatch;       /* -ub: physical batch, one compute graph each */
    int n_parallel;       /* -np: slots */
    bool kv_unified;      /* one cache stream shared by the slots (else one stream of ctx/np per slot) */
    fasv_type type_k, type_v; /* -ctk / -ctv */
    int64_t kv_pad;       /* n_kv is rounded up to this (256 in llama.cpp since late 2025; 1 = unpadded) */
    int64_t mask_pad;     /* mask rows rounded up to this (GGML_KQ_MASK_PAD: 64 or 32 in older ggml; 1 now) */
    int64_t swa_pad;      /* sliding-window cache size rounded up to this (256) */
    bool swa_full;        /* --swa-full: sliding layers get a full-size cache */
    fasv_spec spec;       /* speculative decoding: none, the model's MTP head, or a draft model */
    int draft;            /* --spec-draft-n-max: draft length (0 with spec none) */
    const fasv_model *draft_model; /* FASV_SPEC_DRAFT: the draft model (zoo) */
    fasv_split_mode split;/* -sm */
    int n_dev;
    char device[FASV_SCN_MAX_DEVICES][FASV_DEVICE_NAME_MAX]; /* modeled devices, one per GPU */
    int ratio[FASV_SCN_MAX_DEVICES];                        /* -ts ratios (>= 0, not all 0) */
} fasv_scn_settings;

typedef struct fasv_scenario {
    char name[FASV_SCN_NAME_MAX];  /* file stem or "cli" */
    fasv_model model;              /* a copy of the zoo entry (or a custom model) */
    bool custom_model;             /* layer kinds given in the file */
    fasv_scn_settings set;
    fasv_event *ev;
    int n_ev, cap_ev;
    char comments[FASV_COMMENTS_MAX]; /* full-line comments, "# ...\n" each */
} fasv_scenario;

/* Defaults: llama-server's (ctx 4096, -b 2048, -ub 512, -np 1, unified, f16,
 * kv-pad 256, mask-pad 1, swa-pad 256, no speculation, one gfx1100), no model. */
void fasv_scenario_init(fasv_scenario *s);
void fasv_scenario_free(fasv_scenario *s);
/* Deep copy (dst is initialised by the call; free it). 0 or -1 (out of memory). */
int fasv_scenario_copy(fasv_scenario *dst, const fasv_scenario *src);
/* Append an event; 0 or -1 when the event list is full. */
int fasv_scenario_add(fasv_scenario *s, fasv_event e);
/* Use a zoo model. */
void fasv_scenario_set_model(fasv_scenario *s, const fasv_model *m);

/* Parse text (docs/scenarios.md). Returns 0, or -1 with err = "FNAME:LINE:
 * message". Also checks that settings and events agree (a draft event needs
 * a speculative setting, slots exist, ratios are valid, ...). */
int fasv_scenario_parse(const char *text, size_t len, const char *fname, fasv_scenario *out, char *err,
                        size_t errlen);
int fasv_scenario_load(const char *path, fasv_scenario *out, char *err, size_t errlen);
/* Check settings and events; 0 or -1 with err ("line N: ..." where an event is at fault). */
int fasv_scenario_validate(const fasv_scenario *s, char *err, size_t errlen);
/* Canonical text (malloc'd; NULL on out-of-memory). Parsing it gives back the scenario. */
char *fasv_scenario_to_string(const fasv_scenario *s);
int fasv_scenario_save(const fasv_scenario *s, const char *path, char *err, size_t errlen);
/* One event as its text line ("draft 10 accept 6 x 20 slot 0"). */
void fasv_event_format(const fasv_event *e, char *buf, size_t len);
/* Parse one event line (tokens of the text form); 0 or -1 with err. */
int fasv_event_parse(const char *text, fasv_event *out, char *err, size_t errlen);

const char *fasv_split_name(fasv_split_mode m); /* "none", "layer", "tensor" */
const char *fasv_spec_name(fasv_spec s);        /* "none", "mtp", "draft" */
const char *fasv_event_name(fasv_event_type t); /* "prefill", ... */

/* ---- expansion: the nodes a server builds ------------------------------------ */

typedef enum fasv_phase { FASV_PHASE_RESERVE = 0, FASV_PHASE_ALLOC, FASV_PHASE_COMPUTE } fasv_phase;
const char *fasv_phase_name(fasv_phase p); /* "reserve", "alloc", "compute" */

/* Which graph a node belongs to. */
typedef enum fasv_part { FASV_PART_TARGET = 0, FASV_PART_MTP, FASV_PART_DRAFT, FASV_PART_COUNT } fasv_part;
const char *fasv_part_name(fasv_part p); /* "target", "mtp", "draft" */

/* What a graph is doing (reserve graphs and compute graphs alike). */
typedef enum fasv_graph {
    FASV_G_PP = 0,   /* reserve: prompt processing at full ubatch */
    FASV_G_TG,       /* reserve: token generation, one token per stream */
    FASV_G_PREFILL,  /* a prompt ubatch */
    FASV_G_DECODE,   /* one token per slot */
    FASV_G_DRAFT,    /* a draft step of the MTP head or the draft model */
    FASV_G_VERIFY,   /* the target verifying a draft (draft + 1 tokens); also reserved */
    FASV_G_COUNT
} fasv_graph;
const char *fasv_graph_name(fasv_graph g);

/* One FA node of one graph, for one layer kind on one shard. */
typedef struct fasv_scn_node {
    fasv_phase phase;
    fasv_graph graph;
    int event;            /* index of the event (-1 at reserve) */
    int rep;              /* repetition of the event (0-based) */
    int step;             /* ubatch (or draft step) within the repetition */
    fasv_part part;
    int kind;             /* index into the part's layer kinds */
    const fasv_layer_kind *lk;  /* points into the scenario (or the zoo): valid while the scenario is */
    int shard;            /* 0..n_dev-1: the GPU (index into settings.device) */
    const fasv_device *device;
    int head0, n_head;    /* the shard's query heads [head0, head0 + n_head) */
    int kv_head0, n_head_kv;
    int64_t n_q;          /* query rows per stream */
    int64_t n_kv;         /* after the padding policy */
    int64_t n_stream;     /* sequences in the node (non-unified caches: one stream per slot) */
    int64_t stream0;      /* first stream viewed */
    int64_t capacity;     /* cells per stream of the cache viewed */
    int64_t used;         /* the cache's used_max_p1 before padding (max over viewed streams) */
} fasv_scn_node;

/* Build the node (with its device) a scenario node describes. 0 or -1 with err. */
int fasv_scn_node_case(const fasv_scenario *s, const fasv_scn_node *sn, fasv_case *out, char *err, size_t errlen);

/* Expansion callback; return nonzero to stop the expansion. */
typedef int (*fasv_scn_visit)(void *ctx, const fasv_scn_node *sn);

typedef struct fasv_scn_expand_opts {
    bool lenient;                  /* an event that cannot be applied (cache full, restore past the end, shift
                                      with sliding layers, ...) is cut short or skipped instead of an error */
    const fasv_device *device_override; /* plan every shard for this device instead of settings.device */
} fasv_scn_expand_opts;

typedef struct fasv_scn_expand_stats {
    int64_t events;    /* events applied (repetitions counted) */
    int64_t graphs;    /* compute graphs (ubatches, draft steps) */
    int64_t nodes;     /* nodes visited, reserve included */
    int64_t skipped;   /* events cut short or skipped (lenient) */
} fasv_scn_expand_stats;

/* Walk every node: first the reserve graphs (phase reserve), then each event
 * in order (phase compute). Returns 0; 1 when the visitor stopped it; -1 with
 * err ("line N: ...") when an event cannot be applied and !lenient, or the
 * scenario is invalid. */
int fasv_scenario_expand(const fasv_scenario *s, const fasv_scn_expand_opts *o, fasv_scn_visit visit, void *ctx,
                         fasv_scn_expand_stats *st, char *err, size_t errlen);

/* ---- the lifecycle property ------------------------------------------------- */

typedef struct fasv_scn_finding {
    fasv_finding f;     /* kind (lifecycle, totality, contract, ...), device, route, detail, signature */
    fasv_phase phase;
    fasv_scn_node at;   /* where it was first seen */
    fasv_case node;     /* the offending node, device set, comments naming the scenario and event */
    int64_t hits;       /* nodes that gave this signature */
} fasv_scn_finding;

typedef struct fasv_scn_route_count {
    char key[FASV_KEY_LEN + 8]; /* the route's instance key (its family when it has none), or "none" */
    int64_t count;
} fasv_scn_route_count;

typedef struct fasv_scn_report {
    fasv_scn_expand_stats st;
    int64_t reserve_nodes, compute_nodes, checked; /* checked: distinct nodes planned */
    int64_t outside;                               /* compute nodes outside the envelope (consistently) */
    int64_t family[FASV_FAM_COUNT];                /* compute nodes per chosen family */
    int64_t scratch[FASV_SCN_MAX_DEVICES];         /* scratch bytes reserved per GPU at allocation */
    fasv_scn_route_count *routes;                  /* compute nodes per route key, most used first */
    int n_routes, cap_routes;
    fasv_scn_finding *findings;                    /* one per signature, in order of discovery */
    int n_findings, cap_findings;
    bool stopped;                                  /* stopped at the wanted signature */
    char error[512];                               /* expansion error (scenario cannot be applied) */
} fasv_scn_report;

typedef struct fasv_scn_opts {
    const fasv_target *target;
    fasv_scn_expand_opts expand;
    const char *stop_signature; /* stop as soon as a finding with this signature appears */
    int max_findings;           /* distinct signatures kept (0 = 64) */
} fasv_scn_opts;

/* Run the scenario against the target and check DESIGN §3.4 on every node:
 * reserve nodes route or lie outside the envelope (a NONE inside is a
 * totality finding); scratch per GPU = the largest reserve route's; every
 * compute node of a (part, layer kind, shard) whose reserve nodes all routed
 * must route (else a lifecycle finding) with scratch within the allocation
 * (else a lifecycle finding); contract/determinism/bad-route as usual.
 * Returns 0 (clean), 1 (findings), 2 (the scenario cannot be applied: r->error). */
int fasv_scenario_run(const fasv_scenario *s, const fasv_scn_opts *o, fasv_scn_report *r);
void fasv_scn_report_free(fasv_scn_report *r);

/* ---- random scenarios and reduction ------------------------------------------ */

typedef struct fasv_scn_rand_opts {
    int max_events;        /* 0 = 12 */
    int64_t max_ctx;       /* 0 = 65536 */
    const char *device;    /* NULL: random modeled devices */
} fasv_scn_rand_opts;

/* A random valid scenario (zoo model x settings x events) from the rng (seed
 * or fuzzer bytes). Always passes fasv_scenario_validate; run it lenient. */
void fasv_scenario_random(fasv_rng *r, const fasv_scn_rand_opts *o, fasv_scenario *out);

/* Reduce: the shortest event list (events removed, counts shrunk) that still
 * gives a finding with this signature under o (run lenient). *out is
 * initialised by the call. Returns 0, or -1 when s itself does not reproduce.
 * *runs counts scenario runs. */
int fasv_scenario_reduce(const fasv_scenario *s, const fasv_scn_opts *o, const char *signature, fasv_scenario *out,
                         int *runs);

/* ---- fuzzing with random scenarios ---------------------------------------------- */

typedef struct fasv_scn_fuzz_opts {
    const fasv_target *target;
    int64_t runs;                 /* scenarios to run; 0 = until max_time (or the stop flag) */
    double max_time;              /* seconds; 0 = no limit */
    uint64_t seed;                /* scenario i uses the stream (seed, i) */
    fasv_scn_rand_opts rand;
    bool reduce;                  /* reduce each new signature to a short event sequence */
    const char *artifacts_dir;    /* write KIND-HASH.case and KIND-HASH.scenario there; NULL = none */
    FILE *progress;               /* progress and new findings; NULL = quiet */
    volatile sig_atomic_t *stop;  /* nonzero = stop soon (Ctrl-C); may be NULL */
} fasv_scn_fuzz_opts;

typedef struct fasv_scn_fuzz_find {
    fasv_scn_finding finding;     /* as first found (node case included) */
    fasv_scenario found;          /* the scenario that found it */
    fasv_scenario reduced;        /* valid when reduced_ok */
    bool reduced_ok;
    int reduce_runs;
    int64_t first_run;            /* index of the first scenario that hit it */
    int64_t runs_hit;             /* scenarios that hit it */
    char case_path[1024], scenario_path[1024];
} fasv_scn_fuzz_find;

typedef struct fasv_scn_fuzz_result {
    int64_t runs, events, graphs, nodes, skipped_events;
    double seconds;
    int errors;                   /* scenarios that could not be run (a generator bug if nonzero) */
    char first_error[512];
    int n_found;
    fasv_scn_fuzz_find *found;    /* one per signature, in order of discovery */
} fasv_scn_fuzz_result;

/* Run random scenarios against the target. 0, or -1 with err when it cannot
 * start (artifacts directory unusable). */
int fasv_scenario_fuzz(const fasv_scn_fuzz_opts *o, fasv_scn_fuzz_result *res, char *err, size_t errlen);
void fasv_scn_fuzz_result_free(fasv_scn_fuzz_result *res);
/* KIND-<16 hex digits of the signature's FNV-1a hash><ext>, the reproducers' file name. */
void fasv_scn_file_name(const char *signature, fasv_prop kind, const char *ext, char *out, size_t len);

/* ---- test-only targets -------------------------------------------------------- */

/* Small planners with known behaviour, for tests and demonstrations of the
 * lifecycle property (never verdicts on real planners). Their names, and the
 * --planner specs that select them, are "test:lifecycle-clean" etc.; the
 * lookup takes the name with or without "test:".
 *   "lifecycle-clean"     total; VEC (split-KV, scratch) for n_q == 1, TILE otherwise
 *   "lifecycle-hole-d256" as lifecycle-clean, but NONE for Dk=256 on AMD when n_kv % 256 != 0
 *                         and n_q > 1 (the reserve graphs, at full cache, never show it)
 *   "lifecycle-scratch"   as lifecycle-clean, but split-KV VEC up to n_q = 16 with scratch
 *                         growing with n_q (a verify batch needs more than token generation)
 * NULL for another name. */
const fasv_target *fasv_scenario_test_target(const char *name);
/* Names, NULL-terminated. */
extern const char *const fasv_scenario_test_targets[];

#ifdef __cplusplus
}
#endif
#endif
