/* scenario.c — the scenario record and its text format: parse, validate,
 * print, load, save. Grammar and examples: docs/scenarios.md.
 *
 * Owns: text <-> fasv_scenario, and the consistency rules between settings
 * and events. Never expands events (expand.c) and never plans (lifecycle.c).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/scenario.h"

static const char *k_split_names[] = {"none", "layer", "tensor"};
static const char *k_spec_names[] = {"none", "mtp", "draft"};
static const char *k_event_names[FASV_EV_COUNT] = {"prefill", "decode", "draft", "reuse",
                                                   "restore", "shift", "clear"};

const char *fasv_split_name(fasv_split_mode m) { return (unsigned)m < 3 ? k_split_names[m] : "?"; }
const char *fasv_spec_name(fasv_spec s) { return (unsigned)s < 3 ? k_spec_names[s] : "?"; }
const char *fasv_event_name(fasv_event_type t) { return (unsigned)t < FASV_EV_COUNT ? k_event_names[t] : "?"; }

void fasv_scenario_init(fasv_scenario *s) {
    memset(s, 0, sizeof *s);
    fasv_scn_settings *st = &s->set;
    st->ctx = 4096;
    st->batch = 2048;
    st->ubatch = 512;
    st->n_parallel = 1;
    st->kv_unified = true;
    st->type_k = st->type_v = FASV_TYPE_F16;
    st->kv_pad = 256;
    st->mask_pad = 1;
    st->swa_pad = 256;
    st->n_dev = 1;
    snprintf(st->device[0], sizeof st->device[0], "gfx1100");
    st->ratio[0] = 1;
}

void fasv_scenario_free(fasv_scenario *s) {
    free(s->ev);
    s->ev = NULL;
    s->n_ev = s->cap_ev = 0;
}

int fasv_scenario_copy(fasv_scenario *dst, const fasv_scenario *src) {
    *dst = *src;
    dst->ev = NULL;
    dst->n_ev = dst->cap_ev = 0;
    for (int i = 0; i < src->n_ev; i++)
        if (fasv_scenario_add(dst, src->ev[i]) != 0) {
            fasv_scenario_free(dst);
            return -1;
        }
    return 0;
}

int fasv_scenario_add(fasv_scenario *s, fasv_event e) {
    if (s->n_ev >= FASV_SCN_MAX_EVENTS) return -1;
    if (s->n_ev == s->cap_ev) {
        int cap = s->cap_ev ? s->cap_ev * 2 : 16;
        fasv_event *p = realloc(s->ev, (size_t)cap * sizeof *p);
        if (!p) return -1;
        s->ev = p;
        s->cap_ev = cap;
    }
    if (e.repeat < 1) e.repeat = 1;
    s->ev[s->n_ev++] = e;
    return 0;
}

void fasv_scenario_set_model(fasv_scenario *s, const fasv_model *m) {
    s->model = *m;
    s->custom_model = false;
}

/* ---- events ----------------------------------------------------------------- */

void fasv_event_format(const fasv_event *e, char *buf, size_t len) {
    int k = 0;
    switch (e->type) {
    case FASV_EV_PREFILL:
    case FASV_EV_DECODE:
    case FASV_EV_REUSE:
        k = snprintf(buf, len, "%s %lld", fasv_event_name(e->type), (long long)e->n);
        break;
    case FASV_EV_DRAFT:
        k = snprintf(buf, len, "draft %lld accept %lld", (long long)e->n, (long long)e->a);
        break;
    case FASV_EV_RESTORE:
        k = snprintf(buf, len, "restore %lld %lld", (long long)e->n, (long long)e->a);
        break;
    case FASV_EV_SHIFT:
        k = snprintf(buf, len, "shift %lld keep %lld", (long long)e->n, (long long)e->a);
        break;
    case FASV_EV_CLEAR:
        k = snprintf(buf, len, "clear");
        break;
    default:
        k = snprintf(buf, len, "?");
        break;
    }
    if (k < 0 || (size_t)k >= len) return;
    if (e->repeat > 1) k += snprintf(buf + k, len - (size_t)k, " x %lld", (long long)e->repeat);
    if (k < 0 || (size_t)k >= len) return;
    if (e->slot == FASV_SLOT_ALL)
        snprintf(buf + k, len - (size_t)k, " slot all");
    else if (e->slot != 0)
        snprintf(buf + k, len - (size_t)k, " slot %d", e->slot);
}

static int parse_count(const char *s, int64_t lo, int64_t hi, int64_t *out) {
    if (!s || !*s) return -1;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

#define MAX_TOK 24

/* Split a line into whitespace-separated tokens (in place). */
static int tokenize(char *line, char **tok) {
    int n = 0;
    char *p = line;
    while (*p) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        if (n == MAX_TOK) return -1;
        tok[n++] = p;
        while (*p && *p != ' ' && *p != '\t') p++;
        if (*p) *p++ = 0;
    }
    return n;
}

