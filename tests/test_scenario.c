/* test_scenario.c — the scenario format, the model zoo, the KV-cache cell
 * model and event expansion, against hand-computed values.
 *
 * Expected numbers below are worked out by hand from llama.cpp's rules (see
 * docs/scenarios.md), not by running the code under test. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "../scenario/kvcache.h"
#include "check.h"
#include "fasv/scenario.h"

/* ---- zoo ------------------------------------------------------------------------ */

static void test_zoo(void) {
    /* facts copied from the configs (independently of zoo.c's tables) */
    const fasv_model *g4 = fasv_model_find("gemma4-31b");
    CHECK(g4 != NULL);
    if (g4) {
        CHECK(g4->n_layers == 60 && g4->n_kinds == 2);
        CHECK(g4->kind[1].window == 1024 && g4->kind[1].n_head == 32 && g4->kind[1].n_head_kv == 16 &&
              g4->kind[1].dk == 256 && g4->kind[1].dv == 256 && !g4->kind[1].v_is_k);
        CHECK(g4->kind[0].window == 0 && g4->kind[0].n_head_kv == 4 && g4->kind[0].dk == 512 && g4->kind[0].v_is_k);
        CHECK(g4->mtp == FASV_MTP_TARGET && g4->n_mtp_kinds == 2);
    }
    const fasv_model *ds = fasv_model_find("deepseek-v3");
    CHECK(ds && ds->kind[0].dk == 576 && ds->kind[0].dv == 512 && ds->kind[0].n_head == 128 &&
          ds->kind[0].n_head_kv == 1 && ds->kind[0].v_is_k && ds->mtp == FASV_MTP_OWN);
    const fasv_model *glm = fasv_model_find("glm-4.7-flash");
    CHECK(glm && glm->kind[0].n_head / glm->kind[0].n_head_kv == 20 && glm->kind[0].dk == 576);
    const fasv_model *m4 = fasv_model_find("mistral-small-4");
    CHECK(m4 && m4->kind[0].dk == 320 && m4->kind[0].dv == 256 && m4->kind[0].v_is_k);
    const fasv_model *oss = fasv_model_find("gpt-oss-20b");
    CHECK(oss && oss->kind[0].sinks && oss->kind[1].sinks && oss->kind[1].window == 128 && oss->kind[0].dk == 64);
    const fasv_model *g2 = fasv_model_find("gemma2-9b");
    CHECK(g2 && g2->kind[0].softcap == 50.0f && g2->kind[1].softcap == 50.0f && g2->kind[1].window == 4096);
    const fasv_model *mpt = fasv_model_find("mpt-7b");
    CHECK(mpt && mpt->kind[0].max_bias == 8.0f);
    const fasv_model *v2 = fasv_model_find("deepseek-v2-lite");
    CHECK(v2 && v2->kind[0].dk == 192 && v2->kind[0].dv == 128);
    CHECK(fasv_model_find("llama3-8b") && fasv_model_find("llama3-70b") && fasv_model_find("qwen3-8b") &&
          fasv_model_find("gemma3-27b"));
    CHECK(fasv_model_find("no-such-model") == NULL);

    /* every entry: kinds count the layers, and the sliding pattern gives the same split */
    int n;
    const fasv_model *m = fasv_models(&n);
    CHECK(n >= 12);
    for (int i = 0; i < n; i++) {
        int sum = 0;
        for (int k = 0; k < m[i].n_kinds; k++) sum += m[i].kind[k].n_layers;
        CHECKF(sum == m[i].n_layers, "%s: kinds count %d layers of %d", m[i].name, sum, m[i].n_layers);
        if (m[i].swa_period > 0) {
            int glob = 0;
            for (int il = 0; il < m[i].n_layers; il++) glob += il % m[i].swa_period == m[i].swa_period - 1;
            CHECKF(glob == m[i].kind[0].n_layers && m[i].kind[1].window > 0, "%s: pattern gives %d global layers",
                   m[i].name, glob);
        }
        CHECKF(m[i].source && strlen(m[i].source) > 5, "%s names no source", m[i].name);
    }
}

/* ---- format ----------------------------------------------------------------------- */

