/* cmd_compare.c — `fasv compare`: judge an output from anywhere against the
 * reference with the tolerance model (docs/tolerance.md). Thin: loads, calls
 * fasv_oracle_prepare and fasv_compare, prints the verdict. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fasv/json.h"
#include "fasv/npy.h"
#include "fasv/oracle.h"

static const char *k_help =
    "usage: fasv compare CASE CANDIDATE.npy [--json] [--threads N] [--max-bytes N]\n"
    "                    [--k K] [--floor F] [--cond-u U] [--cap C] [--nmse-max X]\n"
    "\n"
    "Regenerate CASE's data, run the reference and the naive low-precision\n"
    "reference, and judge CANDIDATE.npy (float32 or float64, NumPy shape\n"
    "[n_seq, n_q, n_head, Dv]: a GPU run, PyTorch, another back-end) with the\n"
    "tolerance model. Per output row r, errors are in units of the row's value\n"
    "scale W_r; the row passes when\n"
    "    error_r <= k * min(max(naive error_r, cond_u * kappa_r), cap) + floor\n"
    "and the output passes when every row does, there is no NaN where the\n"
    "reference has none, every Inf matches in place and sign, and NMSE <= 5e-4.\n"
    "Every figure is printed (max abs and relative error, NMSE, the worst row and\n"
    "its bound). Defaults depend on the node's precision (docs/tolerance.md):\n"
    "  --k K  --floor F  --cond-u U  --cap C  --nmse-max X   override them\n"
    "  --threads N     worker threads of the reference (default: online CPUs)\n"
    "  --max-bytes N   refuse cases whose buffers exceed N bytes (default 2 GiB)\n"
    "  --json          the verdict as JSON\n"
    "Exit 0 pass, 1 fail, 2 bad input (unreadable case or .npy, wrong shape).\n";

static int parse_pos(const char *opt, const char *val, double *out) {
    float f;
    if (cli_f32("compare", opt, val, &f)) return -1;
    if (!(f >= 0.0f)) {
        cli_usage_error("compare", "%s: expected a number >= 0, got '%s'", opt, val);
        return -1;
    }
    *out = f;
    return 0;
}

int cmd_compare(int argc, char **argv) {
    static const struct option opts[] = {
        {"json", 0, 0, 'j'}, {"threads", 1, 0, 't'}, {"max-bytes", 1, 0, 'm'}, {"k", 1, 0, 'k'},
        {"floor", 1, 0, 'f'}, {"cond-u", 1, 0, 'u'}, {"cap", 1, 0, 'c'}, {"nmse-max", 1, 0, 'x'},
        {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int json = 0;
    int64_t threads = 0, max_bytes = 0;
    double ov[5];
    int have[5] = {0};
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        int slot = -1;
        switch (c) {
        case 'h': fputs(k_help, stdout); return FASV_EXIT_OK;
        case 'j': json = 1; break;
        case 't':
            if (cli_i64("compare", "--threads", optarg, &threads)) return FASV_EXIT_USAGE;
            if (threads < 0 || threads > 64) return cli_usage_error("compare", "--threads: expected 0..64");
            break;
        case 'm': if (cli_i64("compare", "--max-bytes", optarg, &max_bytes)) return FASV_EXIT_USAGE; break;
        case 'k': slot = 0; break;
        case 'f': slot = 1; break;
        case 'u': slot = 2; break;
        case 'c': slot = 3; break;
        case 'x': slot = 4; break;
        case ':': return cli_usage_error("compare", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("compare", "unknown option '%s' (see --help)", argv[optind - 1]);
        }
        if (slot >= 0) {
            if (parse_pos(argv[optind - 1], optarg, &ov[slot])) return FASV_EXIT_USAGE;
            have[slot] = 1;
        }
    }
    if (optind != argc - 2) return cli_usage_error("compare", "expected CASE and CANDIDATE.npy (see --help)");
    const char *path = argv[optind], *npy = argv[optind + 1];
    fasv_case cs;
    char err[512];
    if (fasv_case_load(path, &cs, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return FASV_EXIT_USAGE;
    }
    const fasv_node *n = &cs.node;
    if (fasv_node_check(n, err, sizeof err) != FASV_LEGAL) return cli_usage_error("compare", "%s: illegal node: %s", path, err);
    fasv_npy cand;
    if (fasv_npy_read(npy, &cand, err, sizeof err) != 0) return cli_usage_error("compare", "%s", err);
    int64_t want[4] = {fasv_nseq(n), fasv_nq(n), fasv_nhead(n), fasv_dv(n)};
    int shape_ok = cand.ndim == 4;
    for (int i = 0; i < 4 && shape_ok; i++) shape_ok = cand.shape[i] == want[i];
    if (!shape_ok) {
        char got[256] = "";
        size_t l = 0;
        for (int i = 0; i < cand.ndim && l < sizeof got; i++)
            l += (size_t)snprintf(got + l, sizeof got - l, "%s%lld", i ? ", " : "", (long long)cand.shape[i]);
        fasv_npy_free(&cand);
        return cli_usage_error("compare",
                               "%s: shape (%s), but %s's output is (%lld, %lld, %lld, %lld) = (n_seq, n_q, n_head, Dv)",
                               npy, got, path, (long long)want[0], (long long)want[1], (long long)want[2],
                               (long long)want[3]);
    }
    fasv_data d;
    if (fasv_gen(&cs, &d, max_bytes, err, sizeof err) != 0) {
        fasv_npy_free(&cand);
        return cli_usage_error("compare", "%s: %s", path, err);
    }
    fasv_oracle_opts oo = {(int)threads, 0};
    fasv_oracle_result res;
    if (fasv_oracle_prepare(n, &d, &oo, &res, err, sizeof err) != 0) {
        fasv_npy_free(&cand);
        fasv_data_free(&d);
        return cli_usage_error("compare", "%s: %s", path, err);
    }
    fasv_tol tol;
    fasv_tol_default(&tol, n->prec);
    double *slots[5] = {&tol.k, &tol.floor, &tol.cond_u, &tol.cap, &tol.nmse_max};
    for (int i = 0; i < 5; i++)
        if (have[i]) *slots[i] = ov[i];
    fasv_judgement v;
    fasv_compare(n, res.ref, res.row, res.naive, cand.data, &tol, &v);
    if (json) {
        fasv_json j;
        fasv_json_init(&j, stdout, 1);
        fasv_json_obj(&j);
        fasv_json_kstr(&j, "case", path);
        fasv_json_kstr(&j, "candidate", npy);
        fasv_json_kstr(&j, "prec", fasv_prec_name(n->prec));
        fasv_json_key(&j, "verdict");
        fasv_judgement_json(&j, &v);
        fasv_json_end(&j);
        fasv_json_done(&j);
    } else {
        printf("%s vs %s (prec %s):\n", npy, path, fasv_prec_name(n->prec));
        fasv_judgement_print(stdout, &v, "  ");
    }
    fasv_oracle_result_free(&res);
    fasv_npy_free(&cand);
    fasv_data_free(&d);
    return v.pass ? FASV_EXIT_OK : FASV_EXIT_FINDING;
}