static int event_from_tokens(char **tok, int n, fasv_event *e, char *err, size_t errlen) {
    memset(e, 0, sizeof *e);
    e->repeat = 1;
    int t = -1;
    for (int i = 0; i < FASV_EV_COUNT; i++)
        if (strcmp(tok[0], k_event_names[i]) == 0) t = i;
    if (t < 0) {
        snprintf(err, errlen, "unknown statement '%s'", tok[0]);
        return -1;
    }
    e->type = (fasv_event_type)t;
    int i = 1;
    const int64_t big = FASV_SCN_MAX_CTX;
    switch (e->type) {
    case FASV_EV_PREFILL:
    case FASV_EV_DECODE:
        if (n < 2 || parse_count(tok[1], 1, big, &e->n)) {
            snprintf(err, errlen, "%s: expected a token count in [1, %lld]", tok[0], (long long)big);
            return -1;
        }
        i = 2;
        break;
    case FASV_EV_REUSE:
        if (n < 2 || parse_count(tok[1], 0, big, &e->n)) {
            snprintf(err, errlen, "reuse: expected the common prefix length P in [0, %lld]", (long long)big);
            return -1;
        }
        i = 2;
        break;
    case FASV_EV_DRAFT:
        if (n < 4 || parse_count(tok[1], 1, 256, &e->n) || strcmp(tok[2], "accept") != 0 ||
            parse_count(tok[3], 0, 256, &e->a)) {
            snprintf(err, errlen, "draft: expected 'draft N accept A' with N in [1, 256], A in [0, N]");
            return -1;
        }
        if (e->a > e->n) {
            snprintf(err, errlen, "draft: accepted A=%lld exceeds the draft length N=%lld", (long long)e->a,
                     (long long)e->n);
            return -1;
        }
        i = 4;
        break;
    case FASV_EV_RESTORE:
        if (n < 3 || parse_count(tok[1], 0, big, &e->n) || parse_count(tok[2], 0, big, &e->a)) {
            snprintf(err, errlen, "restore: expected 'restore POS_MIN POS_MAX' (positions in [0, %lld])",
                     (long long)big);
            return -1;
        }
        if (e->n > e->a) {
            snprintf(err, errlen, "restore: POS_MIN %lld exceeds POS_MAX %lld", (long long)e->n, (long long)e->a);
            return -1;
        }
        i = 3;
        break;
    case FASV_EV_SHIFT:
        if (n < 4 || parse_count(tok[1], 1, big, &e->n) || strcmp(tok[2], "keep") != 0 ||
            parse_count(tok[3], 0, big, &e->a)) {
            snprintf(err, errlen, "shift: expected 'shift K keep N' (drop K >= 1 tokens after the first N)");
            return -1;
        }
        i = 4;
        break;
    case FASV_EV_CLEAR:
        i = 1;
        break;
    default:
        break;
    }
    while (i < n) {
        if (strcmp(tok[i], "x") == 0 && i + 1 < n) {
            if (parse_count(tok[i + 1], 1, FASV_SCN_MAX_REPEAT, &e->repeat)) {
                snprintf(err, errlen, "x: expected a repeat count in [1, %d]", FASV_SCN_MAX_REPEAT);
                return -1;
            }
            i += 2;
        } else if (strcmp(tok[i], "slot") == 0 && i + 1 < n) {
            int64_t v;
            if (strcmp(tok[i + 1], "all") == 0) {
                if (e->type != FASV_EV_DECODE) {
                    snprintf(err, errlen, "slot all: only decode steps run every slot at once");
                    return -1;
                }
                e->slot = FASV_SLOT_ALL;
            } else if (parse_count(tok[i + 1], 0, FASV_SCN_MAX_SLOTS - 1, &v)) {
                snprintf(err, errlen, "slot: expected a slot in [0, %d] or 'all'", FASV_SCN_MAX_SLOTS - 1);
                return -1;
            } else {
                e->slot = (int)v;
            }
            i += 2;
        } else {
            snprintf(err, errlen, "%s: unexpected '%s' (see docs/scenarios.md)", tok[0], tok[i]);
            return -1;
        }
    }
    return 0;
}

int fasv_event_parse(const char *text, fasv_event *out, char *err, size_t errlen) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    char *tok[MAX_TOK];
    int n = tokenize(buf, tok);
    if (n <= 0) {
        snprintf(err, errlen, n < 0 ? "too many words" : "empty event");
        return -1;
    }
    return event_from_tokens(tok, n, out, err, errlen);
}

