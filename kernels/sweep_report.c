/* sweep_report.c — text, JSON and route-map renderings of a sweep, and the
 * JSON of routes and nodes. See kernels/sweep.h and kernels/report.h. */
#include <stdlib.h>
#include <string.h>

#include "kernels/report.h"
#include "kernels/sweep.h"
#include "kernels/probe.h"

void fasv_json_route(fasv_json *j, const fasv_route *r) {
    fasv_json_obj(j);
    fasv_json_kstr(j, "family", fasv_family_name(r->family));
    fasv_json_kint(j, "instance", r->instance);
    if (r->family != FASV_FAM_NONE) {
        fasv_json_kstr(j, "key", r->key);
        fasv_json_kint(j, "ncols1", r->ncols1);
        fasv_json_kint(j, "ncols2", r->ncols2);
        fasv_json_kint(j, "kv_tile", r->kv_tile);
        fasv_json_kint(j, "n_split", r->n_split);
        fasv_json_kint(j, "threads", r->threads);
        fasv_json_kint(j, "smem_bytes", r->smem_bytes);
        fasv_json_kint(j, "scratch_bytes", r->scratch_bytes);
        fasv_json_kstr(j, "eff_type_k", r->eff_type_k >= 0 ? fasv_type_name((fasv_type)r->eff_type_k) : "?");
        fasv_json_kstr(j, "eff_type_v", r->eff_type_v >= 0 ? fasv_type_name((fasv_type)r->eff_type_v) : "?");
    }
    fasv_json_kstr(j, "reason", r->reason);
    fasv_json_end(j);
}

static void json_i64s(fasv_json *j, const char *k, const int64_t *v, int n) {
    fasv_json_key(j, k);
    fasv_json_arr(j);
    for (int i = 0; i < n; i++) fasv_json_int(j, v[i]);
    fasv_json_end(j);
}

void fasv_json_node(fasv_json *j, const fasv_node *n) {
    fasv_json_obj(j);
    fasv_json_kint(j, "dk", fasv_dk(n));
    fasv_json_kint(j, "dv", fasv_dv(n));
    fasv_json_kint(j, "n_q", fasv_nq(n));
    fasv_json_kint(j, "n_kv", fasv_nkv(n));
    fasv_json_kint(j, "n_head", fasv_nhead(n));
    fasv_json_kint(j, "n_head_kv", fasv_nhead_kv(n));
    fasv_json_kint(j, "n_seq", fasv_nseq(n));
    fasv_json_kint(j, "n_seq_k", fasv_nseq_kv(n));
    for (int id = 0; id < FASV_NT; id++) {
        const fasv_tensor *t = &n->t[id];
        fasv_json_key(j, fasv_tid_name((fasv_tid)id));
        if (!fasv_node_has(n, (fasv_tid)id)) {
            fasv_json_null(j);
            continue;
        }
        fasv_json_obj(j);
        fasv_json_kstr(j, "type", fasv_type_name(t->type));
        json_i64s(j, "ne", t->ne, 4);
        json_i64s(j, "nb", t->nb, 4);
        fasv_json_kint(j, "offset", t->offset);
        if (t->buf != id)
            fasv_json_kstr(j, "view_of", fasv_tid_name((fasv_tid)t->buf));
        else
            fasv_json_kint(j, "buf_bytes", t->buf_bytes);
        fasv_json_end(j);
    }
    fasv_json_knum(j, "scale", n->scale);
    fasv_json_knum(j, "max_bias", n->max_bias);
    fasv_json_knum(j, "softcap", n->softcap);
    fasv_json_kstr(j, "prec", fasv_prec_name(n->prec));
    fasv_json_end(j);
}

/* ---- text ---------------------------------------------------------------- */

