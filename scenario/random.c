/* random.c — random serving scenarios (model x settings x events).
 *
 * Owns: a structure-aware generator driven by fasv_rng (a seed or a fuzzer's
 * bytes): a zoo model, server settings drawn from the values servers are run
 * with and the values planners branch on (ubatch sizes, padding policies,
 * cache types, slots, speculative drafting, tensor and layer split over mixed
 * GPUs), and an event sequence whose parameters track the slot's position so
 * reuse and restore points land inside the conversation. Every result is
 * valid; it is meant to be run lenient (an event that does not fit is cut).
 * Must not know: planners, the lifecycle property.
 */
#include <string.h>

#include "fasv/scenario.h"

static int64_t pick64(fasv_rng *r, const int64_t *v, int n) { return v[fasv_rng_below(r, (uint64_t)n)]; }

/* A token count near a multiple of 256 (either side), or anything. */
static int64_t tokens(fasv_rng *r, int64_t hi) {
    if (hi < 1) return 1;
    int64_t v;
    switch (fasv_rng_below(r, 4)) {
    case 0:
        v = fasv_rng_range(r, 1, 64);
        break;
    case 1:
        v = 256 * fasv_rng_range(r, 1, 16) + fasv_rng_range(r, -3, 3);
        break;
    case 2:
        v = fasv_rng_range(r, 1, hi);
        break;
    default:
        v = 512 * fasv_rng_range(r, 1, 8);
        break;
    }
    if (v < 1) v = 1;
    return v > hi ? hi : v;
}