static int parse_str(const char *text, fasv_scenario *s, char *err, size_t len) {
    return fasv_scenario_parse(text, strlen(text), "t.scenario", s, err, len);
}

static void test_format_errors(void) {
    static const struct {
        const char *text;
        const char *where; /* "t.scenario:LINE:" */
        const char *what;
    } bad[] = {
        {"", "t.scenario:1:", "header"},
        {"fasv-scenario 2\nmodel llama3-8b\n", "t.scenario:1:", "version"},
        {"fasv-scenario 1\nmodel nope\n", "t.scenario:2:", "unknown model"},
        {"fasv-scenario 1\nmodel llama3-8b\nctx 0\n", "t.scenario:3:", "ctx"},
        {"fasv-scenario 1\nmodel llama3-8b\nprefill 10\nctx 100\n", "t.scenario:4:", "before the first event"},
        {"fasv-scenario 1\nmodel llama3-8b\nprefill ten\n", "t.scenario:3:", "token count"},
        {"fasv-scenario 1\nmodel llama3-8b\n\n# c\ndraft 4 accept 2\n", "t.scenario:5:", "speculative"},
        {"fasv-scenario 1\nmodel llama3-8b\nspec mtp 4\n", "t.scenario:", "no MTP head"},
        {"fasv-scenario 1\nmodel gemma4-31b\nspec mtp 4\ndraft 5 accept 1\n", "t.scenario:4:", "exceeds the draft"},
        {"fasv-scenario 1\nmodel llama3-8b\ndraft 4 accept 5\n", "t.scenario:3:", "exceeds the draft length"},
        {"fasv-scenario 1\nmodel llama3-8b\nrestore 9 3\n", "t.scenario:3:", "POS_MIN"},
        {"fasv-scenario 1\nmodel llama3-8b\nprefill 5 slot 1\n", "t.scenario:3:", "slot 1 does not exist"},
        {"fasv-scenario 1\nmodel llama3-8b\nprefill 5 slot all\n", "t.scenario:3:", "slot all"},
        {"fasv-scenario 1\nmodel llama3-8b\ndevices gfx1100,nope\n", "t.scenario:3:", "unknown device"},
        {"fasv-scenario 1\nmodel llama3-8b\ndevices gfx1100,gfx1100\nsplit tensor 1,1,1\n", "t.scenario:4:",
         "3 ratios for 2 devices"},
        {"fasv-scenario 1\nmodel llama3-8b\nctx 10\nctx 20\n", "t.scenario:4:", "twice"},
        {"fasv-scenario 1\nmodel llama3-8b\ncache-type-k f32\n", "t.scenario:3:", "cache-type-k"},
        {"fasv-scenario 1\nmodel llama3-8b\nfrobnicate 3\n", "t.scenario:3:", "unknown statement"},
        {"fasv-scenario 1\nmodel custom\nkind global heads=32 kv-heads=5 dk=128\n", "t.scenario:3:", "does not divide"},
        {"fasv-scenario 1\nmodel custom\n", "t.scenario:", "no 'kind'"},
        {"fasv-scenario 1\nmodel llama3-8b\nprefill 5 x 0\n", "t.scenario:3:", "repeat"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fasv_scenario s;
        char err[512] = "";
        int rc = parse_str(bad[i].text, &s, err, sizeof err);
        CHECKF(rc != 0, "case %zu parsed", i);
        if (rc == 0) {
            fasv_scenario_free(&s);
            continue;
        }
        CHECKF(strncmp(err, bad[i].where, strlen(bad[i].where)) == 0, "case %zu: '%s' does not start with %s", i, err,
               bad[i].where);
        CHECKF(strstr(err, bad[i].what) != NULL, "case %zu: '%s' does not mention '%s'", i, err, bad[i].what);
    }
}

static void test_format_roundtrip(void) {
    /* every corpus scenario: print(parse(text)) is a fixed point, and parsing it gives the same record */
    DIR *d = opendir("corpus/scenarios");
    CHECK(d != NULL);
    if (!d) return;
    int files = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 10 || strcmp(de->d_name + l - 9, ".scenario") != 0) continue;
        char path[512], err[512];
        snprintf(path, sizeof path, "corpus/scenarios/%s", de->d_name);
        fasv_scenario a, b;
        CHECKF(fasv_scenario_load(path, &a, err, sizeof err) == 0, "%s", err);
        char *t1 = fasv_scenario_to_string(&a);
        CHECK(t1 != NULL);
        CHECKF(fasv_scenario_parse(t1, strlen(t1), path, &b, err, sizeof err) == 0, "reparse: %s", err);
        char *t2 = fasv_scenario_to_string(&b);
        CHECKF(t1 && t2 && strcmp(t1, t2) == 0, "%s: printing is not a fixed point", path);
        CHECK(a.n_ev == b.n_ev && memcmp(&a.set, &b.set, sizeof a.set) == 0);
        for (int i = 0; i < a.n_ev && i < b.n_ev; i++)
            CHECK(a.ev[i].type == b.ev[i].type && a.ev[i].n == b.ev[i].n && a.ev[i].a == b.ev[i].a &&
                  a.ev[i].repeat == b.ev[i].repeat && a.ev[i].slot == b.ev[i].slot);
        free(t1);
        free(t2);
        fasv_scenario_free(&a);
        fasv_scenario_free(&b);
        files++;
    }
    closedir(d);
    CHECKF(files >= 11, "only %d corpus scenarios", files);

    /* a custom model survives the round trip */
    const char *txt = "fasv-scenario 1\n# custom\nmodel custom\nswa-period 3\n"
                      "kind global layers=4 heads=24 kv-heads=6 dk=96 dv=64 softcap=30 scale=0.125\n"
                      "kind sliding layers=8 heads=24 kv-heads=6 dk=96 dv=64 window=333 sinks\n"
                      "prefill 40 x 2\ndecode 3\n";
    fasv_scenario s, s2;
    char err[512];
    CHECKF(parse_str(txt, &s, err, sizeof err) == 0, "%s", err);
    char *t = fasv_scenario_to_string(&s);
    CHECK(t && parse_str(t, &s2, err, sizeof err) == 0);
    if (t) {
        CHECK(s2.model.n_kinds == 2 && s2.model.kind[0].dk == 96 && s2.model.kind[0].dv == 64 &&
              s2.model.kind[0].softcap == 30.0f && s2.model.kind[0].scale == 0.125f && s2.model.kind[1].window == 333 &&
              s2.model.kind[1].sinks && s2.model.swa_period == 3 && s2.ev[0].repeat == 2);
        fasv_scenario_free(&s2);
    }
    free(t);
    fasv_scenario_free(&s);

    /* events: text form and back */
    const char *evs[] = {"prefill 1807", "decode 4 x 3 slot all", "draft 10 accept 6 x 50", "reuse 0 slot 2",
                         "restore 271 1806", "shift 100 keep 4", "clear slot 1"};
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        fasv_event e;
        char buf[128];
        CHECKF(fasv_event_parse(evs[i], &e, err, sizeof err) == 0, "%s: %s", evs[i], err);
        fasv_event_format(&e, buf, sizeof buf);
        CHECKF(strcmp(buf, evs[i]) == 0, "'%s' printed as '%s'", evs[i], buf);
    }
}

