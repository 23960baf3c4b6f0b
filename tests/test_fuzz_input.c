/* test_fuzz_input.c — the three input forms of the fuzz harnesses: the node
 * record keeps every field (checked field by field and against the canonical
 * text), its byte layout is the documented one (offsets worked out by hand),
 * text and streams are recognised, and no byte string crashes the decoder. */
#include <string.h>

#include "check.h"
#include "fasv/device.h"
#include "fasv/build.h"
#include "fz_input.h"

static int same_tensor(const fasv_tensor *a, const fasv_tensor *b) {
    return a->type == b->type && memcmp(a->ne, b->ne, sizeof a->ne) == 0 && memcmp(a->nb, b->nb, sizeof a->nb) == 0 &&
           a->offset == b->offset && a->buf == b->buf && a->buf_bytes == b->buf_bytes;
}

static void test_record_round_trip(void) {
    fasv_rng r;
    fasv_rng_seed(&r, 11);
    fasv_rand_opts o = {0};
    int bad = 0;
    for (int i = 0; i < 3000; i++) {
        fasv_case a, b;
        fasv_random_case(&r, &o, &a);
        if (i % 3 == 0) snprintf(a.device, sizeof a.device, "%s", i % 2 ? "gfx1100" : "sm_90");
        uint8_t rec[FASV_RECORD_SIZE];
        CHECK(fasv_record_encode(&a, rec) == FASV_RECORD_SIZE);
        CHECK(fasv_record_decode(rec, sizeof rec, &b) == 0);
        int same = a.node.has_mask == b.node.has_mask && a.node.has_sinks == b.node.has_sinks &&
                   memcmp(&a.node.scale, &b.node.scale, 4) == 0 && a.node.max_bias == b.node.max_bias &&
                   a.node.softcap == b.node.softcap && a.node.prec == b.node.prec && a.seed == b.seed &&
                   a.dist == b.dist && strcmp(a.device, b.device) == 0;
        for (int id = 0; id < FASV_NT; id++)
            if (fasv_node_has(&a.node, (fasv_tid)id)) same &= same_tensor(&a.node.t[id], &b.node.t[id]);
        char *ta = fasv_case_to_string(&a), *tb = fasv_case_to_string(&b);
        same &= ta && tb && strcmp(ta, tb) == 0;
        if (!same && bad++ < 3) fprintf(stderr, "record changed the case:\n%s--\n%s", ta, tb);
        free(ta), free(tb);
    }
    CHECKF(bad == 0, "%d cases changed through the record", bad);
}

static void test_record_layout(void) {
    /* A hand-made case; the offsets are the ones fz_input.h documents:
     * magic 0..3, flags 4, dist 5, device 6, scale 8, max_bias 12, softcap 16,
     * seed 20, then 68 bytes per tensor from 28 (type, buf, 2 reserved,
     * ne u32 x4 at +4, nb i64 x4 at +20, offset at +52, buf_bytes at +60). */
    fasv_case c;
    fasv_case_init(&c);
    c.node.has_mask = true; /* the default mask tensor [1,1,1,1] f16 */
    c.node.prec = FASV_PREC_F32;
    c.dist = FASV_DIST_NORMAL;
    c.seed = 0x0102030405060708ull;
    c.node.k.ne[1] = 300; /* not legal (v differs), the record does not care */
    c.node.k.nb[3] = 0x123456789ull;
    uint8_t rec[FASV_RECORD_SIZE];
    fasv_record_encode(&c, rec);
    CHECK(FASV_RECORD_SIZE == 368);
    CHECK(memcmp(rec, "\xFA\x5E\x4E\x01", 4) == 0);
    CHECKF(rec[4] == (1 | 4), "flags %d", rec[4]);
    CHECK(rec[5] == FASV_DIST_NORMAL);
    CHECK(rec[6] == 0); /* no device */
    CHECK(rec[8] == 0x00 && rec[11] == 0x3e); /* 0.125f = 0x3e000000 */
    CHECK(rec[20] == 0x08 && rec[27] == 0x01);
    const uint8_t *k = rec + 28 + 68; /* tensor 1 */
    CHECK(k[0] == FASV_TYPE_F16 && k[1] == FASV_K);
    CHECK(k[4] == 64 && k[8] == (300 & 0xff) && k[9] == (300 >> 8));
    CHECK(k[20 + 24] == 0x89 && k[20 + 28] == 0x01); /* nb[3] low and fifth byte */
    const uint8_t *q = rec + 28;
    CHECK(q[0] == FASV_TYPE_F32 && q[4] == 64 && q[20] == 4); /* q f32, Dk 64, nb[0] 4 */
}

