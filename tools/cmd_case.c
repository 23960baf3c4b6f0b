/* cmd_case.c — `fasv case`: a canonical case from test-backend-ops style
 * parameters (names as in llama.cpp's test-backend-ops). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fasv/build.h"

static const char *k_help =
    "usage: fasv case [OPTIONS]\n"
    "\n"
    "Print a canonical case file for one FLASH_ATTN_EXT node. Names follow\n"
    "llama.cpp's test-backend-ops: nh = KV heads, gqa = query heads per KV head,\n"
    "nr3 = sequences, kv = n_kv, nb = n_q.\n"
    "\n"
    "shape:\n"
    "  --hsk N            K head size Dk (default 128)\n"
    "  --hsv N            V head size Dv (default: hsk)\n"
    "  --nh N             KV heads (default 1)\n"
    "  --gqa N            query heads per KV head (default 1)\n"
    "  --nr3 N            sequences of q (default 1)\n"
    "  --nr3-kv N         sequences of k/v, dividing nr3 (default: nr3)\n"
    "  --kv N             KV length n_kv (default 256)\n"
    "  --nb N             query rows n_q (default 1)\n"
    "  --type-k T         K type: f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 (default f16)\n"
    "  --type-v T         V type (default: type-k)\n"
    "mask, sinks and parameters:\n"
    "  --mask             add an f16 mask [n_kv, n_q_pad, m2, m3]\n"
    "  --mask-heads N     m2: mask planes over heads (1 = broadcast; default 1)\n"
    "  --mask-seqs N      m3: mask planes over sequences (default 1)\n"
    "  --mask-pad N       n_q_pad >= n_q (default n_q)\n"
    "  --sinks            add per-head attention sinks\n"
    "  --scale F          softmax scale (default 1/sqrt(hsk))\n"
    "  --max-bias F       ALiBi max_bias (needs --mask)\n"
    "  --softcap F        logit softcap (0 = off)\n"
    "  --prec P           default | f32\n"
    "layout:\n"
    "  --kv-capacity N    K/V are views of a llama.cpp KV cache with N rows (heads\n"
    "                     interleaved per token), N >= kv\n"
    "  --kv-cache-layout  the llama.cpp cache layout even without extra capacity\n"
    "  --permute-q        q viewed permuted from [Dk, n_head, n_q, n_seq]\n"
    "  --v-view-of-k      V is a view of K's first hsv values (MLA; needs equal types)\n"
    "  --pad-q/--pad-k/--pad-v/--pad-mask B   bytes of gap after each row\n"
    "  --off-q/--off-k/--off-v/--off-mask B   byte offset of the view in its buffer\n"
    "case:\n"
    "  --device NAME      device the case is planned for (see fasv devices)\n"
    "  --seed N           data seed (default 0)\n"
    "  --dist D           uniform | normal | adversarial (default uniform)\n"
    "  --comment TEXT     add a comment line (repeatable)\n"
    "  --out FILE         write to FILE instead of standard output\n"
    "\n"
    "The node is printed even when it is illegal for the op (so illegal cases can\n"
    "be written on purpose); a note on stderr says why. Exit 0, or 2 on bad usage.\n";

enum {
    O_HSK = 256, O_HSV, O_NH, O_GQA, O_NR3, O_NR3KV, O_KV, O_NB, O_TK, O_TV, O_MASK, O_MH, O_MS, O_MP, O_SINKS,
    O_SCALE, O_BIAS, O_CAP, O_PREC, O_KVCAP, O_KVLAYOUT, O_PERMQ, O_VVIEW, O_PADQ, O_PADK, O_PADV, O_PADM,
    O_OFFQ, O_OFFK, O_OFFV, O_OFFM, O_DEV, O_SEED, O_DIST, O_COMMENT, O_OUT, O_HELP
};

static const struct option k_opts[] = {
    {"hsk", 1, 0, O_HSK}, {"hsv", 1, 0, O_HSV}, {"nh", 1, 0, O_NH}, {"gqa", 1, 0, O_GQA}, {"nr3", 1, 0, O_NR3},
    {"nr3-kv", 1, 0, O_NR3KV}, {"kv", 1, 0, O_KV}, {"nb", 1, 0, O_NB}, {"type-k", 1, 0, O_TK},
    {"type-v", 1, 0, O_TV}, {"mask", 0, 0, O_MASK}, {"mask-heads", 1, 0, O_MH}, {"mask-seqs", 1, 0, O_MS},
    {"mask-pad", 1, 0, O_MP}, {"sinks", 0, 0, O_SINKS}, {"scale", 1, 0, O_SCALE}, {"max-bias", 1, 0, O_BIAS},
    {"softcap", 1, 0, O_CAP}, {"prec", 1, 0, O_PREC}, {"kv-capacity", 1, 0, O_KVCAP},
    {"kv-cache-layout", 0, 0, O_KVLAYOUT}, {"permute-q", 0, 0, O_PERMQ}, {"v-view-of-k", 0, 0, O_VVIEW},
    {"pad-q", 1, 0, O_PADQ}, {"pad-k", 1, 0, O_PADK}, {"pad-v", 1, 0, O_PADV}, {"pad-mask", 1, 0, O_PADM},
    {"off-q", 1, 0, O_OFFQ}, {"off-k", 1, 0, O_OFFK}, {"off-v", 1, 0, O_OFFV}, {"off-mask", 1, 0, O_OFFM},
    {"device", 1, 0, O_DEV}, {"seed", 1, 0, O_SEED}, {"dist", 1, 0, O_DIST}, {"comment", 1, 0, O_COMMENT},
    {"out", 1, 0, O_OUT}, {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};

int cmd_case(int argc, char **argv) {
    fasv_build b;
    fasv_build_defaults(&b);
    int hsv_set = 0, tv_set = 0;
    const char *out = NULL;
    const char *comments[64];
    int ncomments = 0;
    optind = 0;
    opterr = 0;
    int c, li = -1;
    while ((c = getopt_long(argc, argv, ":h", k_opts, &li)) != -1) {
        int64_t *i64 = NULL;
        char optname[40];
        snprintf(optname, sizeof optname, "--%s", li >= 0 ? k_opts[li].name : "?");
        switch (c) {
        case 'h':
        case O_HELP: fputs(k_help, stdout); return FASV_EXIT_OK;
        case O_HSK: i64 = &b.hsk; break;
        case O_HSV: i64 = &b.hsv; hsv_set = 1; break;
        case O_NH: i64 = &b.nh; break;
        case O_GQA: i64 = &b.gqa; break;
        case O_NR3: i64 = &b.nr3; break;
        case O_NR3KV: i64 = &b.nr3_kv; break;
        case O_KV: i64 = &b.kv; break;
        case O_NB: i64 = &b.nb; break;
        case O_MH: i64 = &b.mask_heads; break;
        case O_MS: i64 = &b.mask_seqs; break;
        case O_MP: i64 = &b.mask_pad; break;
        case O_KVCAP: i64 = &b.kv_capacity; b.kv_cache_layout = true; break;
        case O_PADQ: i64 = &b.pad_q; break;
        case O_PADK: i64 = &b.pad_k; break;
        case O_PADV: i64 = &b.pad_v; break;
        case O_PADM: i64 = &b.pad_mask; break;
        case O_OFFQ: i64 = &b.off_q; break;
        case O_OFFK: i64 = &b.off_k; break;
        case O_OFFV: i64 = &b.off_v; break;
        case O_OFFM: i64 = &b.off_mask; break;
        case O_TK:
        case O_TV: {
            fasv_type t;
            if (fasv_type_parse(optarg, &t) != 0)
                return cli_usage_error("case", "%s: unknown type '%s' (f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1)",
                                       c == O_TK ? "--type-k" : "--type-v", optarg);
            if (c == O_TK) b.type_k = t;
            else { b.type_v = t; tv_set = 1; }
            break;
        }
        case O_MASK: b.mask = true; break;
        case O_SINKS: b.sinks = true; break;
        case O_KVLAYOUT: b.kv_cache_layout = true; break;
        case O_PERMQ: b.permute_q = true; break;
        case O_VVIEW: b.v_view_of_k = true; break;
        case O_SCALE: if (cli_f32("case", "--scale", optarg, &b.scale)) return FASV_EXIT_USAGE; break;
        case O_BIAS: if (cli_f32("case", "--max-bias", optarg, &b.max_bias)) return FASV_EXIT_USAGE; break;
        case O_CAP: if (cli_f32("case", "--softcap", optarg, &b.softcap)) return FASV_EXIT_USAGE; break;
        case O_PREC:
            if (strcmp(optarg, "f32") == 0) b.prec = FASV_PREC_F32;
            else if (strcmp(optarg, "default") == 0) b.prec = FASV_PREC_DEFAULT;
            else return cli_usage_error("case", "--prec: expected f32 or default, got '%s'", optarg);
            break;
        case O_DEV: snprintf(b.device, sizeof b.device, "%s", optarg); break;
        case O_SEED: if (cli_u64("case", "--seed", optarg, &b.seed)) return FASV_EXIT_USAGE; break;
        case O_DIST:
            if (fasv_dist_parse(optarg, &b.dist) != 0)
                return cli_usage_error("case", "--dist: expected uniform, normal or adversarial, got '%s'", optarg);
            break;
        case O_COMMENT:
            if (ncomments < 64) comments[ncomments++] = optarg;
            break;
        case O_OUT: out = optarg; break;
        case ':': return cli_usage_error("case", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("case", "unknown option '%s' (see --help)", argv[optind - 1]);
        }
        if (i64 && cli_i64("case", optname, optarg, i64)) return FASV_EXIT_USAGE;
        li = -1;
    }
    if (optind < argc) return cli_usage_error("case", "unexpected argument '%s' (see --help)", argv[optind]);
    if (!hsv_set) b.hsv = b.hsk;
    if (!tv_set) b.type_v = b.type_k;

    fasv_case cs;
    char err[256];
    if (fasv_build_case(&b, &cs, err, sizeof err) != 0) return cli_usage_error("case", "%s", err);
    for (int i = 0; i < ncomments; i++) fasv_case_add_comment(&cs, comments[i]);
    char why[256];
    if (fasv_node_check(&cs.node, why, sizeof why) != FASV_LEGAL) fprintf(stderr, "fasv case: note: illegal node: %s\n", why);
    if (out) {
        if (fasv_case_save(&cs, out, err, sizeof err) != 0) return cli_usage_error("case", "%s", err);
        return FASV_EXIT_OK;
    }
    char *text = fasv_case_to_string(&cs);
    if (!text) return cli_usage_error("case", "out of memory");
    fputs(text, stdout);
    free(text);
    return FASV_EXIT_OK;
}