/* ---- the KV-cache cell model --------------------------------------------------------- */

static void test_kvcache(void) {
    /* Gemma 4's sliding-window cache: 1024 + 512 cells, window 1024 */
    kv_cache c;
    CHECK(kv_init(&c, 1536, 1, 1024) == 0);
    CHECK(kv_place(&c, 0, 0, 0, 512, 0) == 0 && c.hwm[0] == 512);
    CHECK(kv_place(&c, 0, 0, 512, 512, 0) == 0 && c.hwm[0] == 1024);
    CHECK(kv_place(&c, 0, 0, 1024, 512, 0) == 0 && c.hwm[0] == 1536);
    /* full; positions <= 1535 + 1 - 1024 = 512 are masked for good: 513 reusable cells */
    CHECK(kv_usable(&c, 0) == 513);
    CHECK(kv_place(&c, 0, 0, 1536, 271, 0) == 0 && c.hwm[0] == 1536 && c.used[0] == 1536);
    CHECK(kv_pos_min(&c, 0, 0) == 271 && kv_pos_max(&c, 0, 0) == 1806);
    /* more than the reusable cells does not fit: after pos 1806, p <= 783 is masked: cells of 271..783 */
    CHECK(kv_usable(&c, 0) == 513);
    CHECK(kv_place(&c, 0, 0, 1807, 514, 0) == -1 && kv_pos_max(&c, 0, 0) == 1806);
    /* n_kv policy */
    CHECK(kv_n_kv(&c, 0, 1) == 1536 && kv_n_kv(&c, 0, 256) == 1536);
    kv_seq_rm(&c, 0, 0, 1500, -1); /* positions 1500..1806 live in cells 1500..1535 and 0..270 */
    CHECK(c.used[0] == 1536 - 307 && c.hwm[0] == 1500);
    CHECK(kv_n_kv(&c, 0, 1) == 1500 && kv_n_kv(&c, 0, 256) == 1536 && kv_n_kv(&c, 0, 512) == 1536);
    CHECK(c.head[0] == 0); /* pulled back to the first freed cell */
    kv_free(&c);

    /* a global cache: a removal in the middle leaves holes, the high-water mark stays */
    CHECK(kv_init(&c, 4096, 1, 0) == 0);
    CHECK(kv_place(&c, 0, 0, 0, 3000, 0) == 0);
    kv_seq_rm(&c, 0, 0, 100, 1100);
    kv_seq_add(&c, 0, 0, 1100, -1, -1000);
    CHECK(c.hwm[0] == 3000 && c.used[0] == 2000 && kv_pos_max(&c, 0, 0) == 1999);
    CHECK(kv_place(&c, 0, 0, 2000, 10, 0) == 0 && c.hwm[0] == 3000); /* fills the hole at 100 */
    CHECK(kv_n_kv(&c, 0, 1) == 3000 && kv_n_kv(&c, 0, 256) == 3072);
    kv_free(&c);

    /* contiguous placement skips a run that is too short */
    CHECK(kv_init(&c, 16, 1, 0) == 0);
    CHECK(kv_place(&c, 0, 0, 0, 16, 0) == 0);
    kv_seq_rm(&c, 0, 0, 2, 4);  /* cells 2,3 */
    kv_seq_rm(&c, 0, 0, 8, 13); /* cells 8..12 */
    CHECK(kv_place(&c, 0, 1, 0, 4, 1) == 0 && c.slot[8] == 1 && c.slot[11] == 1 && c.pos[2] == -1);
    CHECK(kv_place(&c, 0, 1, 4, 3, 1) == -1);
    kv_free(&c);
}

