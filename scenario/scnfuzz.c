/* scnfuzz.c — fuzzing with random serving scenarios.
 *
 * Owns: the loop behind `fasv fuzz --scenarios` and the scenarios phase of
 * `fasv verify`: scenario i is fasv_scenario_random on the stream (seed, i),
 * run lenient against the target; each new signature is kept with the
 * scenario that found it, optionally reduced, and written as a node .case
 * and a .scenario. Deterministic for a seed and a run count.
 * Must not know: how the target decides; engines (libFuzzer uses
 * fuzz/fuzz_scenario.c on the same generator).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fasv/scenario.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void fasv_scn_file_name(const char *signature, fasv_prop kind, const char *ext, char *out, size_t len) {
    uint64_t h = 1469598103934665603ull;
    for (const char *p = signature; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(out, len, "%s-%016llx%s", fasv_prop_name(kind), (unsigned long long)h, ext);
}

static int mkdir_p(const char *path) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0777) && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) && errno != EEXIST) return -1;
    return 0;
}

static void write_artifacts(const fasv_scn_fuzz_opts *o, fasv_scn_fuzz_find *x) {
    char name[128], err[512];
    fasv_scn_file_name(x->finding.f.signature, x->finding.f.kind, ".case", name, sizeof name);
    snprintf(x->case_path, sizeof x->case_path, "%s/%s", o->artifacts_dir, name);
    if (fasv_case_save(&x->finding.node, x->case_path, err, sizeof err)) {
        if (o->progress) fprintf(o->progress, "%s\n", err);
        x->case_path[0] = 0;
    }
    fasv_scn_file_name(x->finding.f.signature, x->finding.f.kind, ".scenario", name, sizeof name);
    snprintf(x->scenario_path, sizeof x->scenario_path, "%s/%s", o->artifacts_dir, name);
    if (fasv_scenario_save(x->reduced_ok ? &x->reduced : &x->found, x->scenario_path, err, sizeof err)) {
        if (o->progress) fprintf(o->progress, "%s\n", err);
        x->scenario_path[0] = 0;
    }
}

/* The layer kind of a finding lives in its scenario: point into the copy that is kept. */
static void repoint(fasv_scn_fuzz_find *x) {
    const fasv_scn_node *at = &x->finding.at;
    if (at->part == FASV_PART_TARGET)
        x->finding.at.lk = &x->found.model.kind[at->kind];
    else if (at->part == FASV_PART_MTP)
        x->finding.at.lk = &x->found.model.mtp_kind[at->kind];
}

int fasv_scenario_fuzz(const fasv_scn_fuzz_opts *o, fasv_scn_fuzz_result *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    if (o->artifacts_dir && mkdir_p(o->artifacts_dir)) {
        snprintf(err, errlen, "%s: cannot create the directory: %s", o->artifacts_dir, strerror(errno));
        return -1;
    }
    double t0 = now_s(), last = t0;
    int cap = 0;
    for (int64_t i = 0;; i++) {
        if (o->runs > 0 && i >= o->runs) break;
        if (o->runs <= 0 && o->max_time <= 0 && !o->stop) break; /* no bound at all: nothing to do */
        if (o->max_time > 0 && now_s() - t0 >= o->max_time) break;
        if (o->stop && *o->stop) break;
        fasv_rng r;
        fasv_rng_seed3(&r, o->seed, (uint64_t)i, 0x5ce4a210);
        fasv_scenario s;
        fasv_scenario_random(&r, &o->rand, &s);
        snprintf(s.name, sizeof s.name, "random-%llu-%lld", (unsigned long long)o->seed, (long long)i);
        {
            char c[128];
            snprintf(c, sizeof c, "random scenario %lld of seed %llu (fasv fuzz --scenarios)", (long long)i,
                     (unsigned long long)o->seed);
            snprintf(s.comments, sizeof s.comments, "# %s\n", c);
        }
        fasv_scn_opts so;
        memset(&so, 0, sizeof so);
        so.target = o->target;
        so.expand.lenient = true;
        fasv_scn_report rep;
        int rc = fasv_scenario_run(&s, &so, &rep);
        res->runs++;
        res->events += rep.st.events;
        res->graphs += rep.st.graphs;
        res->nodes += rep.st.nodes;
        res->skipped_events += rep.st.skipped;
        if (rc == 2) {
            if (!res->errors) snprintf(res->first_error, sizeof res->first_error, "scenario %lld: %.480s", (long long)i, rep.error);
            res->errors++;
        }
        for (int k = 0; k < rep.n_findings; k++) {
            const fasv_scn_finding *f = &rep.findings[k];
            int j;
            for (j = 0; j < res->n_found; j++)
                if (strcmp(res->found[j].finding.f.signature, f->f.signature) == 0) break;
            if (j < res->n_found) {
                res->found[j].runs_hit++;
                continue;
            }
            if (res->n_found == cap) {
                int nc = cap ? cap * 2 : 8;
                fasv_scn_fuzz_find *p = realloc(res->found, (size_t)nc * sizeof *p);
                if (!p) break;
                res->found = p;
                cap = nc;
                for (int q = 0; q < res->n_found; q++) repoint(&res->found[q]);
            }
            fasv_scn_fuzz_find *x = &res->found[res->n_found];
            memset(x, 0, sizeof *x);
            x->finding = *f;
            x->first_run = i;
            x->runs_hit = 1;
            if (fasv_scenario_copy(&x->found, &s)) break;
            repoint(x);
            if (o->reduce) {
                fasv_scn_opts ro = so;
                x->reduced_ok = fasv_scenario_reduce(&s, &ro, f->f.signature, &x->reduced, &x->reduce_runs) == 0;
                if (x->reduced_ok) {
                    char c[FASV_SIG_LEN + 64];
                    snprintf(c, sizeof c, "# reduced in %d runs; finding: %s\n", x->reduce_runs, f->f.signature);
                    size_t used = strlen(x->reduced.comments);
                    snprintf(x->reduced.comments + used, sizeof x->reduced.comments - used, "%s", c);
                }
            }
            res->n_found++;
            if (o->artifacts_dir) write_artifacts(o, x);
            if (o->progress)
                fprintf(o->progress, "fasv fuzz --scenarios: scenario %lld: NEW %s on %s: %s%s%s\n", (long long)i,
                        fasv_prop_name(f->f.kind), f->at.device->name, f->f.signature,
                        x->scenario_path[0] ? " -> " : "", x->scenario_path);
        }
        fasv_scn_report_free(&rep);
        fasv_scenario_free(&s);
        double t = now_s();
        if (o->progress && t - last >= 5.0) {
            last = t;
            fprintf(o->progress, "fasv fuzz --scenarios: %lld scenarios, %lld graphs, %d findings, %.0f scenarios/s\n",
                    (long long)res->runs, (long long)res->graphs, res->n_found,
                    (double)res->runs / (t - t0 > 0 ? t - t0 : 1));
        }
    }
    res->seconds = now_s() - t0;
    return 0;
}

void fasv_scn_fuzz_result_free(fasv_scn_fuzz_result *res) {
    for (int i = 0; i < res->n_found; i++) {
        fasv_scenario_free(&res->found[i].found);
        fasv_scenario_free(&res->found[i].reduced);
    }
    free(res->found);
    memset(res, 0, sizeof *res);
}