static void dev_totals(const fasv_sweep_result *r, int d, int64_t fam[FASV_FAM_COUNT], int64_t *outside,
                       int64_t *viol) {
    memset(fam, 0, sizeof(int64_t) * FASV_FAM_COUNT);
    *outside = *viol = 0;
    for (int h = 0; h < FASV_CL_HEADS; h++)
        for (int q = 0; q < FASV_CL_NQ; q++) {
            const fasv_sweep_cell *c = fasv_sweep_cell_at(r, d, h, q);
            for (int f = 0; f < FASV_FAM_COUNT; f++) fam[f] += c->routes[f];
            *outside += c->outside;
            *viol += c->violations;
        }
}

typedef struct sigcount {
    const char *sig;
    int first;
    int64_t count;
} sigcount;

void fasv_sweep_print(FILE *f, const fasv_sweep_result *r, int limit) {
    fprintf(f, "fasv sweep: target %s, %d device%s, %lld classes (of a %lld-cell product; the rest hold no legal node)\n",
            r->target, r->n_devices, r->n_devices == 1 ? "" : "s", (long long)r->classes, (long long)r->space);
    fprintf(f, "  %lld checks in %.2f s on %d thread%s: %lld clean, %lld outside the envelope, %lld violation%s\n",
            (long long)r->checks, r->seconds, r->threads, r->threads == 1 ? "" : "s", (long long)r->clean,
            (long long)r->outside, (long long)r->violations, r->violations == 1 ? "" : "s");
    fprintf(f, "\nroute histogram (checks by the family of the route):\n");
    fprintf(f, "  %-8s %10s %10s %10s %10s %10s %10s\n", "device", "vec", "tile", "split", "mma", "outside",
            "violations");
    for (int d = 0; d < r->n_devices; d++) {
        int64_t fam[FASV_FAM_COUNT], out, viol;
        dev_totals(r, d, fam, &out, &viol);
        fprintf(f, "  %-8s %10lld %10lld %10lld %10lld %10lld %10lld\n", r->devices[d]->name,
                (long long)fam[FASV_FAM_VEC], (long long)fam[FASV_FAM_TILE], (long long)fam[FASV_FAM_SPLIT],
                (long long)fam[FASV_FAM_MMA], (long long)out, (long long)viol);
    }
    /* Instances, summed over devices. */
    fasv_sweep_keycount agg[FASV_SWEEP_MAX_KEYS * 2];
    int na = 0;
    int64_t other = 0;
    for (int d = 0; d < r->n_devices; d++) {
        other += r->other_keys[d];
        for (int k = 0; k < r->n_keys[d]; k++) {
            const fasv_sweep_keycount *s = &r->keys[(size_t)d * FASV_SWEEP_MAX_KEYS + k];
            int j = 0;
            while (j < na && strcmp(agg[j].key, s->key) != 0) j++;
            if (j == na) {
                if (na == (int)(sizeof agg / sizeof agg[0])) {
                    other += s->count;
                    continue;
                }
                agg[na] = *s;
                agg[na++].count = 0;
            }
            agg[j].count += s->count;
        }
    }
    if (na) {
        fprintf(f, "\ninstances routed to (all devices):\n");
        for (int a = 1; a < na; a++)
            for (int b = a; b > 0 && strcmp(agg[b].key, agg[b - 1].key) < 0; b--) {
                fasv_sweep_keycount t = agg[b];
                agg[b] = agg[b - 1];
                agg[b - 1] = t;
            }
        for (int a = 0; a < na; a++) fprintf(f, "  %-32s %10lld\n", agg[a].key, (long long)agg[a].count);
        if (other) fprintf(f, "  %-32s %10lld\n", "(other keys)", (long long)other);
    }
    if (!r->violations) {
        fprintf(f, "\nno violations\n");
        return;
    }
    /* Signatures of the kept violations. */
    sigcount *sc = calloc((size_t)r->n_viol + 1, sizeof *sc);
    int ns = 0;
    for (int i = 0; sc && i < r->n_viol; i++) {
        const char *s = r->viol[i].finding.signature;
        int j = 0;
        while (j < ns && strcmp(sc[j].sig, s) != 0) j++;
        if (j == ns) {
            sc[ns].sig = s;
            sc[ns].first = i;
            ns++;
        }
        sc[j].count++;
    }
    fprintf(f, "\n%lld violation%s (%d kept); %d signature%s among the kept:\n", (long long)r->violations,
            r->violations == 1 ? "" : "s", r->n_viol, ns, ns == 1 ? "" : "s");
    for (int j = 0; j < ns; j++) fprintf(f, "  %8lld  %s\n", (long long)sc[j].count, sc[j].sig);
    free(sc);
    /* Every kept violation; the first `limit` with the diagnostic block. */
    int full = limit <= 0 || limit > r->n_viol ? r->n_viol : limit;
    fprintf(f, "\n");
    for (int i = 0; i < r->n_viol; i++) {
        const fasv_sweep_violation *v = &r->viol[i];
        char cs[256];
        fasv_class_format(&v->cls, cs, sizeof cs);
        if (i == full)
            fprintf(f, "\n(the remaining violations without their diagnostic block; --limit 0 prints all blocks)\n");
        if (i < full) {
            fprintf(f, "VIOLATION %s on %s, class #%lld: %s\n", fasv_prop_name(v->finding.kind),
                    r->devices[v->device]->name, (long long)v->class_index, cs);
            fprintf(f, "  %s\n", v->finding.detail);
            fprintf(f, "  signature %s\n", v->finding.signature);
            fasv_explain(f, r->devices[v->device], &v->node, &v->finding.route);
        } else {
            fprintf(f, "VIOLATION %s on %s, class #%lld: %s: %s\n", fasv_prop_name(v->finding.kind),
                    r->devices[v->device]->name, (long long)v->class_index, cs, v->finding.detail);
        }
    }
    if (r->n_viol < r->violations)
        fprintf(f, "... and %lld more violation%s not kept (the sweep keeps %d)\n", (long long)(r->violations - r->n_viol),
                r->violations - r->n_viol == 1 ? "" : "s", r->n_viol);
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_fams(fasv_json *j, const int64_t *fam) {
    fasv_json_obj(j);
    for (int f = 1; f < FASV_FAM_COUNT; f++) fasv_json_kint(j, fasv_family_name((fasv_family)f), fam[f]);
    fasv_json_end(j);
}

static int dominant(const fasv_sweep_cell *c) {
    int best = 0;
    int64_t bc = 0;
    for (int f = 1; f < FASV_FAM_COUNT; f++)
        if (c->routes[f] > bc) {
            bc = c->routes[f];
            best = f;
        }
    return best;
}

static const char *cell_state(const fasv_sweep_cell *c) {
    if (c->violations) return "hole";
    int d = dominant(c);
    if (d) return fasv_family_name((fasv_family)d);
    return c->outside ? "outside" : "empty";
}

void fasv_sweep_write_json(FILE *out, const fasv_sweep_result *r) { fasv_sweep_write_json_probe(out, r, NULL); }

void fasv_sweep_write_json_probe(FILE *out, const fasv_sweep_result *r, const fasv_probe_result *probe) {
    fasv_json j;
    fasv_json_init(&j, out, 1);
    fasv_json_obj(&j);
    fasv_json_kstr(&j, "target", r->target);
    fasv_json_kint(&j, "space", r->space);
    fasv_json_kint(&j, "classes", r->classes);
    fasv_json_kint(&j, "checks", r->checks);
    fasv_json_kint(&j, "clean", r->clean);
    fasv_json_kint(&j, "outside", r->outside);
    fasv_json_kint(&j, "violations", r->violations);
    fasv_json_kint(&j, "violations_kept", r->n_viol);
    fasv_json_knum(&j, "seconds", r->seconds);
    fasv_json_kint(&j, "threads", r->threads);
    fasv_json_key(&j, "axes");
    fasv_json_obj(&j);
    fasv_json_key(&j, "heads");
    fasv_json_arr(&j);
    int nh;
    const fasv_head_class *h = fasv_head_classes(&nh);
    for (int i = 0; i < nh; i++) {
        fasv_json_obj(&j);
        fasv_json_kint(&j, "dk", h[i].dk);
        fasv_json_kint(&j, "dv", h[i].dv);
        fasv_json_kbool(&j, "inside", h[i].inside);
        fasv_json_kstr(&j, "label", h[i].label);
        fasv_json_end(&j);
    }
    fasv_json_end(&j);
    fasv_json_key(&j, "nq");
    fasv_json_arr(&j);
    for (int q = 0; q < FASV_CL_NQ; q++) fasv_json_str(&j, fasv_class_nq_name(q));
    fasv_json_end(&j);
    fasv_json_key(&j, "nkv");
    fasv_json_arr(&j);
    for (int q = 0; q < FASV_CL_NKV; q++) fasv_json_str(&j, fasv_class_nkv_name(q));
    fasv_json_end(&j);
    json_i64s(&j, "gqa_representatives", fasv_class_gqa_rep, FASV_CL_GQA);
    json_i64s(&j, "nq_representatives", fasv_class_nq_rep, FASV_CL_NQ);
    json_i64s(&j, "nkv_representatives", fasv_class_nkv_rep, FASV_CL_NKV);
    fasv_json_end(&j);

    fasv_json_key(&j, "devices");
    fasv_json_arr(&j);
    for (int d = 0; d < r->n_devices; d++) {
        int64_t fam[FASV_FAM_COUNT], outside, viol;
        dev_totals(r, d, fam, &outside, &viol);
        fasv_json_obj(&j);
        fasv_json_kstr(&j, "device", r->devices[d]->name);
        fasv_json_kstr(&j, "arch", r->devices[d]->arch);
        fasv_json_key(&j, "routes");
        json_fams(&j, fam);
        fasv_json_kint(&j, "outside", outside);
        fasv_json_kint(&j, "violations", viol);
        fasv_json_key(&j, "instances");
        fasv_json_arr(&j);
        for (int k = 0; k < r->n_keys[d]; k++) {
            const fasv_sweep_keycount *s = &r->keys[(size_t)d * FASV_SWEEP_MAX_KEYS + k];
            fasv_json_obj(&j);
            fasv_json_kstr(&j, "key", s->key);
            fasv_json_kint(&j, "count", s->count);
            fasv_json_end(&j);
        }
        fasv_json_end(&j);
        if (r->other_keys[d]) fasv_json_kint(&j, "other_instances", r->other_keys[d]);
        /* The route map of the device: rows are head classes, columns n_q classes. */
        fasv_json_key(&j, "map");
        fasv_json_arr(&j);
        for (int hh = 0; hh < FASV_CL_HEADS; hh++) {
            fasv_json_arr(&j);
            for (int q = 0; q < FASV_CL_NQ; q++) {
                const fasv_sweep_cell *c = fasv_sweep_cell_at(r, d, hh, q);
                fasv_json_obj(&j);
                fasv_json_kstr(&j, "state", cell_state(c));
                fasv_json_key(&j, "routes");
                json_fams(&j, c->routes);
                fasv_json_kint(&j, "outside", c->outside);
                fasv_json_kint(&j, "violations", c->violations);
                fasv_json_end(&j);
            }
            fasv_json_end(&j);
        }
        fasv_json_end(&j);
        fasv_json_end(&j);
    }
    fasv_json_end(&j);

    fasv_json_key(&j, "violation_list");
    fasv_json_arr(&j);
    for (int i = 0; i < r->n_viol; i++) {
        const fasv_sweep_violation *v = &r->viol[i];
        char cs[256];
        fasv_class_format(&v->cls, cs, sizeof cs);
        fasv_json_obj(&j);
        fasv_json_kstr(&j, "device", r->devices[v->device]->name);
        fasv_json_kint(&j, "class_index", v->class_index);
        fasv_json_kstr(&j, "class", cs);
        fasv_json_kstr(&j, "property", fasv_prop_name(v->finding.kind));
        fasv_json_kstr(&j, "detail", v->finding.detail);
        fasv_json_kstr(&j, "signature", v->finding.signature);
        fasv_json_key(&j, "route");
        fasv_json_route(&j, &v->finding.route);
        fasv_json_key(&j, "node");
        fasv_json_node(&j, &v->node);
        fasv_json_end(&j);
    }
    fasv_json_end(&j);
    if (probe) {
        fasv_json_key(&j, "probe");
        fasv_probe_write_json(&j, probe);
    }
    fasv_json_end(&j);
    fasv_json_done(&j);
}

/* ---- route map ------------------------------------------------------------ */

static const char *fam_color(int f) {
    switch (f) {
    case FASV_FAM_VEC: return "#4c78a8";
    case FASV_FAM_TILE: return "#59a14f";
    case FASV_FAM_SPLIT: return "#b07aa1";
    case FASV_FAM_MMA: return "#f28e2b";
    default: return "#bab0ac";
    }
}

static void html_text(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

#define CW 78 /* cell width */
#define CH 22 /* cell height */
#define LW 190 /* row label width */
#define TH 40 /* header height */

void fasv_sweep_write_map(FILE *f, const fasv_sweep_result *r) {
    fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>fasv route map: %s</title>\n", r->target);
    fputs("<style>body{font-family:sans-serif;margin:20px;color:#222}h2{margin:28px 0 4px;font-size:16px}"
          ".sub{color:#555;font-size:13px;margin-bottom:6px}.legend span{display:inline-block;margin-right:16px}"
          ".sw{display:inline-block;width:14px;height:14px;vertical-align:middle;margin-right:4px;border:1px solid #888}"
          "svg text{font-size:11px}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}"
          "</style></head><body>\n",
          f);
    fputs("<h1 style=\"font-size:20px\">fasv route map — target <code>", f);
    html_text(f, r->target);
    fprintf(f, "</code></h1>\n<p>%lld classes × %d device%s = %lld checks: %lld clean, %lld outside the envelope, "
               "<b style=\"color:%s\">%lld violations</b>. Each cell is one (head-size class × n_q class) of one "
               "device and aggregates every class in it (types, GQA, n_kv, grid, alignment, precision); the bar "
               "shows the share of each family. Hover a cell for its counts.</p>\n",
            (long long)r->classes, r->n_devices, r->n_devices == 1 ? "" : "s", (long long)r->checks, (long long)r->clean, (long long)r->outside,
            r->violations ? "#d62728" : "#222", (long long)r->violations);
    fprintf(f, "<div class=\"legend\">");
    for (int fm = 1; fm < FASV_FAM_COUNT; fm++)
        fprintf(f, "<span><i class=\"sw\" style=\"background:%s\"></i>%s</span>", fam_color(fm),
                fasv_family_name((fasv_family)fm));
    fprintf(f, "<span><i class=\"sw\" style=\"background:#d62728\"></i>hole (violation)</span>"
               "<span><i class=\"sw\" style=\"background:#e8e8e8\"></i>outside the envelope</span></div>\n");
    int nh;
    const fasv_head_class *h = fasv_head_classes(&nh);
    int width = LW + CW * FASV_CL_NQ + 10, height = TH + CH * nh + 10;
    for (int d = 0; d < r->n_devices; d++) {
        const fasv_device *dev = r->devices[d];
        int64_t fam[FASV_FAM_COUNT], outside, viol;
        dev_totals(r, d, fam, &outside, &viol);
        fprintf(f, "<h2>%s — %s %s (%s)%s</h2>\n", dev->name, fasv_vendor_name(dev->vendor), dev->arch, dev->product,
                viol ? " <span style=\"color:#d62728\">HOLES</span>" : "");
        fprintf(f, "<div class=\"sub\">warp %d, %d KiB shared memory per block, %d SMs/CUs, fast fp16 %s, matrix cores %s; "
                   "vec %lld, tile %lld, split %lld, outside %lld, violations %lld</div>\n",
                dev->warp_size, dev->smem_per_block / 1024, dev->n_sm, dev->fast_fp16 ? "yes" : "no",
                fasv_mc_name(dev->mc), (long long)fam[FASV_FAM_VEC], (long long)fam[FASV_FAM_TILE],
                (long long)fam[FASV_FAM_SPLIT], (long long)outside, (long long)viol);
        fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">\n", width, height);
        fprintf(f, "<text x=\"%d\" y=\"14\" font-weight=\"bold\">n_q class →</text>\n", LW);
        fprintf(f, "<text x=\"4\" y=\"%d\" font-weight=\"bold\">Dk/Dv class ↓</text>\n", TH - 8);
        for (int q = 0; q < FASV_CL_NQ; q++)
            fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", LW + q * CW + CW / 2, TH - 8,
                    q == 6 ? "&gt;=33" : fasv_class_nq_name(q));
        for (int hh = 0; hh < nh; hh++) {
            int y = TH + hh * CH;
            fprintf(f, "<text x=\"4\" y=\"%d\">", y + CH - 7);
            html_text(f, h[hh].label);
            fprintf(f, "</text>\n");
            for (int q = 0; q < FASV_CL_NQ; q++) {
                const fasv_sweep_cell *c = fasv_sweep_cell_at(r, d, hh, q);
                int x = LW + q * CW;
                int64_t routed = 0;
                for (int fm = 1; fm < FASV_FAM_COUNT; fm++) routed += c->routes[fm];
                fprintf(f, "<g><title>%s, Dk/Dv class %s, n_q %s: vec %lld, tile %lld, split %lld, mma %lld, outside %lld, violations %lld</title>",
                        dev->name, h[hh].label, fasv_class_nq_name(q), (long long)c->routes[FASV_FAM_VEC],
                        (long long)c->routes[FASV_FAM_TILE], (long long)c->routes[FASV_FAM_SPLIT],
                        (long long)c->routes[FASV_FAM_MMA], (long long)c->outside, (long long)c->violations);
                if (c->violations) {
                    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#d62728\" stroke=\"#fff\"/>"
                               "<text x=\"%d\" y=\"%d\" fill=\"#fff\" text-anchor=\"middle\" font-weight=\"bold\">%lld</text>",
                            x, y, CW, CH, x + CW / 2, y + CH - 7, (long long)c->violations);
                } else if (routed == 0) {
                    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#e8e8e8\" stroke=\"#fff\"/>",
                            x, y, CW, CH);
                } else {
                    int64_t acc = 0;
                    for (int fm = 1; fm < FASV_FAM_COUNT; fm++) {
                        if (!c->routes[fm]) continue;
                        int x0 = x + (int)(CW * acc / routed);
                        acc += c->routes[fm];
                        int x1 = x + (int)(CW * acc / routed);
                        if (x1 > x0)
                            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>", x0, y,
                                    x1 - x0, CH, fam_color(fm));
                    }
                    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#fff\"/>", x,
                            y, CW, CH);
                    int dm = dominant(c);
                    fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#fff\" text-anchor=\"middle\">%s</text>", x + CW / 2,
                            y + CH - 7, fasv_family_name((fasv_family)dm));
                }
                fprintf(f, "</g>\n");
            }
        }
        fprintf(f, "</svg>\n");
    }
    if (r->n_viol) {
        int shown = r->n_viol < 200 ? r->n_viol : 200;
        fprintf(f, "<h2 style=\"color:#d62728\">Violations (first %d of %lld)</h2>\n<table><tr><th>device</th><th>class</th><th>property</th><th>detail</th></tr>\n",
                shown, (long long)r->violations);
        for (int i = 0; i < shown; i++) {
            const fasv_sweep_violation *v = &r->viol[i];
            char cs[256];
            fasv_class_format(&v->cls, cs, sizeof cs);
            fprintf(f, "<tr><td>%s</td><td>", r->devices[v->device]->name);
            html_text(f, cs);
            fprintf(f, "</td><td>%s</td><td>", fasv_prop_name(v->finding.kind));
            html_text(f, v->finding.detail);
            fprintf(f, "</td></tr>\n");
        }
        fprintf(f, "</table>\n");
    }
    fprintf(f, "</body></html>\n");
}
