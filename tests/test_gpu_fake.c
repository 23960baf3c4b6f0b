/* test_gpu_fake.c — the GPU case check and the GPU fuzz loop, run against a
 * CPU test double of the device (kernels/gpu/gpu_fake.c) that misbehaves on
 * purpose: every kind of kernel failure must become the finding it is
 * (guard, unwritten, numerics, nondeterministic, fault), and the fuzz loop
 * must survive workers that crash, hang or lose the device, record each
 * with a reproducer that parses, restart the worker after a health probe,
 * and still check every case it was asked for. The expected kinds are the
 * misbehaviours the test planted, not anything the code under test computed.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fasv/build.h"
#include "fasv/gpucheck.h"
#include "gpu/gpu_fake.h"

static fasv_case small_case(int64_t kv) {
    fasv_build b;
    fasv_build_defaults(&b);
    b.hsk = b.hsv = 64;
    b.nh = 2;
    b.gqa = 2;
    b.kv = kv;
    b.nb = 3;
    b.mask = true;
    b.seed = 11;
    fasv_case c;
    char err[160];
    if (fasv_build_case(&b, &c, err, sizeof err) != 0) fasv_case_init(&c);
    return c;
}

static void one(fasv_gpu *g, int mode, fasv_gpu_outcome want, const char *kind) {
    fasv_gpu_fake_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    if (mode) cfg.permille[mode] = 1000;
    fasv_gpu_fake_set(&cfg);
    fasv_case c = small_case(77);
    fasv_gpu_result r;
    fasv_gpu_outcome oc = fasv_gpu_check_case(g, &c, NULL, &r);
    CHECKF(oc == want && strcmp(r.kind, kind) == 0, "mode %d: got %d %s (%s), want %d %s", mode, oc, r.kind, r.detail,
           want, kind);
}

static char g_kinds[512];
static void on_finding(void *ctx, const fasv_case *c, const fasv_gpu_result *r, const char *path, const char *sig) {
    (void)ctx, (void)c, (void)sig;
    strncat(g_kinds, r->kind, sizeof g_kinds - strlen(g_kinds) - 2);
    strncat(g_kinds, " ", sizeof g_kinds - strlen(g_kinds) - 1);
    fasv_case back;
    char err[256];
    CHECKF(fasv_case_load(path, &back, err, sizeof err) == 0, "reproducer %s: %s", path, err);
    CHECKF(strstr(back.comments, "gpu fuzz finding") != NULL, "reproducer %s has no finding comment", path);
}

int main(void) {
    fasv_gpu *g;
    char err[256];
    CHECK(fasv_gpu_open(0, &g, err, sizeof err) == FASV_GPU_OK);

    /* the check, one planted misbehaviour at a time */
    one(g, FASV_FAKE_NONE, FASV_GPU_PASS, "pass");
    one(g, FASV_FAKE_OOB, FASV_GPU_FINDING, "guard");
    one(g, FASV_FAKE_UNWRITTEN, FASV_GPU_FINDING, "unwritten");
    one(g, FASV_FAKE_WRONG, FASV_GPU_FINDING, "numerics");
    one(g, FASV_FAKE_FLAKY, FASV_GPU_FINDING, "nondeterministic");
    one(g, FASV_FAKE_FAULT, FASV_GPU_FINDING, "fault");
    {
        fasv_gpu_fake_set(NULL);
        fasv_case c = small_case(77);
        c.node.k.ne[2] = 3; /* n_head % n_head_kv != 0: illegal */
        fasv_gpu_result r;
        CHECK(fasv_gpu_check_case(g, &c, NULL, &r) == FASV_GPU_ERROR && strcmp(r.kind, "illegal") == 0);
    }
    fasv_gpu_close(g);

    /* the fuzz loop: crashes, hangs, device faults and wrong numbers among
     * ordinary cases */
    fasv_gpu_fake_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.permille[FASV_FAKE_CRASH] = 25;
    cfg.permille[FASV_FAKE_HANG] = 10;
    cfg.permille[FASV_FAKE_FAULT] = 25;
    cfg.permille[FASV_FAKE_WRONG] = 25;
    fasv_gpu_fake_set(&cfg);
    char dir[] = "/tmp/fasv-gpu-fake-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    int gpus[1] = {0};
    fasv_gpu_fuzz_opts o;
    memset(&o, 0, sizeof o);
    o.gpus = gpus;
    o.n_gpus = 1;
    o.seed = 5;
    o.max_cases = 160;
    o.max_bytes = 1 << 20;
    o.max_work = 1 << 20;
    o.hang_s = 1.0;
    o.findings_dir = dir;
    o.quiet = 1;
    o.on_finding = on_finding;
    FILE *log = tmpfile();
    o.log = log;
    fasv_gpu_fuzz_stats st;
    int rc = fasv_gpu_fuzz(&o, &st, err, sizeof err);
    CHECKF(rc == 1, "fuzz exit %d (%s)", rc, err);
    CHECKF(st.cases == 160, "cases %lld", (long long)st.cases);
    CHECKF(st.passed + st.skipped + st.errors + st.findings == st.cases, "counts do not add up");
    CHECKF(st.passed > 100, "passed %lld", (long long)st.passed);
    CHECKF(st.restarts >= 2, "restarts %lld", (long long)st.restarts);
    CHECKF(strstr(g_kinds, "crash") && strstr(g_kinds, "fault") && strstr(g_kinds, "numerics") &&
               strstr(g_kinds, "hang"),
           "finding kinds seen: %s", g_kinds);
    fprintf(stderr, "fake fuzz: %lld cases, %lld passed, %lld findings, %lld restarts; kinds: %s\n", (long long)st.cases,
            (long long)st.passed, (long long)st.findings, (long long)st.restarts, g_kinds);
    fclose(log);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_report("test_gpu_fake");
}