void fasv_scenario_random(fasv_rng *r, const fasv_scn_rand_opts *o, fasv_scenario *out) {
    static const fasv_scn_rand_opts no_opts;
    if (!o) o = &no_opts;
    int max_events = o->max_events > 0 ? o->max_events : 12;
    int64_t max_ctx = o->max_ctx > 0 ? o->max_ctx : 65536;
    fasv_scenario_init(out);
    snprintf(out->name, sizeof out->name, "random");
    int nm;
    const fasv_model *zoo = fasv_models(&nm);
    const fasv_model *m = &zoo[fasv_rng_below(r, (uint64_t)nm)];
    fasv_scenario_set_model(out, m);
    fasv_scn_settings *st = &out->set;

    static const int64_t ctxs[] = {512, 1000, 1536, 2048, 4096, 8192, 16384, 32768, 65536, 131072};
    st->ctx = fasv_rng_chance(r, 85) ? pick64(r, ctxs, 10) : fasv_rng_range(r, 64, max_ctx);
    if (st->ctx > max_ctx) st->ctx = max_ctx;
    static const int64_t ubs[] = {1, 7, 32, 64, 128, 256, 500, 512, 512, 1024, 2048};
    st->ubatch = pick64(r, ubs, 11);
    static const int64_t bs[] = {2048, 2048, 512, 4096, 1000};
    st->batch = fasv_rng_chance(r, 20) ? st->ubatch : pick64(r, bs, 5);
    static const int64_t nps[] = {1, 1, 1, 1, 2, 3, 4, 8};
    st->n_parallel = (int)pick64(r, nps, 8);
    st->kv_unified = fasv_rng_chance(r, 70);
    if (!st->kv_unified && st->ctx / st->n_parallel < 1) st->kv_unified = true;
    static const fasv_type types[] = {FASV_TYPE_F16, FASV_TYPE_F16, FASV_TYPE_F16, FASV_TYPE_BF16, FASV_TYPE_Q8_0,
                                      FASV_TYPE_Q4_0, FASV_TYPE_Q4_1, FASV_TYPE_Q5_0, FASV_TYPE_Q5_1};
    st->type_k = types[fasv_rng_below(r, 9)];
    st->type_v = fasv_rng_chance(r, 70) ? st->type_k : types[fasv_rng_below(r, 9)];
    static const int64_t kvp[] = {1, 1, 256, 256, 32, 64, 128, 512};
    st->kv_pad = pick64(r, kvp, 8);
    static const int64_t mp[] = {1, 1, 64, 32, 16};
    st->mask_pad = pick64(r, mp, 5);
    static const int64_t sp[] = {256, 256, 1, 128};
    st->swa_pad = pick64(r, sp, 4);
    st->swa_full = fasv_rng_chance(r, 15);

    if (m->mtp != FASV_MTP_NONE && fasv_rng_chance(r, 60)) {
        st->spec = FASV_SPEC_MTP;
        st->draft = (int)fasv_rng_range(r, 1, 16);
    } else if (fasv_rng_chance(r, 25)) {
        static const char *drafts[] = {"llama3.2-1b", "qwen3-8b", "gemma3-12b", "gpt-oss-20b"};
        st->spec = FASV_SPEC_DRAFT;
        st->draft = (int)fasv_rng_range(r, 1, 16);
        st->draft_model = fasv_model_find(drafts[fasv_rng_below(r, 4)]);
    }
    /* quantized caches need head sizes divisible by 32: every zoo model has them */

    int nd;
    const fasv_device *devs = fasv_devices(&nd);
    static const int ndevs[] = {1, 1, 1, 2, 2, 2, 3, 4};
    st->n_dev = ndevs[fasv_rng_below(r, 8)];
    const fasv_device *first = o->device ? fasv_device_find(o->device) : &devs[fasv_rng_below(r, (uint64_t)nd)];
    if (!first) first = &devs[0];
    bool mixed = !o->device && fasv_rng_chance(r, 25);
    for (int d = 0; d < st->n_dev; d++) {
        const fasv_device *dv = mixed ? &devs[fasv_rng_below(r, (uint64_t)nd)] : first;
        snprintf(st->device[d], sizeof st->device[d], "%s", dv->name);
        st->ratio[d] = fasv_rng_chance(r, 60) ? 1 : (int)fasv_rng_range(r, 0, 4);
    }
    if (st->ratio[0] == 0) st->ratio[0] = 1; /* not all zero */
    st->split = st->n_dev == 1 ? FASV_SPLIT_NONE : (fasv_split_mode)fasv_rng_range(r, 1, 2);
    if (st->n_dev > 1 && fasv_rng_chance(r, 10)) st->split = FASV_SPLIT_NONE;

    /* events, tracking each slot's position */
    int64_t past[FASV_SCN_MAX_SLOTS] = {0};
    int64_t room = st->kv_unified ? st->ctx : st->ctx / st->n_parallel;
    /* a prompt of at most 256 ubatches keeps one scenario's expansion short (fuzzing speed) */
    int64_t ub = st->ubatch < st->batch ? st->ubatch : st->batch;
    int64_t prompt_max = room < 256 * ub ? room : 256 * ub;
    int n_ev = (int)fasv_rng_range(r, 1, max_events);
    for (int i = 0; i < n_ev; i++) {
        fasv_event e;
        memset(&e, 0, sizeof e);
        e.repeat = 1;
        e.slot = st->n_parallel > 1 && fasv_rng_chance(r, 40) ? (int)fasv_rng_below(r, (uint64_t)st->n_parallel) : 0;
        int64_t *p = &past[e.slot];
        unsigned what = i == 0 ? 0 : (unsigned)fasv_rng_below(r, 10);
        if (*p == 0 && what >= 3) what = 0;
        switch (what) {
        case 0:
        case 1:
            e.type = FASV_EV_PREFILL;
            e.n = tokens(r, prompt_max);
            *p += e.n;
            break;
        case 2:
            e.type = FASV_EV_DECODE;
            e.n = fasv_rng_range(r, 1, 48);
            if (st->n_parallel > 1 && fasv_rng_chance(r, 30)) {
                e.slot = FASV_SLOT_ALL;
                for (int s = 0; s < st->n_parallel; s++) past[s] += e.n;
            } else {
                *p += e.n;
            }
            break;
        case 3:
        case 4:
            if (st->spec != FASV_SPEC_NONE) {
                e.type = FASV_EV_DRAFT;
                e.n = fasv_rng_range(r, 1, st->draft);
                e.a = fasv_rng_range(r, 0, e.n);
                e.repeat = fasv_rng_range(r, 1, 6);
                *p += (1 + e.a) * e.repeat;
            } else {
                e.type = FASV_EV_DECODE;
                e.n = fasv_rng_range(r, 1, 16);
                *p += e.n;
            }
            break;
        case 5:
        case 6:
            e.type = FASV_EV_REUSE;
            e.n = fasv_rng_range(r, 0, *p);
            *p = e.n;
            break;
        case 7:
        case 8: {
            e.type = FASV_EV_RESTORE;
            e.a = fasv_rng_range(r, 0, *p - 1);
            int64_t len = fasv_rng_chance(r, 50) ? fasv_rng_range(r, 1, 2048) : 1536;
            e.n = e.a + 1 - len > 0 ? e.a + 1 - len : 0;
            *p = e.a + 1;
            break;
        }
        default:
            if (fasv_rng_chance(r, 50)) {
                e.type = FASV_EV_SHIFT;
                e.a = fasv_rng_range(r, 0, 8);
                e.n = fasv_rng_range(r, 1, *p > e.a + 1 ? *p - e.a : 1);
                *p = *p > e.n ? *p - e.n : 0;
            } else {
                e.type = FASV_EV_CLEAR;
                *p = 0;
            }
            break;
        }
        if (e.type == FASV_EV_DECODE && e.slot == FASV_SLOT_ALL) {
        } else if (e.slot == FASV_SLOT_ALL) {
            e.slot = 0;
        }
        fasv_scenario_add(out, e);
    }
}
