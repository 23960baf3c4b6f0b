/* expand.c — events to FA nodes, the way a llama.cpp server builds them.
 *
 * Owns: the serving state of one scenario (KV caches of the target, of the
 * model's own MTP head and of a draft model, each slot's position), the
 * reserve graphs (prompt processing at full ubatch and full cache, token
 * generation), and for every event the compute graphs it causes (prompt
 * ubatches, decode steps, draft steps, verify batches) with their real n_q,
 * n_kv after the padding policy, mask rows and cache views; and the split of
 * each layer kind's heads (or layers) over the GPUs.
 * Must not know: planners (nodes go to a visitor), the lifecycle property.
 *
 * Facts of llama.cpp this follows (see docs/scenarios.md for the list):
 *  - a request is cut into logical batches of -b tokens, each into ubatches
 *    of -ub tokens; every ubatch is one graph, built after its tokens were
 *    placed in the cache (n_kv includes them);
 *  - n_kv = min(cells, max(pad, PAD(used_max_p1, pad)));
 *  - the sliding-window cache has PAD(min(ctx, n_swa*(unified ? np : 1) + ub), 256) cells;
 *  - the reserve graphs use the whole cache (n_kv = cells): pp with
 *    n_tokens = min(ctx, ub) over n_seq streams, tg with one token per stream,
 *    and with speculative decoding the verify batch (draft + 1 tokens);
 *  - a context checkpoint holds the cells of one sequence that the sliding
 *    window has not masked (positions MAX-n_swa+1..MAX); restoring it places
 *    them from the head of the emptied sliding-window cache and truncates the
 *    full cache after MAX, so used_max_p1 restarts at n_swa;
 *  - the verify batch of a speculative round is the last sampled token plus
 *    the draft; rejected tokens are removed from the cache after it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/build.h"
#include "fasv/scenario.h"
#include "kvcache.h"

static const char *k_phase_names[] = {"reserve", "alloc", "compute"};
static const char *k_part_names[] = {"target", "mtp", "draft"};
static const char *k_graph_names[FASV_G_COUNT] = {"pp", "tg", "prefill", "decode", "draft", "verify"};

const char *fasv_phase_name(fasv_phase p) { return (unsigned)p < 3 ? k_phase_names[p] : "?"; }
const char *fasv_part_name(fasv_part p) { return (unsigned)p < FASV_PART_COUNT ? k_part_names[p] : "?"; }
const char *fasv_graph_name(fasv_graph g) { return (unsigned)g < FASV_G_COUNT ? k_graph_names[g] : "?"; }

typedef struct shard {
    int dev;            /* index into settings.device */
    int head0, n_head;
    int kv_head0, n_head_kv;
} shard;

typedef struct part {
    bool on;
    const fasv_layer_kind *kinds;
    int n_kinds;
    const fasv_model *model;
    bool own_cache;       /* false: the MTP head reads the target's caches */
    kv_cache base, swa;   /* own caches (swa.size == 0: no sliding cache) */
    shard sh[FASV_SCN_MAX_KINDS][FASV_SCN_MAX_DEVICES];
    int n_sh[FASV_SCN_MAX_KINDS];
    int64_t done[FASV_SCN_MAX_SLOTS]; /* own-cache parts: positions processed so far (< target's) */
} part;

typedef struct eng {
    const fasv_scenario *s;
    const fasv_scn_settings *st;
    const fasv_scn_expand_opts *o;
    fasv_scn_visit visit;
    void *vctx;
    fasv_scn_expand_stats *stats;
    char *err;
    size_t errlen;
    const fasv_device *dev[FASV_SCN_MAX_DEVICES];
    part p[FASV_PART_COUNT];
    int64_t ubatch;
    int64_t n_past[FASV_SCN_MAX_SLOTS];
    int event, rep, step;
    int stopped;
} eng;