/* ---- validation -------------------------------------------------------------- */

static int verr(char *err, size_t errlen, int line, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(err, errlen, "line %d: %s", line, msg);
    else
        snprintf(err, errlen, "%s", msg);
    return -1;
}

int fasv_scenario_validate(const fasv_scenario *s, char *err, size_t errlen) {
    const fasv_scn_settings *st = &s->set;
    const fasv_model *m = &s->model;
    if (m->n_kinds < 1 || m->n_kinds > FASV_SCN_MAX_KINDS) return verr(err, errlen, 0, "no model (add 'model NAME')");
    for (int k = 0; k < m->n_kinds; k++) {
        const fasv_layer_kind *lk = &m->kind[k];
        if (lk->n_head < 1 || lk->n_head_kv < 1 || lk->n_head % lk->n_head_kv != 0 || lk->dk < 1 || lk->dv < 1 ||
            lk->n_layers < 1 || lk->window < 0 || lk->dk > 4096 || lk->dv > 4096 || lk->n_head > 4096)
            return verr(err, errlen, 0, "layer kind '%s': heads %d/%d and sizes %d/%d are not a valid attention",
                        lk->name ? lk->name : "?", lk->n_head, lk->n_head_kv, lk->dk, lk->dv);
        if (lk->v_is_k && lk->dv > lk->dk)
            return verr(err, errlen, 0, "layer kind '%s': V a view of K needs dv <= dk", lk->name);
    }
    if (st->ctx < 1 || st->ctx > FASV_SCN_MAX_CTX)
        return verr(err, errlen, 0, "ctx %lld is outside [1, %lld]", (long long)st->ctx, (long long)FASV_SCN_MAX_CTX);
    if (st->batch < 1 || st->batch > FASV_SCN_MAX_CTX || st->ubatch < 1 || st->ubatch > FASV_SCN_MAX_CTX)
        return verr(err, errlen, 0, "batch and ubatch must lie in [1, %lld]", (long long)FASV_SCN_MAX_CTX);
    if (st->n_parallel < 1 || st->n_parallel > FASV_SCN_MAX_SLOTS)
        return verr(err, errlen, 0, "parallel %d is outside [1, %d]", st->n_parallel, FASV_SCN_MAX_SLOTS);
    if (!st->kv_unified && st->ctx / st->n_parallel < 1)
        return verr(err, errlen, 0, "ctx %lld is too small for %d streams", (long long)st->ctx, st->n_parallel);
    if (st->kv_pad < 1 || st->kv_pad > 65536 || st->mask_pad < 1 || st->mask_pad > 4096 || st->swa_pad < 1 ||
        st->swa_pad > 65536)
        return verr(err, errlen, 0, "kv-pad, swa-pad must lie in [1, 65536] and mask-pad in [1, 4096]");
    if ((unsigned)st->type_k >= FASV_TYPE_COUNT || (unsigned)st->type_v >= FASV_TYPE_COUNT || st->type_k == FASV_TYPE_F32 ||
        st->type_v == FASV_TYPE_F32)
        return verr(err, errlen, 0, "cache types must be f16, bf16 or a quantized type");
    for (int part = 0; part < 2; part++) {
        const fasv_layer_kind *ks = part ? m->mtp_kind : m->kind;
        int nk = part ? (st->spec == FASV_SPEC_MTP ? m->n_mtp_kinds : 0) : m->n_kinds;
        for (int k = 0; k < nk; k++) {
            const fasv_layer_kind *lk = &ks[k];
            fasv_type tv = lk->v_is_k ? st->type_k : st->type_v;
            if ((fasv_type_get(st->type_k)->is_quant && lk->dk % 32) || (fasv_type_get(tv)->is_quant && lk->dv % 32))
                return verr(err, errlen, 0, "quantized caches need head sizes divisible by 32 (kind '%s' has %d/%d)",
                            lk->name, lk->dk, lk->dv);
        }
    }
    switch (st->spec) {
    case FASV_SPEC_NONE:
        if (st->draft != 0) return verr(err, errlen, 0, "a draft length needs 'spec mtp N' or 'spec draft N MODEL'");
        break;
    case FASV_SPEC_MTP:
        if (m->mtp == FASV_MTP_NONE || m->n_mtp_kinds < 1)
            return verr(err, errlen, 0, "spec mtp: model %s has no MTP head", m->name ? m->name : "?");
        /* fall through */
    case FASV_SPEC_DRAFT:
        if (st->draft < 1 || st->draft > 256) return verr(err, errlen, 0, "draft length %d is outside [1, 256]", st->draft);
        if (st->spec == FASV_SPEC_DRAFT && !st->draft_model) return verr(err, errlen, 0, "spec draft: no draft model");
        break;
    default:
        return verr(err, errlen, 0, "unknown speculative mode");
    }
    if (st->n_dev < 1 || st->n_dev > FASV_SCN_MAX_DEVICES)
        return verr(err, errlen, 0, "devices: between 1 and %d GPUs", FASV_SCN_MAX_DEVICES);
    int64_t rsum = 0;
    for (int d = 0; d < st->n_dev; d++) {
        if (!fasv_device_find(st->device[d]))
            return verr(err, errlen, 0, "unknown device '%s' (see 'fasv devices')", st->device[d]);
        if (st->ratio[d] < 0 || st->ratio[d] > 1000000) return verr(err, errlen, 0, "split ratios must lie in [0, 1e6]");
        rsum += st->ratio[d];
    }
    if (rsum <= 0) return verr(err, errlen, 0, "split ratios must not all be 0");
    if ((unsigned)st->split > FASV_SPLIT_TENSOR) return verr(err, errlen, 0, "unknown split mode");
    for (int i = 0; i < s->n_ev; i++) {
        const fasv_event *e = &s->ev[i];
        if (e->slot != FASV_SLOT_ALL && (e->slot < 0 || e->slot >= st->n_parallel))
            return verr(err, errlen, e->line, "slot %d does not exist (parallel %d)", e->slot, st->n_parallel);
        if (e->slot == FASV_SLOT_ALL && e->type != FASV_EV_DECODE)
            return verr(err, errlen, e->line, "slot all: only decode steps run every slot at once");
        if (e->type == FASV_EV_DRAFT) {
            if (st->spec == FASV_SPEC_NONE)
                return verr(err, errlen, e->line, "draft: the settings have no speculative decoding (add 'spec ...')");
            if (e->n > st->draft)
                return verr(err, errlen, e->line, "draft %lld exceeds the draft length %d of the settings",
                            (long long)e->n, st->draft);
            if (e->a > e->n) return verr(err, errlen, e->line, "draft: accepted exceeds drafted");
        }
        if (e->type == FASV_EV_RESTORE && e->n > e->a)
            return verr(err, errlen, e->line, "restore: POS_MIN exceeds POS_MAX");
        if (e->repeat < 1 || e->repeat > FASV_SCN_MAX_REPEAT)
            return verr(err, errlen, e->line, "repeat count outside [1, %d]", FASV_SCN_MAX_REPEAT);
    }
    return 0;
}

