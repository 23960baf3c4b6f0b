/* props.c — route properties, signatures and the explain block.
 * See fasv/props.h. */
#include "fasv/props.h"

#include <string.h>

static const char *k_prop_names[FASV_PROP_COUNT] = {
    "ok", "totality", "contract", "determinism", "bad-route", "lifecycle", "numerics", "crash",
};

const char *fasv_prop_name(fasv_prop p) { return (unsigned)p < FASV_PROP_COUNT ? k_prop_names[p] : "?"; }

static const char *k_family_names[FASV_FAM_COUNT] = {"none", "vec", "tile", "split", "mma"};

const char *fasv_family_name(fasv_family f) {
    return (unsigned)f < FASV_FAM_COUNT ? k_family_names[f] : "?";
}

int fasv_family_parse(const char *name, fasv_family *out) {
    for (int i = 0; i < FASV_FAM_COUNT; i++)
        if (strcmp(name, k_family_names[i]) == 0) {
            *out = (fasv_family)i;
            return 0;
        }
    return -1;
}

void fasv_route_format(const fasv_route *r, char *buf, int len) {
    if (r->family == FASV_FAM_NONE) {
        snprintf(buf, (size_t)len, "NONE: %s", r->reason[0] ? r->reason : "(no reason given)");
        return;
    }
    snprintf(buf, (size_t)len, "%s %s cols=%dx%d kv_tile=%d split=%d threads=%d smem=%lld scratch=%lld",
             fasv_family_name(r->family), r->key[0] ? r->key : "?", r->ncols1, r->ncols2, r->kv_tile, r->n_split,
             r->threads, (long long)r->smem_bytes, (long long)r->scratch_bytes);
}

static int is_word(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Copy with characters outside a safe set made '-'. With numbers_to_hash,
 * every number (a digit run that does not continue a word: "1807", "256x",
 * "=64") becomes '#', while names that contain digits ("f16", "q8_0",
 * "gfx1100") are kept, so one hole met at many sizes is one bucket. */
static void copy_norm(char *out, size_t len, const char *in, int numbers_to_hash) {
    size_t j = 0;
    int in_word = 0; /* inside a word that began with a letter or '_' */
    for (const char *p = in; *p && j + 1 < len; p++) {
        char c = *p;
        if (numbers_to_hash && c >= '0' && c <= '9' && !in_word) {
            if (j == 0 || out[j - 1] != '#') out[j++] = '#';
            continue;
        }
        in_word = is_word(c) && (in_word || !(c >= '0' && c <= '9'));
        int ok = is_word(c) || c == '.' || c == '-' || c == ',' || c == ':' || c == '=' || c == '#' || c == '<' ||
                 c == '>';
        out[j++] = ok ? c : '-';
    }
    out[j] = 0;
}

void fasv_signature(fasv_prop kind, const fasv_device *d, const fasv_node *n, const fasv_route *r,
                    const char *reason, char *out, size_t len) {
    char arch[48], key[FASV_KEY_LEN], why[128];
    copy_norm(arch, sizeof arch, d ? d->arch : "any", 0);
    copy_norm(why, sizeof why, reason && reason[0] ? reason : "-", 1);
    if (kind == FASV_PROP_DETERMINISM) {
        /* the instability is the bug, not the shape it showed on: which route
         * fields differ, per architecture family (the first plan's family,
         * instance, head sizes and types vary from hit to hit) */
        snprintf(out, len, "%s/%s/*:*/d*/*/%s", fasv_prop_name(kind), arch, why);
        return;
    }
    copy_norm(key, sizeof key, r && r->key[0] ? r->key : "-", 0);
    snprintf(out, len, "%s/%s/%s:%s/d%lldx%lld/%s,%s/%s", fasv_prop_name(kind), arch,
             fasv_family_name(r ? r->family : FASV_FAM_NONE), key, (long long)fasv_dk(n), (long long)fasv_dv(n),
             fasv_type_name(n->k.type), fasv_type_name(n->v.type), why);
}

/* The route fields in which a and b differ, comma-separated ("" when equal). */
static void route_diff(const fasv_route *a, const fasv_route *b, char *out, size_t len) {
    static const char *names[] = {"family", "instance", "key", "ncols1", "ncols2", "kv_tile", "n_split",
                                  "threads", "smem", "scratch", "eff_type_k", "eff_type_v", "reason"};
    int differ[13] = {a->family != b->family, a->instance != b->instance, strcmp(a->key, b->key) != 0,
                      a->ncols1 != b->ncols1, a->ncols2 != b->ncols2, a->kv_tile != b->kv_tile,
                      a->n_split != b->n_split, a->threads != b->threads, a->smem_bytes != b->smem_bytes,
                      a->scratch_bytes != b->scratch_bytes, a->eff_type_k != b->eff_type_k,
                      a->eff_type_v != b->eff_type_v, strcmp(a->reason, b->reason) != 0};
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < 13; i++)
        if (differ[i] && used + 1 < len) {
            int w = snprintf(out + used, len - used, "%s%s", used ? "," : "", names[i]);
            if (w > 0) used += (size_t)w;
        }
}