static int eerr(eng *e, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = e->event >= 0 && e->event < e->s->n_ev ? e->s->ev[e->event].line : 0;
    if (line > 0)
        snprintf(e->err, e->errlen, "line %d: %s", line, msg);
    else if (e->event >= 0)
        snprintf(e->err, e->errlen, "event %d: %s", e->event + 1, msg);
    else
        snprintf(e->err, e->errlen, "%s", msg);
    return -1;
}

/* ---- head and layer split --------------------------------------------------- */

/* Boundaries of n units split by the ratios: unit u goes to device g when
 * b[g] <= u < b[g+1], b[g] = round(n * cum_g / sum). */
static void split_bounds(int64_t n, const int *ratio, int n_dev, int64_t *b) {
    int64_t sum = 0, cum = 0;
    for (int g = 0; g < n_dev; g++) sum += ratio[g];
    b[0] = 0;
    for (int g = 0; g < n_dev; g++) {
        cum += ratio[g];
        b[g + 1] = (n * cum * 2 + sum) / (2 * sum);
    }
}

/* Kind of layer il of a model (llama.cpp's sliding-window pattern, or kinds in order). */
static int layer_kind(const fasv_model *m, const fasv_layer_kind *kinds, int n_kinds, int il) {
    if (m && m->swa_period > 0 && n_kinds == 2) return il % m->swa_period == m->swa_period - 1 ? 0 : 1;
    int acc = 0;
    for (int k = 0; k < n_kinds; k++) {
        acc += kinds[k].n_layers;
        if (il < acc) return k;
    }
    return n_kinds - 1;
}

static void make_shards(eng *e, part *p, fasv_part which) {
    const fasv_scn_settings *st = e->st;
    int G = st->split == FASV_SPLIT_NONE ? 1 : st->n_dev;
    int last = 0;
    for (int g = 0; g < st->n_dev; g++)
        if (st->ratio[g] > 0) last = g;
    for (int k = 0; k < p->n_kinds; k++) {
        const fasv_layer_kind *lk = &p->kinds[k];
        int n = 0;
        shard *sh = p->sh[k];
        if (G == 1) {
            sh[n++] = (shard){0, 0, lk->n_head, 0, lk->n_head_kv};
        } else if (st->split == FASV_SPLIT_LAYER) {
            if (which == FASV_PART_MTP) { /* the MTP head sits with the output layer, on the last GPU */
                sh[n++] = (shard){last, 0, lk->n_head, 0, lk->n_head_kv};
            } else {
                int total = 0;
                for (int j = 0; j < p->n_kinds; j++) total += p->kinds[j].n_layers;
                int64_t b[FASV_SCN_MAX_DEVICES + 1];
                split_bounds(total, st->ratio, G, b);
                for (int g = 0; g < G; g++) {
                    bool has = false;
                    for (int64_t il = b[g]; il < b[g + 1] && !has; il++)
                        has = layer_kind(p->model, p->kinds, p->n_kinds, (int)il) == k;
                    if (has) sh[n++] = (shard){g, 0, lk->n_head, 0, lk->n_head_kv};
                }
            }
        } else { /* tensor: KV heads by the ratios; one shared KV head: query heads by the ratios */
            int64_t b[FASV_SCN_MAX_DEVICES + 1];
            int gqa = lk->n_head / lk->n_head_kv;
            if (lk->n_head_kv > 1) {
                split_bounds(lk->n_head_kv, st->ratio, G, b);
                for (int g = 0; g < G; g++)
                    if (b[g + 1] > b[g])
                        sh[n++] = (shard){g, (int)b[g] * gqa, (int)(b[g + 1] - b[g]) * gqa, (int)b[g],
                                          (int)(b[g + 1] - b[g])};
            } else {
                split_bounds(lk->n_head, st->ratio, G, b);
                for (int g = 0; g < G; g++)
                    if (b[g + 1] > b[g]) sh[n++] = (shard){g, (int)b[g], (int)(b[g + 1] - b[g]), 0, 1};
            }
        }
        p->n_sh[k] = n;
    }
}

/* ---- caches ----------------------------------------------------------------- */