/* ---- parsing ------------------------------------------------------------------ */

typedef struct parser {
    const char *fname;
    int line;
    char *err;
    size_t errlen;
} parser;

static int perr(parser *p, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s:%d: %s", p->fname, p->line, msg);
    return -1;
}

static int parse_bool(const char *s, bool *out) {
    if (strcmp(s, "yes") == 0 || strcmp(s, "on") == 0 || strcmp(s, "true") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(s, "no") == 0 || strcmp(s, "off") == 0 || strcmp(s, "false") == 0) {
        *out = false;
        return 0;
    }
    return -1;
}

static int parse_float(const char *s, float *out) {
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (!*s || *end || errno || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* Strings of custom layer kinds live here (the scenario's model points at them). */
static const char *kind_name(const char *s) {
    static const char *names[] = {"global", "sliding", "kind2", "kind3", "local", "full", "mla", "chunked"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0) return names[i];
    return NULL;
}

static int parse_kind(parser *p, fasv_scenario *s, char **tok, int n) {
    fasv_model *m = &s->model;
    if (m->n_kinds >= FASV_SCN_MAX_KINDS) return perr(p, "kind: at most %d layer kinds", FASV_SCN_MAX_KINDS);
    fasv_layer_kind lk;
    memset(&lk, 0, sizeof lk);
    if (n < 2 || !(lk.name = kind_name(tok[1])))
        return perr(p, "kind: expected a name (global, sliding, local, full, mla, chunked, kind2, kind3)");
    bool seen_h = false, seen_hkv = false, seen_dk = false;
    for (int i = 2; i < n; i++) {
        char *eq = strchr(tok[i], '=');
        const char *key = tok[i], *val = eq ? eq + 1 : NULL;
        if (eq) *eq = 0;
        int64_t v;
        if (strcmp(key, "v-is-k") == 0 && !val) {
            lk.v_is_k = true;
        } else if (strcmp(key, "sinks") == 0 && !val) {
            lk.sinks = true;
        } else if (!val) {
            return perr(p, "kind: expected KEY=VALUE, got '%s'", key);
        } else if (strcmp(key, "layers") == 0 && !parse_count(val, 1, 100000, &v)) {
            lk.n_layers = (int)v;
        } else if (strcmp(key, "heads") == 0 && !parse_count(val, 1, 4096, &v)) {
            lk.n_head = (int)v;
            seen_h = true;
        } else if (strcmp(key, "kv-heads") == 0 && !parse_count(val, 1, 4096, &v)) {
            lk.n_head_kv = (int)v;
            seen_hkv = true;
        } else if (strcmp(key, "dk") == 0 && !parse_count(val, 1, 4096, &v)) {
            lk.dk = (int)v;
            seen_dk = true;
        } else if (strcmp(key, "dv") == 0 && !parse_count(val, 1, 4096, &v)) {
            lk.dv = (int)v;
        } else if (strcmp(key, "window") == 0 && !parse_count(val, 0, FASV_SCN_MAX_CTX, &v)) {
            lk.window = (int)v;
        } else if (strcmp(key, "softcap") == 0 && !parse_float(val, &lk.softcap) && lk.softcap >= 0) {
        } else if (strcmp(key, "max-bias") == 0 && !parse_float(val, &lk.max_bias) && lk.max_bias >= 0) {
        } else if (strcmp(key, "scale") == 0 && !parse_float(val, &lk.scale)) {
        } else {
            return perr(p, "kind: bad or unknown field '%s=%s'", key, val);
        }
    }
    if (!seen_h || !seen_hkv || !seen_dk) return perr(p, "kind: heads=, kv-heads= and dk= are required");
    if (!lk.dv) lk.dv = lk.dk;
    if (!lk.n_layers) lk.n_layers = 1;
    if (lk.n_head % lk.n_head_kv) return perr(p, "kind: kv-heads=%d does not divide heads=%d", lk.n_head_kv, lk.n_head);
    if (lk.v_is_k && lk.dv > lk.dk) return perr(p, "kind: v-is-k needs dv <= dk");
    m->kind[m->n_kinds++] = lk;
    m->n_layers += lk.n_layers;
    return 0;
}

static int parse_devices(parser *p, fasv_scn_settings *st, char *list) {
    int n = 0;
    for (char *q = list; q;) {
        char *comma = strchr(q, ',');
        if (comma) *comma = 0;
        if (n == FASV_SCN_MAX_DEVICES) return perr(p, "devices: at most %d GPUs", FASV_SCN_MAX_DEVICES);
        const fasv_device *d = fasv_device_find(q);
        if (!d) return perr(p, "devices: unknown device '%s' (see 'fasv devices')", q);
        snprintf(st->device[n], sizeof st->device[n], "%s", d->name);
        n++;
        q = comma ? comma + 1 : NULL;
    }
    st->n_dev = n;
    return 0;
}

static int parse_ratios(parser *p, fasv_scn_settings *st, char *list, int *count) {
    int n = 0;
    for (char *q = list; q;) {
        char *comma = strchr(q, ',');
        if (comma) *comma = 0;
        int64_t v;
        if (n == FASV_SCN_MAX_DEVICES || parse_count(q, 0, 1000000, &v))
            return perr(p, "split: ratios are up to %d integers in [0, 1000000] ('1,1')", FASV_SCN_MAX_DEVICES);
        st->ratio[n++] = (int)v;
        q = comma ? comma + 1 : NULL;
    }
    *count = n;
    return 0;
}

enum { K_MODEL, K_CTX, K_BATCH, K_UBATCH, K_PARALLEL, K_UNIFIED, K_TK, K_TV, K_KVPAD, K_MASKPAD, K_SWAPAD,
       K_SWAFULL, K_SPEC, K_DEVICES, K_SPLIT, K_PERIOD, K_COUNT };
static const char *k_keys[K_COUNT] = {"model",   "ctx",          "batch",        "ubatch",  "parallel", "kv-unified",
                                      "cache-type-k", "cache-type-v", "kv-pad", "mask-pad", "swa-pad", "swa-full",
                                      "spec",    "devices",      "split",        "swa-period"};

int fasv_scenario_parse(const char *text, size_t len, const char *fname, fasv_scenario *out, char *err,
                        size_t errlen) {
    parser p = {fname ? fname : "<scenario>", 0, err, errlen};
    fasv_scenario s;
    fasv_scenario_init(&s);
    bool header = false, seen[K_COUNT] = {0};
    int n_ratio = -1, ratio_line = 0;
    const char *pos = text, *end = text + len;
    int status = -1;
    while (pos < end) {
        const char *nl = memchr(pos, '\n', (size_t)(end - pos));
        size_t ll = nl ? (size_t)(nl - pos) : (size_t)(end - pos);
        p.line++;
        char line[FASV_CASE_MAX_LINE];
        if (ll >= sizeof line) {
            perr(&p, "line longer than %d bytes", FASV_CASE_MAX_LINE - 1);
            goto done;
        }
        memcpy(line, pos, ll);
        line[ll] = 0;
        pos = nl ? nl + 1 : end;
        if (ll && line[ll - 1] == '\r') line[--ll] = 0;
        if (memchr(line, 0, ll)) {
            perr(&p, "NUL byte in the text");
            goto done;
        }
        char *c = line;
        while (*c == ' ' || *c == '\t') c++;
        if (*c == '#') {
            if (header) {
                const char *t = c + 1;
                if (*t == ' ') t++;
                size_t used = strlen(s.comments), need = strlen(t) + 3;
                if (used + need + 1 <= sizeof s.comments)
                    snprintf(s.comments + used, sizeof s.comments - used, "# %s\n", t);
            }
            continue;
        }
        char *hash = strstr(c, " #");
        if (hash) *hash = 0;
        char *tok[MAX_TOK];
        int n = tokenize(c, tok);
        if (n < 0) {
            perr(&p, "too many words on one line");
            goto done;
        }
        if (n == 0) continue;
        if (!header) {
            if (strcmp(tok[0], "fasv-scenario") != 0) {
                perr(&p, "expected the header 'fasv-scenario 1'");
                goto done;
            }
            if (n != 2 || strcmp(tok[1], "1") != 0) {
                perr(&p, "unsupported scenario format version (this fasv reads version 1)");
                goto done;
            }
            header = true;
            continue;
        }
        if (strcmp(tok[0], "kind") == 0) {
            if (s.n_ev) {
                perr(&p, "settings must come before the first event");
                goto done;
            }
            if (seen[K_MODEL] && !s.custom_model) {
                perr(&p, "kind: only a 'model custom' has kind lines");
                goto done;
            }
            if (!seen[K_MODEL]) {
                perr(&p, "kind: write 'model custom' first");
                goto done;
            }
            if (parse_kind(&p, &s, tok, n)) goto done;
            continue;
        }
        int key = -1;
        for (int k = 0; k < K_COUNT; k++)
            if (strcmp(tok[0], k_keys[k]) == 0) key = k;
        if (key < 0) {
            fasv_event e;
            char msg[300];
            if (event_from_tokens(tok, n, &e, msg, sizeof msg)) {
                perr(&p, "%s", msg);
                goto done;
            }
            e.line = p.line;
            if (fasv_scenario_add(&s, e)) {
                perr(&p, "more than %d events", FASV_SCN_MAX_EVENTS);
                goto done;
            }
            continue;
        }
        if (s.n_ev) {
            perr(&p, "settings must come before the first event");
            goto done;
        }
        if (seen[key]) {
            perr(&p, "'%s' appears twice", k_keys[key]);
            goto done;
        }
        seen[key] = true;
        int64_t v;
        fasv_scn_settings *st = &s.set;
        bool ok = true;
        switch (key) {
        case K_MODEL:
            if (n != 2) {
                ok = false;
                break;
            }
            if (strcmp(tok[1], "custom") == 0) {
                s.custom_model = true;
                memset(&s.model, 0, sizeof s.model);
                s.model.name = "custom";
                s.model.title = "custom model";
                s.model.source = "scenario file";
            } else {
                const fasv_model *m = fasv_model_find(tok[1]);
                if (!m) {
                    perr(&p, "model: unknown model '%s' (see 'fasv scenario --list-models')", tok[1]);
                    goto done;
                }
                fasv_scenario_set_model(&s, m);
            }
            break;
        case K_CTX:
            ok = n == 2 && !parse_count(tok[1], 1, FASV_SCN_MAX_CTX, &st->ctx);
            break;
        case K_BATCH:
            ok = n == 2 && !parse_count(tok[1], 1, FASV_SCN_MAX_CTX, &st->batch);
            break;
        case K_UBATCH:
            ok = n == 2 && !parse_count(tok[1], 1, FASV_SCN_MAX_CTX, &st->ubatch);
            break;
        case K_PARALLEL:
            ok = n == 2 && !parse_count(tok[1], 1, FASV_SCN_MAX_SLOTS, &v);
            if (ok) st->n_parallel = (int)v;
            break;
        case K_UNIFIED:
            ok = n == 2 && !parse_bool(tok[1], &st->kv_unified);
            break;
        case K_SWAFULL:
            ok = n == 2 && !parse_bool(tok[1], &st->swa_full);
            break;
        case K_TK:
        case K_TV: {
            fasv_type t;
            ok = n == 2 && !fasv_type_parse(tok[1], &t) && t != FASV_TYPE_F32;
            if (ok) *(key == K_TK ? &st->type_k : &st->type_v) = t;
            if (!ok) {
                perr(&p, "%s: expected f16, bf16, q8_0, q4_0, q4_1, q5_0 or q5_1", k_keys[key]);
                goto done;
            }
            break;
        }
        case K_KVPAD:
            ok = n == 2 && !parse_count(tok[1], 1, 65536, &st->kv_pad);
            break;
        case K_MASKPAD:
            ok = n == 2 && !parse_count(tok[1], 1, 4096, &st->mask_pad);
            break;
        case K_SWAPAD:
            ok = n == 2 && !parse_count(tok[1], 1, 65536, &st->swa_pad);
            break;
        case K_PERIOD:
            ok = n == 2 && !parse_count(tok[1], 0, 1000, &v);
            if (ok) s.model.swa_period = (int)v;
            break;
        case K_SPEC:
            if (n == 2 && strcmp(tok[1], "none") == 0) {
                st->spec = FASV_SPEC_NONE;
                st->draft = 0;
            } else if (n == 3 && strcmp(tok[1], "mtp") == 0 && !parse_count(tok[2], 1, 256, &v)) {
                st->spec = FASV_SPEC_MTP;
                st->draft = (int)v;
            } else if (n == 4 && strcmp(tok[1], "draft") == 0 && !parse_count(tok[2], 1, 256, &v)) {
                st->spec = FASV_SPEC_DRAFT;
                st->draft = (int)v;
                st->draft_model = fasv_model_find(tok[3]);
                if (!st->draft_model) {
                    perr(&p, "spec draft: unknown draft model '%s'", tok[3]);
                    goto done;
                }
            } else {
                perr(&p, "spec: expected 'none', 'mtp N' or 'draft N MODEL' (N in [1, 256])");
                goto done;
            }
            break;
        case K_DEVICES:
            if (n != 2) {
                ok = false;
                break;
            }
            if (parse_devices(&p, st, tok[1])) goto done;
            break;
        case K_SPLIT:
            if (n < 2 || n > 3) {
                ok = false;
                break;
            }
            if (strcmp(tok[1], "none") == 0)
                st->split = FASV_SPLIT_NONE;
            else if (strcmp(tok[1], "layer") == 0)
                st->split = FASV_SPLIT_LAYER;
            else if (strcmp(tok[1], "tensor") == 0)
                st->split = FASV_SPLIT_TENSOR;
            else {
                perr(&p, "split: expected none, layer or tensor, then the ratios ('split tensor 1,1')");
                goto done;
            }
            if (n == 3) {
                if (parse_ratios(&p, st, tok[2], &n_ratio)) goto done;
                ratio_line = p.line;
            }
            break;
        default:
            ok = false;
        }
        if (!ok) {
            perr(&p, "%s: bad value (see docs/scenarios.md)", k_keys[key]);
            goto done;
        }
    }
    if (!header) {
        p.line = p.line ? p.line : 1;
        perr(&p, "empty scenario: expected the header 'fasv-scenario 1'");
        goto done;
    }
    if (!seen[K_MODEL]) {
        perr(&p, "no model (add 'model NAME'; 'fasv scenario --list-models' lists them)");
        goto done;
    }
    if (s.custom_model && s.model.n_kinds == 0) {
        perr(&p, "model custom: no 'kind' lines");
        goto done;
    }
    if (n_ratio < 0) {
        for (int d = 0; d < s.set.n_dev; d++) s.set.ratio[d] = 1;
    } else if (n_ratio != s.set.n_dev) {
        p.line = ratio_line;
        perr(&p, "split: %d ratios for %d devices", n_ratio, s.set.n_dev);
        goto done;
    }
    {
        char msg[400];
        if (fasv_scenario_validate(&s, msg, sizeof msg)) {
            /* "line N: ..." from an event, else the settings: report at the last line */
            int ln = 0;
            if (sscanf(msg, "line %d:", &ln) == 1) {
                const char *rest = strchr(msg, ':');
                p.line = ln;
                perr(&p, "%s", rest + 2);
            } else {
                perr(&p, "%s", msg);
            }
            goto done;
        }
    }
    if (fname) {
        const char *b = strrchr(fname, '/');
        b = b ? b + 1 : fname;
        snprintf(s.name, sizeof s.name, "%s", b);
        char *dot = strrchr(s.name, '.');
        if (dot && dot != s.name) *dot = 0;
    }
    *out = s;
    return 0;
done:
    fasv_scenario_free(&s);
    return status;
}

int fasv_scenario_load(const char *path, fasv_scenario *out, char *err, size_t errlen) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        if (f != stdin) fclose(f);
        snprintf(err, errlen, "%s:0: out of memory", path);
        return -1;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= FASV_CASE_MAX_FILE) {
                free(buf);
                if (f != stdin) fclose(f);
                snprintf(err, errlen, "%s:0: larger than %d bytes", path, FASV_CASE_MAX_FILE);
                return -1;
            }
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                if (f != stdin) fclose(f);
                snprintf(err, errlen, "%s:0: out of memory", path);
                return -1;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        if (got == 0) break;
        len += got;
    }
    int rerr = ferror(f);
    if (f != stdin) fclose(f);
    if (rerr) {
        free(buf);
        snprintf(err, errlen, "%s:0: read error", path);
        return -1;
    }
    int r = fasv_scenario_parse(buf, len, path, out, err, errlen);
    free(buf);
    return r;
}