static void test_forms(void) {
    fasv_case c;
    char err[256];
    const char *text =
        "fasv-case 1\n"
        "q f32 ne=128,7,8,1\n"
        "k f16 ne=128,300,2,1\n"
        "v f16 ne=128,300,2,1\n";
    CHECK(fasv_input_decode((const uint8_t *)text, strlen(text), NULL, &c, err, sizeof err) == FASV_INPUT_TEXT);
    CHECK(fasv_nq(&c.node) == 7 && fasv_nkv(&c.node) == 300 && fasv_gqa(&c.node) == 4);
    CHECK(fasv_node_check(&c.node, NULL, 0) == FASV_LEGAL);

    const char *commented = "# a reproducer\nfasv-case 1\nq f32 ne=64\nk f16 ne=64\nv f16 ne=64\n";
    CHECK(fasv_input_decode((const uint8_t *)commented, strlen(commented), NULL, &c, err, sizeof err) ==
          FASV_INPUT_TEXT);
    CHECK(strstr(c.comments, "a reproducer") != NULL);

    const char *broken = "fasv-case 1\nq f32 ne=64\nk f16 ne=x\n";
    CHECK(fasv_input_decode((const uint8_t *)broken, strlen(broken), NULL, &c, err, sizeof err) == FASV_INPUT_BAD);
    CHECKF(strncmp(err, "<input>:3:", 10) == 0, "error '%s'", err);

    /* '#' followed by something that is not a case is a producer stream, so
     * every byte string stays an input */
    const uint8_t hash[] = {'#', 1, 2, 3, 4, 5};
    CHECK(fasv_input_decode(hash, sizeof hash, NULL, &c, NULL, 0) == FASV_INPUT_STREAM);
    CHECK(fasv_node_check(&c.node, NULL, 0) == FASV_LEGAL);

    /* a stream decodes exactly as fasv_random_case reads the same bytes */
    uint8_t bytes[200];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)(i * 37 + 11);
    fasv_case d;
    fasv_rng r;
    fasv_rng_bytes(&r, bytes, sizeof bytes);
    fasv_rand_opts o = {0};
    fasv_random_case(&r, &o, &d);
    CHECK(fasv_input_decode(bytes, sizeof bytes, NULL, &c, NULL, 0) == FASV_INPUT_STREAM);
    char *tc = fasv_case_to_string(&c), *td = fasv_case_to_string(&d);
    CHECK(tc && td && strcmp(tc, td) == 0);
    free(tc), free(td);

    /* the magic on a short input is a stream, not a broken record */
    uint8_t shortrec[40] = {0xFA, 0x5E, 0x4E, 0x01};
    CHECK(fasv_input_decode(shortrec, sizeof shortrec, NULL, &c, NULL, 0) == FASV_INPUT_STREAM);
    CHECK(fasv_input_decode(NULL, 0, NULL, &c, NULL, 0) == FASV_INPUT_STREAM);
}

static void test_any_record_bytes(void) {
    /* every byte pattern behind the magic decodes; enums land in range */
    fasv_rng r;
    fasv_rng_seed(&r, 5);
    int legal = 0;
    for (int i = 0; i < 20000; i++) {
        uint8_t rec[FASV_RECORD_SIZE];
        for (size_t j = 0; j < sizeof rec; j++) rec[j] = (uint8_t)fasv_rng_below(&r, 256);
        memcpy(rec, FASV_RECORD_MAGIC, 4);
        fasv_case c;
        CHECK(fasv_record_decode(rec, sizeof rec, &c) == 0);
        for (int id = 0; id < FASV_NT; id++) CHECK((unsigned)c.node.t[id].type < FASV_TYPE_COUNT);
        legal += fasv_node_check(&c.node, NULL, 0) == FASV_LEGAL;
    }
    CHECKF(legal < 20, "random record bytes are almost never legal (%d were)", legal);
}

/* Bugs the fuzz harnesses found, kept as tests (their inputs are also in
 * corpus/fuzz_case/, replayed by ctest through fuzz_case_replay). */
static void test_found_by_fuzzing(void) {
    /* fuzz_case: a 31-character "sm..." device name overflowed the
     * normalisation buffer of fasv_device_find by one byte (ASan) */
    char name[40];
    memset(name, '9', sizeof name);
    memcpy(name, "sm0", 3);
    for (int len = 28; len <= 35; len++) {
        name[len] = 0;
        CHECK(fasv_device_find(name) == NULL);
        name[len] = '9';
    }
    CHECK(fasv_device_find("SM90") == fasv_device_find("sm_90") && fasv_device_find("sm_90a") != NULL);
    const char *text = "fasv-case 1\ndevice sm054[[[[[[[[[[[[[[[[[[[[[[[[[9\n";
    fasv_case c;
    char err[256];
    CHECK(fasv_case_parse(text, strlen(text), "t", &c, err, sizeof err) == -1);
    CHECK(strstr(err, "t:2: unknown device") != NULL);
}

int main(void) {
    test_found_by_fuzzing();
    test_record_round_trip();
    test_record_layout();
    test_forms();
    test_any_record_bytes();
    return check_report("test_fuzz_input");
}