static int64_t pad_up(int64_t x, int64_t p) { return p > 1 ? (x + p - 1) / p * p : x; }

static int max_window(const fasv_layer_kind *k, int n) {
    int w = 0;
    for (int i = 0; i < n; i++)
        if (k[i].window > w) w = k[i].window;
    return w;
}

static int init_caches(eng *e, part *p) {
    const fasv_scn_settings *st = e->st;
    int n_stream = st->kv_unified ? 1 : st->n_parallel;
    int64_t base = st->kv_unified ? st->ctx : st->ctx / st->n_parallel;
    if (kv_init(&p->base, base, n_stream, 0)) return eerr(e, "out of memory for a cache of %lld cells", (long long)base);
    int w = max_window(p->kinds, p->n_kinds);
    if (w > 0) {
        /* llama.cpp: PAD(min(size_base, n_swa * (unified ? n_seq_max : 1) + n_ubatch), 256) */
        int64_t want = (int64_t)w * (st->kv_unified ? st->n_parallel : 1) + e->ubatch;
        int64_t size = st->swa_full ? base : pad_up(want < base ? want : base, st->swa_pad);
        if (kv_init(&p->swa, size, n_stream, w)) return eerr(e, "out of memory for a cache of %lld cells", (long long)size);
    }
    return 0;
}

static int stream_of(const eng *e, int slot) { return e->st->kv_unified ? 0 : slot; }

/* The cache a layer kind of a part views. */
static kv_cache *cache_for(eng *e, fasv_part which, const fasv_layer_kind *lk) {
    part *p = &e->p[which];
    if (!p->own_cache) p = &e->p[FASV_PART_TARGET];
    if (lk->window > 0 && p->swa.size > 0) return &p->swa;
    return &p->base;
}

/* ---- emitting nodes --------------------------------------------------------- */

static int emit(eng *e, fasv_phase phase, fasv_graph g, fasv_part which, int64_t n_q, int s0, int n_stream) {
    part *p = &e->p[which];
    if (phase == FASV_PHASE_COMPUTE) e->stats->graphs++;
    for (int k = 0; k < p->n_kinds; k++) {
        const fasv_layer_kind *lk = &p->kinds[k];
        kv_cache *c = cache_for(e, which, lk);
        int64_t n_kv = 0, used = 0;
        if (phase == FASV_PHASE_RESERVE) {
            n_kv = used = c->size;
        } else {
            for (int s = s0; s < s0 + n_stream; s++) {
                int64_t v = kv_n_kv(c, s, e->st->kv_pad);
                if (v > n_kv) n_kv = v;
                if (c->hwm[s] > used) used = c->hwm[s];
            }
        }
        for (int j = 0; j < p->n_sh[k]; j++) {
            const shard *sh = &p->sh[k][j];
            fasv_scn_node sn;
            memset(&sn, 0, sizeof sn);
            sn.phase = phase;
            sn.graph = g;
            sn.event = phase == FASV_PHASE_RESERVE ? -1 : e->event;
            sn.rep = e->rep;
            sn.step = e->step;
            sn.part = which;
            sn.kind = k;
            sn.lk = lk;
            sn.shard = sh->dev;
            sn.device = e->dev[sh->dev];
            sn.head0 = sh->head0;
            sn.n_head = sh->n_head;
            sn.kv_head0 = sh->kv_head0;
            sn.n_head_kv = sh->n_head_kv;
            sn.n_q = n_q;
            sn.n_kv = n_kv;
            sn.n_stream = n_stream;
            sn.stream0 = s0;
            sn.capacity = c->size;
            sn.used = used;
            e->stats->nodes++;
            if (e->visit && e->visit(e->vctx, &sn)) {
                e->stopped = 1;
                return 1;
            }
        }
    }
    if (phase == FASV_PHASE_COMPUTE) e->step++;
    return 0;
}

/* ---- applying events ---------------------------------------------------------- */