/* ---- expansion ------------------------------------------------------------------------ */

typedef struct rec {
    int n;
    fasv_scn_node v[8192];
} rec;

static int record(void *ctx, const fasv_scn_node *sn) {
    rec *r = ctx;
    if (r->n < (int)(sizeof r->v / sizeof r->v[0])) r->v[r->n++] = *sn;
    return 0;
}

/* the compute nodes of event ev (1-based line order), part, kind name, gpu */
static const fasv_scn_node *find(const rec *r, int event, fasv_graph g, fasv_part part, const char *kind, int gpu,
                                 int nth) {
    for (int i = 0; i < r->n; i++) {
        const fasv_scn_node *x = &r->v[i];
        if (x->event == event && x->graph == g && x->part == part && strcmp(x->lk->name, kind) == 0 &&
            x->shard == gpu && nth-- == 0)
            return x;
    }
    return NULL;
}

static rec g_rec;

static void test_expand_seed(void) {
    fasv_scenario s;
    char err[512];
    CHECKF(fasv_scenario_load("corpus/scenarios/seed-gemma4-mtp-tp2.scenario", &s, err, sizeof err) == 0, "%s", err);
    rec *r = &g_rec;
    r->n = 0;
    fasv_scn_expand_stats st;
    CHECKF(fasv_scenario_expand(&s, NULL, record, r, &st, err, sizeof err) == 0, "%s", err);

    /* reserve: target pp/tg/verify + mtp pp/tg, 2 kinds, 2 GPUs */
    int nres = 0;
    for (int i = 0; i < r->n; i++) nres += r->v[i].phase == FASV_PHASE_RESERVE;
    CHECK(nres == (3 + 2) * 2 * 2);
    for (int i = 0; i < nres; i++) {
        const fasv_scn_node *x = &r->v[i];
        /* sliding cache: PAD(min(32768, 1024 + 512), 256) = 1536 cells; global: 32768 */
        CHECK(x->n_kv == (x->lk->window ? 1536 : 32768));
        CHECK(x->n_q == (x->graph == FASV_G_PP ? 512 : x->graph == FASV_G_VERIFY ? 11 : 1));
        /* tensor split 1,1: half the heads on each GPU */
        CHECK(x->n_head == 16 && x->n_head_kv == (x->lk->window ? 8 : 2));
        CHECK(x->head0 == 16 * x->shard && x->kv_head0 == x->n_head_kv * x->shard);
    }

    /* event 0 'prefill 1807': ubatches 512, 512, 512, 271; sliding n_kv 512, 1024, 1536, 1536 */
    int64_t want_q[] = {512, 512, 512, 271}, want_swa[] = {512, 1024, 1536, 1536}, want_glob[] = {512, 1024, 1536, 1807};
    for (int k = 0; k < 4; k++) {
        const fasv_scn_node *a = find(r, 0, FASV_G_PREFILL, FASV_PART_TARGET, "sliding", 1, k);
        const fasv_scn_node *b = find(r, 0, FASV_G_PREFILL, FASV_PART_TARGET, "global", 0, k);
        CHECK(a && b);
        if (a && b) {
            CHECKF(a->n_q == want_q[k] && a->n_kv == want_swa[k], "ubatch %d: n_q %lld n_kv %lld", k,
                   (long long)a->n_q, (long long)a->n_kv);
            CHECK(b->n_q == want_q[k] && b->n_kv == want_glob[k]);
        }
    }
    /* event 1 'draft 10 accept 6 x 50', first round: 10 MTP steps reading the target's caches at
     * n_kv 1807 / 1536, then the verify batch of 11 at positions 1807..1817 */
    const fasv_scn_node *d0 = find(r, 1, FASV_G_DRAFT, FASV_PART_MTP, "global", 0, 0);
    const fasv_scn_node *d9 = find(r, 1, FASV_G_DRAFT, FASV_PART_MTP, "sliding", 0, 9);
    const fasv_scn_node *v0 = find(r, 1, FASV_G_VERIFY, FASV_PART_TARGET, "global", 0, 0);
    const fasv_scn_node *v1 = find(r, 1, FASV_G_VERIFY, FASV_PART_TARGET, "global", 0, 1);
    CHECK(d0 && d0->n_q == 1 && d0->n_kv == 1807 && d9 && d9->n_kv == 1536 && d9->rep == 0);
    CHECK(v0 && v0->n_q == 11 && v0->n_kv == 1818);
    /* second round: 7 tokens were kept (the sampled one and 6 drafts): 1814 + 11 */
    CHECK(v1 && v1->rep == 1 && v1->n_kv == 1825);

    /* event 4 'restore 271 1806': then 'prefill 612' (event 5): the checkpoint holds positions
     * 783..1806 (1024 cells); the first ubatch brings the sliding cache to 1536, the second (100)
     * reuses masked cells */
    const fasv_scn_node *p0 = find(r, 5, FASV_G_PREFILL, FASV_PART_TARGET, "sliding", 0, 0);
    const fasv_scn_node *p1 = find(r, 5, FASV_G_PREFILL, FASV_PART_TARGET, "sliding", 0, 1);
    const fasv_scn_node *g0 = find(r, 5, FASV_G_PREFILL, FASV_PART_TARGET, "global", 0, 0);
    CHECK(p0 && p0->n_q == 512 && p0->n_kv == 1536 && p1 && p1->n_q == 100 && p1->n_kv == 1536);
    CHECK(g0 && g0->n_kv == 1807 + 512);
    /* event 9 'prefill 357' after 'restore 883 2418': sliding n_kv 1024 + 357 = 1381 (not a multiple of 256) */
    const fasv_scn_node *q = find(r, 9, FASV_G_PREFILL, FASV_PART_TARGET, "sliding", 1, 0);
    CHECK(q && q->n_q == 357 && q->n_kv == 1381 && q->used == 1381);
    /* its node: K a view of 8 KV heads of a 1536-cell cache, q permuted, mask unpadded */
    if (q) {
        fasv_case c;
        CHECK(fasv_scn_node_case(&s, q, &c, err, sizeof err) == 0);
        const fasv_node *n = &c.node;
        CHECK(fasv_dk(n) == 256 && fasv_nq(n) == 357 && fasv_nkv(n) == 1381 && fasv_nhead(n) == 16 &&
              fasv_nhead_kv(n) == 8);
        CHECK(n->k.nb[1] == 8 * 256 * 2 && n->k.nb[2] == 256 * 2 && n->k.buf_bytes >= 1536 * 8 * 256 * 2);
        CHECK(n->q.nb[2] == 256 * 4 && n->q.nb[1] == 16 * 256 * 4); /* [Dk, n_head, n_q] in memory */
        CHECK(n->has_mask && n->mask.ne[0] == 1381 && n->mask.ne[1] == 357);
        CHECK(strcmp(c.device, "gfx1100") == 0);
        CHECK(fasv_node_check(n, err, sizeof err) == FASV_LEGAL);
    }
    /* every node of the scenario is legal */
    int illegal = 0;
    for (int i = 0; i < r->n; i++) {
        fasv_case c;
        if (fasv_scn_node_case(&s, &r->v[i], &c, err, sizeof err) || fasv_node_check(&c.node, err, sizeof err))
            illegal++;
    }
    CHECKF(illegal == 0, "%d illegal nodes", illegal);
    CHECK(st.events == 194);
    fasv_scenario_free(&s);
}

