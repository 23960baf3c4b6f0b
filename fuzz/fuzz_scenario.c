/* fuzz_scenario.c — harness: bytes -> a serving scenario -> the lifecycle
 * property on every node it builds.
 *
 * Input: scenario text (a file starting "fasv-scenario"; the corpus of
 * corpus/scenarios seeds it), whose parser must never crash and must fail
 * with one "FILE:LINE:" line; or any other bytes, read by fasv_rng as the
 * choices of the random scenario generator (model x settings x events).
 * Either scenario is run lenient against the target. A finding (lifecycle:
 * supported at reserve, no kernel or too little scratch at compute; or
 * totality, contract, determinism) prints the finding, the node and the
 * scenario, and aborts so the engine keeps the input.
 * Target: the built-in planner, or the one FASV_PLANNER names
 * (fasv_target_resolve; test:lifecycle-NAME are the scenario fixtures).
 * Must not know: any planner's rules. Thin: the logic is in fasv_scenario.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasv/scenario.h"
#include "fz_target.h"

static const fasv_target *g_target;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    char err[512];
    g_target = fasv_target_resolve(fasv_target_spec_from_env(), err, sizeof err);
    if (!g_target) {
        fprintf(stderr, "fuzz_scenario: %s\n", err);
        exit(2);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_target) LLVMFuzzerInitialize(NULL, NULL);
    static fasv_scenario s; /* static: a scenario record is large */
    static const char head[] = "fasv-scenario";
    if (size >= sizeof head - 1 && memcmp(data, head, sizeof head - 1) == 0) {
        char err[640];
        if (fasv_scenario_parse((const char *)data, size, "<input>", &s, err, sizeof err) != 0) {
            if (strncmp(err, "<input>:", 8) != 0 || strchr(err, '\n')) {
                fprintf(stderr, "fuzz_scenario: parse error is not one FILE:LINE line: %s\n", err);
                abort();
            }
            return 0;
        }
    } else {
        fasv_rng r;
        fasv_rng_bytes(&r, data, size);
        fasv_scenario_random(&r, NULL, &s);
    }
    fasv_scn_opts o;
    memset(&o, 0, sizeof o);
    o.target = g_target;
    o.expand.lenient = true;
    o.max_findings = 1;
    fasv_scn_report rep;
    int rc = fasv_scenario_run(&s, &o, &rep);
    if (rc == 2) {
        /* a valid scenario always expands when lenient: anything else is a bug of the expansion */
        fprintf(stderr, "fuzz_scenario: the scenario cannot be run: %s\n", rep.error);
        abort();
    }
    if (rc == 1) {
        const fasv_scn_finding *f = &rep.findings[0];
        char *node = fasv_case_to_string(&f->node), *scn = fasv_scenario_to_string(&s);
        fprintf(stderr, "== fasv finding: %s on %s (target %s)\nsignature: %s\ndetail: %s\n", fasv_prop_name(f->f.kind),
                f->at.device->name, g_target->name, f->f.signature, f->f.detail);
        fasv_explain(stderr, f->at.device, &f->node.node, &f->f.route);
        fprintf(stderr, "-- node --\n%s-- scenario --\n%s-- end --\n", node ? node : "", scn ? scn : "");
        abort();
    }
    fasv_scn_report_free(&rep);
    fasv_scenario_free(&s);
    return 0;
}