/* Place n tokens of slot (positions pos0..) in a part's own caches; -1 if full. */
static int place(eng *e, part *p, int slot, int64_t pos0, int64_t n) {
    int s = stream_of(e, slot);
    if (pos0 + n > ((int64_t)1 << 30)) return -1;
    if (kv_place(&p->base, s, slot, pos0, n, 0)) return -1;
    if (p->swa.size > 0 && kv_place(&p->swa, s, slot, pos0, n, 0)) {
        kv_seq_rm(&p->base, s, slot, pos0, pos0 + n);
        return -1;
    }
    return 0;
}

static void seq_rm(eng *e, part *p, int slot, int64_t p0, int64_t p1) {
    int s = stream_of(e, slot);
    kv_seq_rm(&p->base, s, slot, p0, p1);
    if (p->swa.size > 0) kv_seq_rm(&p->swa, s, slot, p0, p1);
}

static int full(eng *e, int slot, int64_t n) {
    if (e->o && e->o->lenient) {
        e->stats->skipped++;
        return 1;
    }
    return eerr(e, "slot %d: no room for %lld more tokens in the KV cache (ctx %lld); add a reuse, shift or clear, or "
                   "raise ctx",
                slot, (long long)n, (long long)e->st->ctx);
}

static int cut(eng *e, const char *fmt, ...) {
    if (e->o && e->o->lenient) {
        e->stats->skipped++;
        return 1;
    }
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return eerr(e, "%s", msg);
}

/* A part with its own cache catches up with the target: positions done..upto-1
 * in ubatches (the draft model's lazy prompt processing, or an MTP head's
 * first draft step after accepted tokens). Returns 0, 1 stop, -1 error, 2 full. */
static int catch_up(eng *e, fasv_part which, int slot, int64_t upto, fasv_graph g) {
    part *p = &e->p[which];
    while (p->done[slot] < upto) {
        int64_t n = upto - p->done[slot];
        if (n > e->ubatch) n = e->ubatch;
        if (place(e, p, slot, p->done[slot], n)) return 2;
        p->done[slot] += n;
        if (emit(e, FASV_PHASE_COMPUTE, g, which, n, stream_of(e, slot), 1)) return 1;
    }
    return 0;
}

static int ev_prefill(eng *e, const fasv_event *ev) {
    int slot = ev->slot;
    part *t = &e->p[FASV_PART_TARGET], *m = &e->p[FASV_PART_MTP];
    int64_t left = ev->n;
    while (left > 0) {
        int64_t bl = left < e->st->batch ? left : e->st->batch;
        left -= bl;
        while (bl > 0) {
            int64_t n = bl < e->ubatch ? bl : e->ubatch;
            bl -= n;
            int64_t pos = e->n_past[slot];
            if (place(e, t, slot, pos, n)) return full(e, slot, n) < 0 ? -1 : 2;
            e->n_past[slot] += n;
            if (emit(e, FASV_PHASE_COMPUTE, FASV_G_PREFILL, FASV_PART_TARGET, n, stream_of(e, slot), 1)) return 1;
            if (m->on && m->own_cache) { /* the MTP layer consumes the target's hidden states as they come */
                int r = catch_up(e, FASV_PART_MTP, slot, e->n_past[slot], FASV_G_PREFILL);
                if (r == 1) return 1;
                if (r == 2) return full(e, slot, n) < 0 ? -1 : 2;
            }
        }
    }
    return 0;
}