static void test_expand_streams(void) {
    /* four slots in separate streams of 4096 cells; 'decode 30 slot all' is one graph over 4 streams */
    fasv_scenario s;
    char err[512];
    CHECKF(fasv_scenario_load("corpus/scenarios/llama3-8b-np4-streams.scenario", &s, err, sizeof err) == 0, "%s", err);
    rec *r = &g_rec;
    r->n = 0;
    CHECKF(fasv_scenario_expand(&s, NULL, record, r, NULL, err, sizeof err) == 0, "%s", err);
    const fasv_scn_node *tg = NULL, *all = NULL, *one = NULL;
    for (int i = 0; i < r->n; i++) {
        const fasv_scn_node *x = &r->v[i];
        if (x->phase == FASV_PHASE_RESERVE && x->graph == FASV_G_TG) tg = x;
        if (x->event == 4 && !all) all = x;
        if (x->event == 5 && !one) one = x; /* decode 7 slot 2 */
    }
    CHECK(tg && tg->n_stream == 4 && tg->n_kv == 4096 && tg->capacity == 4096);
    /* slots hold 1000, 250, 3, 2049 tokens: after one step the largest stream reaches 2050 -> 2304 */
    CHECK(all && all->n_stream == 4 && all->stream0 == 0 && all->n_q == 1 && all->n_kv == 2304);
    /* slot 2 alone (33 tokens after 30 steps, then one more): stream 2, n_kv padded to 256 */
    CHECK(one && one->n_stream == 1 && one->stream0 == 2 && one->n_kv == 256);
    if (one) {
        fasv_case c;
        CHECK(fasv_scn_node_case(&s, one, &c, err, sizeof err) == 0);
        CHECK(c.node.k.offset == 2 * c.node.k.nb[3] && c.node.v.offset == 2 * c.node.v.nb[3]);
        CHECK(fasv_node_check(&c.node, err, sizeof err) == FASV_LEGAL);
    }
    fasv_scenario_free(&s);
}