/* Well-formedness; returns a reason or NULL. */
static const char *malformed(const fasv_target *t, const fasv_route *r) {
    if ((unsigned)r->family >= FASV_FAM_COUNT) return "route names an unknown kernel family";
    /* NONE is always a possible answer, whether or not the mask lists it. */
    if (r->family != FASV_FAM_NONE && t->families && !(t->families & (1u << r->family)))
        return "route names a family the target does not have";
    if (memchr(r->key, 0, sizeof r->key) == NULL || memchr(r->reason, 0, sizeof r->reason) == NULL)
        return "route strings are not terminated";
    if (r->family == FASV_FAM_NONE) return r->reason[0] ? NULL : "NONE without a reason";
    if (r->ncols1 < 1 || r->ncols2 < 1) return "route has fewer than one column per block";
    if (r->n_split < 1) return "route has a split count below 1";
    if (r->kv_tile < 0 || r->threads < 0) return "route has a negative tile or thread count";
    if (r->smem_bytes < 0 || r->scratch_bytes < 0) return "route has negative shared-memory or scratch bytes";
    if (r->eff_type_k < -1 || r->eff_type_k >= FASV_TYPE_COUNT || r->eff_type_v < -1 ||
        r->eff_type_v >= FASV_TYPE_COUNT)
        return "route has an unknown effective type";
    return NULL;
}

static fasv_verdict violation(fasv_finding *f, fasv_prop kind, const fasv_device *d, const fasv_node *n,
                              const char *reason, const char *detail) {
    f->kind = kind;
    snprintf(f->detail, sizeof f->detail, "%s", detail);
    fasv_signature(kind, d, n, &f->route, reason, f->signature, sizeof f->signature);
    return FASV_VIOLATION;
}

/* Called once per device for every fuzzer execution: it clears only what it
 * reads back (a finding's strings are written before they are read), not
 * whole buffers. The two routes handed to the planner are zero-filled, so
 * they are fully defined whatever the planner leaves unset. */
fasv_verdict fasv_check_route(const fasv_target *t, const fasv_device *d, const fasv_node *n, fasv_finding *f) {
    f->kind = FASV_PROP_OK;
    f->device = d;
    f->detail[0] = 0;
    f->signature[0] = 0;
    if (t->supports_device && !t->supports_device(t->ctx, d)) {
        memset(&f->route, 0, sizeof f->route);
        f->route.family = FASV_FAM_NONE;
        f->route.instance = -1;
        snprintf(f->detail, sizeof f->detail, "%s does not plan for %s", t->name, d->name);
        return FASV_OUTSIDE;
    }
    char why[FASV_DETAIL_LEN];
    why[0] = 0;
    int inside = t->envelope ? t->envelope(t->ctx, d, n, why, sizeof why) : 1;

    /* the first plan goes straight into the finding */
    fasv_route *a = &f->route, b;
    memset(a, 0, sizeof *a);
    memset(&b, 0, sizeof b);
    t->plan(t->ctx, d, n, a);
    t->plan(t->ctx, d, n, &b);
    char detail[FASV_DETAIL_LEN];
    const char *bad = malformed(t, a);
    if (bad) {
        if (a->reason[0])
            snprintf(detail, sizeof detail, "malformed route: %s (%.400s)", bad, a->reason);
        else
            snprintf(detail, sizeof detail, "malformed route: %s", bad);
        return violation(f, FASV_PROP_BAD_ROUTE, d, n, bad, detail);
    }
    char diff[160];
    route_diff(a, &b, diff, sizeof diff);
    if (diff[0]) {
        char ra[512], rb[512], why[200];
        fasv_route_format(a, ra, sizeof ra);
        fasv_route_format(&b, rb, sizeof rb);
        snprintf(detail, sizeof detail, "two plans of the same node differ: [%.200s] then [%.200s]", ra, rb);
        snprintf(why, sizeof why, "plans differ in %s", diff);
        return violation(f, FASV_PROP_DETERMINISM, d, n, why, detail);
    }
    if (a->family == FASV_FAM_NONE) {
        if (!inside) {
            snprintf(f->detail, sizeof f->detail, "outside envelope: %.400s", why);
            return FASV_OUTSIDE;
        }
        snprintf(detail, sizeof detail, "inside the envelope but no kernel selected: %s", a->reason);
        return violation(f, FASV_PROP_TOTALITY, d, n, a->reason, detail);
    }
    if (t->contract) {
        char cwhy[FASV_DETAIL_LEN];
        cwhy[0] = 0;
        if (t->contract(t->ctx, d, n, a, cwhy, sizeof cwhy) != 0) {
            snprintf(detail, sizeof detail, "route %.60s breaks its kernel's contract: %.400s", a->key, cwhy);
            return violation(f, FASV_PROP_CONTRACT, d, n, cwhy, detail);
        }
    }
    if (!inside) {
        snprintf(f->detail, sizeof f->detail, "outside envelope (routed anyway): %.400s", why);
        return FASV_OUTSIDE;
    }
    return FASV_CLEAN;
}