static int ev_decode(eng *e, const fasv_event *ev) {
    part *t = &e->p[FASV_PART_TARGET];
    int slots[FASV_SCN_MAX_SLOTS], ns = 0;
    if (ev->slot == FASV_SLOT_ALL)
        for (int i = 0; i < e->st->n_parallel; i++) slots[ns++] = i;
    else
        slots[ns++] = ev->slot;
    for (int64_t step = 0; step < ev->n; step++) {
        /* one token per slot, in groups of at most ubatch tokens */
        for (int i0 = 0; i0 < ns; i0 += (int)e->ubatch) {
            int cnt = ns - i0 < e->ubatch ? ns - i0 : (int)e->ubatch;
            for (int i = i0; i < i0 + cnt; i++)
                if (place(e, t, slots[i], e->n_past[slots[i]], 1)) {
                    for (int j = i0; j < i; j++) seq_rm(e, t, slots[j], e->n_past[slots[j]], -1);
                    return full(e, slots[i], 1) < 0 ? -1 : 2;
                }
            for (int i = i0; i < i0 + cnt; i++) e->n_past[slots[i]]++;
            int r;
            if (e->st->kv_unified)
                r = emit(e, FASV_PHASE_COMPUTE, FASV_G_DECODE, FASV_PART_TARGET, cnt, 0, 1);
            else if (cnt == 1)
                r = emit(e, FASV_PHASE_COMPUTE, FASV_G_DECODE, FASV_PART_TARGET, 1, slots[i0], 1);
            else /* one token in each slot's stream; the slots of "all" are consecutive */
                r = emit(e, FASV_PHASE_COMPUTE, FASV_G_DECODE, FASV_PART_TARGET, 1, slots[i0], cnt);
            if (r) return 1;
        }
    }
    return 0;
}

static int ev_draft(eng *e, const fasv_event *ev) {
    int slot = ev->slot, s = stream_of(e, slot);
    part *t = &e->p[FASV_PART_TARGET];
    fasv_part dp = e->st->spec == FASV_SPEC_MTP ? FASV_PART_MTP : FASV_PART_DRAFT;
    part *d = &e->p[dp];
    int64_t n0 = e->n_past[slot];
    if (n0 == 0) return cut(e, "draft: slot %d has no tokens yet (prefill first)", slot) < 0 ? -1 : 2;
    /* drafting */
    if (!d->own_cache) {
        for (int64_t j = 0; j < ev->n; j++)
            if (emit(e, FASV_PHASE_COMPUTE, FASV_G_DRAFT, dp, 1, s, 1)) return 1;
    } else {
        /* first step: everything the head has not seen, up to and including the last sampled token */
        int r = catch_up(e, dp, slot, n0 + 1, FASV_G_DRAFT);
        if (r == 1) return 1;
        if (r == 2) return full(e, slot, 1) < 0 ? -1 : 2;
        for (int64_t j = 1; j < ev->n; j++) {
            r = catch_up(e, dp, slot, n0 + 1 + j, FASV_G_DRAFT);
            if (r == 1) return 1;
            if (r == 2) return full(e, slot, 1) < 0 ? -1 : 2;
        }
    }
    /* verify: the last sampled token and the draft, in ubatches */
    int64_t left = ev->n + 1, pos = n0;
    while (left > 0) {
        int64_t n = left < e->ubatch ? left : e->ubatch;
        if (place(e, t, slot, pos, n)) {
            seq_rm(e, t, slot, n0, -1);
            return full(e, slot, n) < 0 ? -1 : 2;
        }
        pos += n;
        left -= n;
        if (emit(e, FASV_PHASE_COMPUTE, FASV_G_VERIFY, FASV_PART_TARGET, n, s, 1)) return 1;
    }
    /* keep the sampled token and the accepted drafts */
    int64_t keep = n0 + 1 + ev->a;
    seq_rm(e, t, slot, keep, -1);
    e->n_past[slot] = keep;
    if (d->own_cache) {
        seq_rm(e, d, slot, keep, -1);
        if (d->done[slot] > keep) d->done[slot] = keep;
    }
    return 0;
}

static bool has_swa(const part *p) { return p->swa.size > 0 && p->swa.size < p->base.size; }