static void test_split(void) {
    /* heads over GPUs: ratios 3,2 on 40 KV heads -> 24 + 16; MLA (one KV head) over 8 GPUs -> 16 query
     * heads each; layer split 3,1 of Qwen3's 48 layers -> both GPUs have the (only) kind */
    struct {
        const char *file;
        int want_shards;
        int heads[8];
    } t[] = {
        {"corpus/scenarios/alibi-mpt-baichuan-tp2.scenario", 2, {24, 16}},
        {"corpus/scenarios/deepseek-v3-mtp-tp8.scenario", 8, {16, 16, 16, 16, 16, 16, 16, 16}},
        {"corpus/scenarios/qwen3-30b-layer-mixed.scenario", 2, {32, 32}},
        {"corpus/scenarios/glm47-flash-mtp-tp2.scenario", 2, {10, 10}},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        fasv_scenario s;
        char err[512];
        CHECKF(fasv_scenario_load(t[i].file, &s, err, sizeof err) == 0, "%s", err);
        rec *r = &g_rec;
        r->n = 0;
        CHECK(fasv_scenario_expand(&s, NULL, record, r, NULL, err, sizeof err) == 0);
        int seen = 0;
        for (int k = 0; k < r->n && r->v[k].phase == FASV_PHASE_RESERVE; k++) {
            const fasv_scn_node *x = &r->v[k];
            if (x->part != FASV_PART_TARGET || x->graph != FASV_G_PP) continue;
            CHECKF(x->n_head == t[i].heads[x->shard], "%s: GPU %d has %d heads", t[i].file, x->shard, x->n_head);
            seen++;
        }
        CHECKF(seen == t[i].want_shards, "%s: %d shards", t[i].file, seen);
        fasv_scenario_free(&s);
    }
    /* Gemma 3 27B split by layers 1,1: 31 layers each, and both halves hold global layers (5, 11, ..., 59) */
    fasv_scenario s;
    char err[512];
    CHECK(fasv_scenario_load("corpus/scenarios/gemma3-27b-long-ctx.scenario", &s, err, sizeof err) == 0);
    rec *r = &g_rec;
    r->n = 0;
    CHECK(fasv_scenario_expand(&s, NULL, record, r, NULL, err, sizeof err) == 0);
    int kinds_on[2][2] = {{0}};
    for (int k = 0; k < r->n; k++)
        if (r->v[k].phase == FASV_PHASE_RESERVE) kinds_on[r->v[k].shard][r->v[k].kind] = 1;
    CHECK(kinds_on[0][0] && kinds_on[0][1] && kinds_on[1][0] && kinds_on[1][1]);
    fasv_scenario_free(&s);
}