/* ---- printing ------------------------------------------------------------------ */

typedef struct sb {
    char *p;
    size_t len, cap;
    int oom;
} sb;

static void sb_printf(sb *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)k < b->cap - b->len) {
            b->len += (size_t)k;
            return;
        }
        size_t cap = (b->cap + (size_t)k + 1) * 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
}

static void print_float(sb *b, const char *key, float v) {
    char t[32];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, (double)v);
        if (strtof(t, NULL) == v) break;
    }
    sb_printf(b, " %s=%s", key, t);
}

char *fasv_scenario_to_string(const fasv_scenario *s) {
    sb b = {malloc(4096), 0, 4096, 0};
    if (!b.p) return NULL;
    b.p[0] = 0;
    const fasv_scn_settings *st = &s->set;
    sb_printf(&b, "fasv-scenario 1\n%s", s->comments);
    if (s->custom_model) {
        sb_printf(&b, "model custom\n");
        if (s->model.swa_period) sb_printf(&b, "swa-period %d\n", s->model.swa_period);
        for (int k = 0; k < s->model.n_kinds; k++) {
            const fasv_layer_kind *lk = &s->model.kind[k];
            sb_printf(&b, "kind %s layers=%d heads=%d kv-heads=%d dk=%d dv=%d", lk->name, lk->n_layers, lk->n_head,
                      lk->n_head_kv, lk->dk, lk->dv);
            if (lk->window) sb_printf(&b, " window=%d", lk->window);
            if (lk->v_is_k) sb_printf(&b, " v-is-k");
            if (lk->sinks) sb_printf(&b, " sinks");
            if (lk->softcap != 0) print_float(&b, "softcap", lk->softcap);
            if (lk->max_bias != 0) print_float(&b, "max-bias", lk->max_bias);
            if (lk->scale != 0) print_float(&b, "scale", lk->scale);
            sb_printf(&b, "\n");
        }
    } else {
        sb_printf(&b, "model %s\n", s->model.name ? s->model.name : "?");
    }
    sb_printf(&b, "ctx %lld\nbatch %lld\nubatch %lld\nparallel %d\nkv-unified %s\n", (long long)st->ctx,
              (long long)st->batch, (long long)st->ubatch, st->n_parallel, st->kv_unified ? "yes" : "no");
    sb_printf(&b, "cache-type-k %s\ncache-type-v %s\nkv-pad %lld\nmask-pad %lld\nswa-pad %lld\nswa-full %s\n",
              fasv_type_name(st->type_k), fasv_type_name(st->type_v), (long long)st->kv_pad, (long long)st->mask_pad,
              (long long)st->swa_pad, st->swa_full ? "yes" : "no");
    if (st->spec == FASV_SPEC_NONE)
        sb_printf(&b, "spec none\n");
    else if (st->spec == FASV_SPEC_MTP)
        sb_printf(&b, "spec mtp %d\n", st->draft);
    else
        sb_printf(&b, "spec draft %d %s\n", st->draft, st->draft_model ? st->draft_model->name : "?");
    sb_printf(&b, "devices ");
    for (int d = 0; d < st->n_dev; d++) sb_printf(&b, "%s%s", d ? "," : "", st->device[d]);
    sb_printf(&b, "\nsplit %s ", fasv_split_name(st->split));
    for (int d = 0; d < st->n_dev; d++) sb_printf(&b, "%s%d", d ? "," : "", st->ratio[d]);
    sb_printf(&b, "\n");
    for (int i = 0; i < s->n_ev; i++) {
        char ev[128];
        fasv_event_format(&s->ev[i], ev, sizeof ev);
        sb_printf(&b, "%s\n", ev);
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

int fasv_scenario_save(const fasv_scenario *s, const char *path, char *err, size_t errlen) {
    char *t = fasv_scenario_to_string(s);
    int r = fasv_write_text(path, t, err, errlen);
    free(t);
    return r;
}