static int ev_reuse(eng *e, const fasv_event *ev) {
    int slot = ev->slot, s = stream_of(e, slot);
    part *t = &e->p[FASV_PART_TARGET];
    int64_t P = ev->n;
    if (P > e->n_past[slot]) {
        if (cut(e, "reuse %lld: slot %d holds only %lld tokens", (long long)P, slot, (long long)e->n_past[slot]) < 0)
            return -1;
        P = e->n_past[slot];
    }
    if (has_swa(t) && P > 0 && P < e->n_past[slot]) {
        /* llama-server reuses a prefix only while the sliding-window cache still covers it */
        int w = max_window(t->kinds, t->n_kinds);
        int64_t pmin = kv_pos_min(&t->swa, s, slot), need = P - w > 0 ? P - w : 0;
        if (pmin > need &&
            cut(e, "reuse %lld: the sliding-window cache of slot %d starts at position %lld and no longer covers %lld..%lld; "
                   "a server restores a checkpoint instead (use 'restore MIN MAX')",
                (long long)P, slot, (long long)pmin, (long long)need, (long long)P - 1) < 0)
            return -1;
    }
    for (int i = 0; i < FASV_PART_COUNT; i++) {
        part *p = &e->p[i];
        if (!p->on || !p->own_cache) continue;
        seq_rm(e, p, slot, P, -1);
        if (i != FASV_PART_TARGET && p->done[slot] > P) p->done[slot] = P;
    }
    e->n_past[slot] = P;
    return 0;
}

/* A sequence checkpoint keeps the cells of the sliding-window cache that the
 * window has not masked (positions pos_max - n_swa + 1 .. pos_max; llama.cpp's
 * state_write skips masked cells), while the server reports the cache's
 * pos_min. Restoring frees the slot's cells and places the saved ones from the
 * head again; the full cache is truncated after pos_max. */
static int restore_part(eng *e, part *p, int slot, int64_t lo, int64_t hi) {
    int s = stream_of(e, slot);
    kv_seq_rm(&p->base, s, slot, hi + 1, -1);
    if (p->swa.size > 0) {
        kv_seq_rm(&p->swa, s, slot, -1, -1);
        int64_t first = hi - p->swa.window + 1;
        if (first < lo) first = lo;
        if (first < 0) first = 0;
        if (kv_place(&p->swa, s, slot, first, hi - first + 1, 0) &&
            cut(e, "restore %lld %lld: no room for the checkpoint's %lld cells in the sliding-window cache",
                (long long)lo, (long long)hi, (long long)(hi - first + 1)) < 0)
            return -1;
    }
    return 0;
}

static int ev_restore(eng *e, const fasv_event *ev) {
    int slot = ev->slot;
    int64_t lo = ev->n, hi = ev->a;
    if (hi >= e->n_past[slot]) {
        if (cut(e, "restore %lld %lld: slot %d holds positions below %lld only, a checkpoint cannot end past them",
                (long long)lo, (long long)hi, slot, (long long)e->n_past[slot]) < 0)
            return -1;
        if (e->n_past[slot] == 0) return 2;
        hi = e->n_past[slot] - 1;
        if (lo > hi) lo = hi;
    }
    for (int i = 0; i < FASV_PART_COUNT; i++) {
        part *p = &e->p[i];
        if (!p->on || !p->own_cache) continue;
        if (i != FASV_PART_TARGET && p->done[slot] <= hi + 1) continue; /* it never got past the checkpoint */
        if (restore_part(e, p, slot, lo, hi)) return -1;
        if (i != FASV_PART_TARGET) p->done[slot] = hi + 1;
    }
    e->n_past[slot] = hi + 1;
    return 0;
}

static int ev_shift(eng *e, const fasv_event *ev) {
    int slot = ev->slot, s = stream_of(e, slot);
    int64_t K = ev->n, N = ev->a;
    for (int i = 0; i < FASV_PART_COUNT; i++)
        if (e->p[i].on && e->p[i].own_cache && has_swa(&e->p[i]))
            return cut(e, "shift: context shift is not available with a sliding-window cache (llama.cpp needs "
                          "--swa-full)") < 0
                       ? -1
                       : 2;
    if (N + K > e->n_past[slot]) {
        if (cut(e, "shift %lld keep %lld: slot %d holds only %lld tokens", (long long)K, (long long)N, slot,
                (long long)e->n_past[slot]) < 0)
            return -1;
        if (N >= e->n_past[slot]) return 2;
        K = e->n_past[slot] - N;
    }
    for (int i = 0; i < FASV_PART_COUNT; i++) {
        part *p = &e->p[i];
        if (!p->on || !p->own_cache) continue;
        kv_seq_rm(&p->base, s, slot, N, N + K);
        kv_seq_add(&p->base, s, slot, N + K, -1, -K);
        if (p->swa.size > 0) {
            kv_seq_rm(&p->swa, s, slot, N, N + K);
            kv_seq_add(&p->swa, s, slot, N + K, -1, -K);
        }
        if (i != FASV_PART_TARGET && p->done[slot] > N) p->done[slot] = p->done[slot] - K > N ? p->done[slot] - K : N;
    }
    e->n_past[slot] -= K;
    return 0;
}