static void test_strict_errors(void) {
    /* events that cannot be applied: FILE:LINE in strict mode, cut short when lenient */
    static const struct {
        const char *text;
        int line;
        const char *what;
    } t[] = {
        {"fasv-scenario 1\nmodel llama3-8b\nctx 1000\nprefill 900\nprefill 200\n", 5, "no room"},
        {"fasv-scenario 1\nmodel llama3-8b\nprefill 10\nrestore 0 20\n", 4, "holds positions below 10"},
        {"fasv-scenario 1\nmodel gemma3-12b\nprefill 3000\nshift 10 keep 4\n", 4, "sliding-window"},
        {"fasv-scenario 1\nmodel gemma3-12b\nprefill 3000\nreuse 1000\n", 4, "restores a checkpoint"},
        {"fasv-scenario 1\nmodel gemma4-31b\nspec mtp 4\ndraft 4 accept 1\n", 4, "no tokens yet"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        fasv_scenario s;
        char err[512] = "";
        CHECKF(parse_str(t[i].text, &s, err, sizeof err) == 0, "%zu: %s", i, err);
        char want[32];
        snprintf(want, sizeof want, "line %d:", t[i].line);
        int rc = fasv_scenario_expand(&s, NULL, NULL, NULL, NULL, err, sizeof err);
        CHECKF(rc == -1 && strncmp(err, want, strlen(want)) == 0 && strstr(err, t[i].what), "%zu: rc %d '%s'", i, rc,
               err);
        fasv_scn_expand_opts o = {.lenient = true};
        fasv_scn_expand_stats st;
        CHECKF(fasv_scenario_expand(&s, &o, NULL, NULL, &st, err, sizeof err) == 0 && st.skipped == 1,
               "%zu lenient: %s", i, err);
        fasv_scenario_free(&s);
    }
}

int main(void) {
    test_zoo();
    test_format_errors();
    test_format_roundtrip();
    test_kvcache();
    test_expand_seed();
    test_expand_streams();
    test_split();
    test_strict_errors();
    return check_report("test_scenario");
}
