/* cmd_gen.c — `fasv gen`: a case's input tensors for outside tools. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fasv/gen.h"
#include "fasv/json.h"
#include "fasv/npy.h"

static const char *k_help =
    "usage: fasv gen CASE --out DIR [--max-bytes N]\n"
    "\n"
    "Generate the case's input data (deterministic from its seed and dist) and\n"
    "write into DIR:\n"
    "  q.npy k.npy v.npy [mask.npy] [sinks.npy]\n"
    "      float32 values of each tensor's logical elements (quantized K/V\n"
    "      dequantized exactly, mask -inf kept), NumPy shape = ne reversed,\n"
    "      e.g. k.npy is [n_seq_k, n_head_kv, n_kv, Dk]. Mask rows past n_q are\n"
    "      padding and hold NaN.\n"
    "  buf_q.bin buf_k.bin ...\n"
    "      the raw bytes of every buffer exactly as a kernel receives them; bytes no\n"
    "      view element covers are 0xFF (NaN in every type).\n"
    "  layout.json   type, ne, nb (bytes), offset and buffer file of each tensor\n"
    "  case.case     the canonical case\n"
    "Exit 0, or 2 on bad input (unreadable, illegal or too large case).\n";

static int write_tensor(const char *dir, const fasv_data *d, const fasv_node *n, fasv_tid id) {
    const fasv_tensor *t = &n->t[id];
    int64_t count = t->ne[0] * t->ne[1] * t->ne[2] * t->ne[3];
    float *v = malloc(sizeof(float) * (size_t)count);
    if (!v) return cli_usage_error("gen", "out of memory");
    fasv_data_read_f32(d, n, id, v);
    int64_t shape[4] = {t->ne[3], t->ne[2], t->ne[1], t->ne[0]};
    int ndim = id == FASV_SINKS ? 1 : 4;
    char name[64], path[4096], err[512];
    snprintf(name, sizeof name, "%s.npy", fasv_tid_name(id));
    int r = fasv_npy_write(cli_path(path, sizeof path, dir, name), "<f4", ndim == 1 ? shape + 3 : shape, ndim, v,
                           err, sizeof err);
    free(v);
    if (r != 0) return cli_usage_error("gen", "%s", err);
    return 0;
}

int cmd_gen(int argc, char **argv) {
    static const struct option opts[] = {{"out", 1, 0, 'o'}, {"max-bytes", 1, 0, 'm'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL;
    int64_t max_bytes = 0;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(k_help, stdout); return FASV_EXIT_OK;
        case 'o': out = optarg; break;
        case 'm': if (cli_i64("gen", "--max-bytes", optarg, &max_bytes)) return FASV_EXIT_USAGE; break;
        case ':': return cli_usage_error("gen", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("gen", "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return cli_usage_error("gen", "expected exactly one CASE (see --help)");
    if (!out) return cli_usage_error("gen", "--out DIR is required");
    const char *path = argv[optind];
    fasv_case cs;
    fasv_data d;
    char err[512];
    if (cli_load_gen("gen", path, max_bytes, &cs, &d) != 0) return FASV_EXIT_USAGE;
    if (cli_mkdirs(out) != 0) {
        fasv_data_free(&d);
        return cli_usage_error("gen", "%s: cannot create directory", out);
    }
    const fasv_node *n = &cs.node;
    int status = FASV_EXIT_OK;
    char p[4096], name[64];
    for (int id = 0; id < FASV_NT && status == FASV_EXIT_OK; id++) {
        if (!fasv_node_has(n, (fasv_tid)id)) continue;
        if (write_tensor(out, &d, n, (fasv_tid)id) != 0) status = FASV_EXIT_USAGE;
        if (d.buf[id]) {
            snprintf(name, sizeof name, "buf_%s.bin", fasv_tid_name((fasv_tid)id));
            FILE *f = fopen(cli_path(p, sizeof p, out, name), "wb");
            if (!f || fwrite(d.buf[id], 1, (size_t)d.bytes[id], f) != (size_t)d.bytes[id]) status = FASV_EXIT_USAGE;
            if (f && fclose(f) != 0) status = FASV_EXIT_USAGE;
            if (status != FASV_EXIT_OK) cli_usage_error("gen", "%s: write failed", p);
        }
    }
    if (status == FASV_EXIT_OK) {
        FILE *f = fopen(cli_path(p, sizeof p, out, "layout.json"), "w");
        if (!f) {
            status = cli_usage_error("gen", "%s: cannot write", p);
        } else {
            fasv_json j;
            fasv_json_init(&j, f, 1);
            fasv_json_obj(&j);
            for (int id = 0; id < FASV_NT; id++) {
                if (!fasv_node_has(n, (fasv_tid)id)) continue;
                const fasv_tensor *t = &n->t[id];
                fasv_json_key(&j, fasv_tid_name((fasv_tid)id));
                fasv_json_obj(&j);
                fasv_json_kstr(&j, "type", fasv_type_name(t->type));
                fasv_json_key(&j, "ne");
                fasv_json_arr(&j);
                for (int i = 0; i < 4; i++) fasv_json_int(&j, t->ne[i]);
                fasv_json_end(&j);
                fasv_json_key(&j, "nb");
                fasv_json_arr(&j);
                for (int i = 0; i < 4; i++) fasv_json_int(&j, t->nb[i]);
                fasv_json_end(&j);
                fasv_json_kint(&j, "offset", t->offset);
                snprintf(name, sizeof name, "buf_%s.bin", fasv_tid_name((fasv_tid)t->buf));
                fasv_json_kstr(&j, "buffer", name);
                fasv_json_end(&j);
            }
            fasv_json_end(&j);
            fasv_json_done(&j);
            if (fclose(f) != 0) status = cli_usage_error("gen", "%s: write failed", p);
        }
    }
    if (status == FASV_EXIT_OK && fasv_case_save(&cs, cli_path(p, sizeof p, out, "case.case"), err, sizeof err) != 0)
        status = cli_usage_error("gen", "%s", err);
    fasv_data_free(&d);
    if (status == FASV_EXIT_OK) printf("wrote %s/{q,k,v%s%s}.npy, raw buffers, layout.json, case.case\n", out,
                                       n->has_mask ? ",mask" : "", n->has_sinks ? ",sinks" : "");
    return status;
}