static int ev_clear(eng *e, const fasv_event *ev) {
    for (int i = 0; i < FASV_PART_COUNT; i++) {
        part *p = &e->p[i];
        if (!p->on || !p->own_cache) continue;
        seq_rm(e, p, ev->slot, -1, -1);
        p->done[ev->slot] = 0;
    }
    e->n_past[ev->slot] = 0;
    return 0;
}

/* ---- driver --------------------------------------------------------------------- */

static void free_parts(eng *e) {
    for (int i = 0; i < FASV_PART_COUNT; i++) {
        kv_free(&e->p[i].base);
        kv_free(&e->p[i].swa);
    }
}

int fasv_scenario_expand(const fasv_scenario *s, const fasv_scn_expand_opts *o, fasv_scn_visit visit, void *ctx,
                         fasv_scn_expand_stats *st, char *err, size_t errlen) {
    fasv_scn_expand_stats local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    if (fasv_scenario_validate(s, err, errlen)) return -1;
    eng *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    static const fasv_scn_expand_opts no_opts;
    e->s = s;
    e->st = &s->set;
    e->o = o ? o : &no_opts;
    e->visit = visit;
    e->vctx = ctx;
    e->stats = st;
    e->err = err;
    e->errlen = errlen;
    e->event = -1;
    e->ubatch = s->set.ubatch < s->set.batch ? s->set.ubatch : s->set.batch;
    int rc = 0;
    for (int d = 0; d < s->set.n_dev; d++)
        e->dev[d] = e->o->device_override ? e->o->device_override : fasv_device_find(s->set.device[d]);

    /* parts */
    part *t = &e->p[FASV_PART_TARGET];
    t->on = true;
    t->kinds = s->model.kind;
    t->n_kinds = s->model.n_kinds;
    t->model = &s->model;
    t->own_cache = true;
    if (s->set.spec == FASV_SPEC_MTP) {
        part *m = &e->p[FASV_PART_MTP];
        m->on = true;
        m->kinds = s->model.mtp_kind;
        m->n_kinds = s->model.n_mtp_kinds;
        m->model = NULL;
        m->own_cache = s->model.mtp == FASV_MTP_OWN;
    } else if (s->set.spec == FASV_SPEC_DRAFT) {
        part *d = &e->p[FASV_PART_DRAFT];
        d->on = true;
        d->kinds = s->set.draft_model->kind;
        d->n_kinds = s->set.draft_model->n_kinds;
        d->model = s->set.draft_model;
        d->own_cache = true;
    }
    for (int i = 0; i < FASV_PART_COUNT; i++) {
        part *p = &e->p[i];
        if (!p->on) continue;
        make_shards(e, p, (fasv_part)i);
        if (p->own_cache && init_caches(e, p)) {
            rc = -1;
            goto out;
        }
    }

    /* reserve: prompt processing at full ubatch, token generation, over the whole cache */
    {
        int n_seq = s->set.kv_unified ? 1 : s->set.n_parallel;
        int64_t pp = s->set.ctx < e->ubatch ? s->set.ctx : e->ubatch;
        int64_t pp_q = pp / n_seq > 0 ? pp / n_seq : 1;
        for (int i = 0; i < FASV_PART_COUNT && !e->stopped; i++) {
            if (!e->p[i].on) continue;
            if (emit(e, FASV_PHASE_RESERVE, FASV_G_PP, (fasv_part)i, pp_q, 0, n_seq)) break;
            if (emit(e, FASV_PHASE_RESERVE, FASV_G_TG, (fasv_part)i, 1, 0, n_seq)) break;
            /* with speculative decoding the target also reserves its verify batch */
            if (i == FASV_PART_TARGET && s->set.spec != FASV_SPEC_NONE) {
                int64_t vq = s->set.draft + 1 < e->ubatch ? s->set.draft + 1 : e->ubatch;
                if (emit(e, FASV_PHASE_RESERVE, FASV_G_VERIFY, FASV_PART_TARGET, vq, 0, n_seq)) break;
            }
        }
    }

    /* events */
    for (int i = 0; i < s->n_ev && !e->stopped; i++) {
        const fasv_event *ev = &s->ev[i];
        e->event = i;
        for (int64_t r = 0; r < ev->repeat && !e->stopped; r++) {
            e->rep = (int)r;
            e->step = 0;
            int res;
            switch (ev->type) {
            case FASV_EV_PREFILL:
                res = ev_prefill(e, ev);
                break;
            case FASV_EV_DECODE:
                res = ev_decode(e, ev);
                break;
            case FASV_EV_DRAFT:
                res = ev_draft(e, ev);
                break;
            case FASV_EV_REUSE:
                res = ev_reuse(e, ev);
                break;
            case FASV_EV_RESTORE:
                res = ev_restore(e, ev);
                break;
            case FASV_EV_SHIFT:
                res = ev_shift(e, ev);
                break;
            case FASV_EV_CLEAR:
                res = ev_clear(e, ev);
                break;
            default:
                res = -1;
                eerr(e, "unknown event");
            }
            if (res < 0) {
                rc = -1;
                goto out;
            }
            st->events++;
            if (res == 2) break; /* cut short (lenient): the rest of the repetitions too */
        }
    }
    rc = e->stopped ? 1 : 0;
out:
    free_parts(e);
    free(e);
    return rc;
}