static void explain_tensor(FILE *f, const fasv_node *n, fasv_tid id) {
    const fasv_tensor *t = &n->t[id];
    if (!fasv_node_has(n, id)) {
        fprintf(f, "  %-6s none\n", fasv_tid_name(id));
        return;
    }
    fprintf(f, "  %-6s %-5s ne=[%lld,%lld,%lld,%lld] nb=[%lld,%lld,%lld,%lld] off=%lld", fasv_tid_name(id),
            fasv_type_name(t->type), (long long)t->ne[0], (long long)t->ne[1], (long long)t->ne[2],
            (long long)t->ne[3], (long long)t->nb[0], (long long)t->nb[1], (long long)t->nb[2], (long long)t->nb[3],
            (long long)t->offset);
    if (t->buf != (int)id)
        fprintf(f, " (view in %s's buffer)", fasv_tid_name((fasv_tid)t->buf));
    else
        fprintf(f, " buf=%lld", (long long)t->buf_bytes);
    fputc('\n', f);
}

void fasv_explain(FILE *f, const fasv_device *d, const fasv_node *n, const fasv_route *r) {
    fprintf(f, "  device %s (%s %s, warp %d, smem/block %d, matrix cores %s)\n", d->name, fasv_vendor_name(d->vendor),
            d->arch, d->warp_size, d->smem_per_block, fasv_mc_name(d->mc));
    for (int id = 0; id < FASV_NT; id++) explain_tensor(f, n, (fasv_tid)id);
    fprintf(f, "  shape  Dk=%lld Dv=%lld n_q=%lld n_kv=%lld n_head=%lld n_head_kv=%lld (gqa %lld) n_seq=%lld n_seq_k=%lld\n",
            (long long)fasv_dk(n), (long long)fasv_dv(n), (long long)fasv_nq(n), (long long)fasv_nkv(n),
            (long long)fasv_nhead(n), (long long)fasv_nhead_kv(n), (long long)fasv_gqa(n), (long long)fasv_nseq(n),
            (long long)fasv_nseq_kv(n));
    fprintf(f, "  types  K raw=%s effective=%s, V raw=%s effective=%s\n", fasv_type_name(n->k.type),
            r->eff_type_k >= 0 ? fasv_type_name((fasv_type)r->eff_type_k) : "?", fasv_type_name(n->v.type),
            r->eff_type_v >= 0 ? fasv_type_name((fasv_type)r->eff_type_v) : "?");
    fprintf(f, "  params scale=%g max_bias=%g softcap=%g prec=%s\n", (double)n->scale, (double)n->max_bias,
            (double)n->softcap, fasv_prec_name(n->prec));
    char rb[512];
    fasv_route_format(r, rb, sizeof rb);
    fprintf(f, "  kernel %s\n", r->family == FASV_FAM_NONE ? "NONE" : rb);
    if (r->reason[0]) fprintf(f, "  reason %s\n", r->reason);
}