/* ---- the node of a scenario node ---------------------------------------------- */

int fasv_scn_node_case(const fasv_scenario *s, const fasv_scn_node *sn, fasv_case *out, char *err, size_t errlen) {
    const fasv_layer_kind *lk = sn->lk;
    const fasv_scn_settings *st = &s->set;
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = lk->dk;
    b.hsv = lk->dv;
    b.nh = sn->n_head_kv;
    b.gqa = sn->n_head / sn->n_head_kv;
    b.nr3 = sn->n_stream;
    b.kv = sn->n_kv;
    b.nb = sn->n_q;
    b.type_k = st->type_k;
    b.type_v = lk->v_is_k ? st->type_k : st->type_v;
    b.mask = true;
    b.mask_pad = pad_up(sn->n_q, st->mask_pad);
    b.mask_seqs = sn->n_stream;
    b.sinks = lk->sinks;
    if (lk->scale != 0) b.scale = lk->scale;
    b.max_bias = lk->max_bias;
    b.softcap = lk->softcap;
    b.kv_capacity = sn->capacity;
    b.kv_cache_layout = true;
    b.permute_q = true;
    b.v_view_of_k = lk->v_is_k;
    snprintf(b.device, sizeof b.device, "%s", sn->device->name);
    if (fasv_build_case(&b, out, err, errlen)) return -1;
    if (sn->stream0 > 0) {
        /* a view of stream s0 of a cache of streams of capacity cells each: the
         * buffer holds the streams before it too */
        fasv_node *n = &out->node;
        for (int id = FASV_K; id <= FASV_V; id++) {
            fasv_tensor *t = &n->t[id];
            int64_t off = t->nb[3] * sn->stream0;
            if (t->buf == id) {
                t->offset += off;
                t->buf_bytes += off;
            } else {
                t->offset = n->t[t->buf].offset; /* V a view of K: same rows */
            }
        }
    }
    return 0;
}
