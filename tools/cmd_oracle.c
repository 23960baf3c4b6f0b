/* cmd_oracle.c — `fasv oracle`: the reference output of a case, as .npy.
 * Thin: loads the case, generates its data, calls the oracle library, writes
 * and prints. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "fasv/json.h"
#include "fasv/npy.h"
#include "fasv/oracle.h"

static const char *k_help =
    "usage: fasv oracle CASE --out DIR [--naive] [--threads N] [--max-bytes N] [--json]\n"
    "\n"
    "Compute CASE's output with the reference: FLASH_ATTN_EXT in double precision\n"
    "from the case's deterministic data (fasv gen makes the same bytes), views and\n"
    "strides honoured, quantized K/V dequantized exactly. Write into DIR:\n"
    "  out.npy     float64, NumPy shape [n_seq, n_q, n_head, Dv] (out's ne reversed)\n"
    "  naive.npy   with --naive: the naive low-precision reference in the node's\n"
    "              precision mode (float32, same shape), the yardstick of\n"
    "              `fasv compare` (docs/tolerance.md)\n"
    "and print a summary: shape, time and GFLOP/s (2*n_q*n_kv*(Dk+Dv) per head and\n"
    "sequence), value range, fully masked rows, and how far the naive reference is.\n"
    "  --threads N     worker threads (default: every online CPU); the output bits\n"
    "                  do not depend on it\n"
    "  --max-bytes N   refuse cases whose buffers exceed N bytes (default 2 GiB)\n"
    "  --json          the summary as JSON\n"
    "Exit 0, or 2 on bad input (unreadable, illegal or too large case).\n";

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int cmd_oracle(int argc, char **argv) {
    static const struct option opts[] = {{"out", 1, 0, 'o'},   {"naive", 0, 0, 'n'}, {"threads", 1, 0, 't'},
                                         {"max-bytes", 1, 0, 'm'}, {"json", 0, 0, 'j'},  {"help", 0, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *out = NULL;
    int want_naive = 0, json = 0;
    int64_t threads = 0, max_bytes = 0;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(k_help, stdout); return FASV_EXIT_OK;
        case 'o': out = optarg; break;
        case 'n': want_naive = 1; break;
        case 'j': json = 1; break;
        case 't':
            if (cli_i64("oracle", "--threads", optarg, &threads)) return FASV_EXIT_USAGE;
            if (threads < 0 || threads > 64) return cli_usage_error("oracle", "--threads: expected 0..64");
            break;
        case 'm': if (cli_i64("oracle", "--max-bytes", optarg, &max_bytes)) return FASV_EXIT_USAGE; break;
        case ':': return cli_usage_error("oracle", "%s needs a value", argv[optind - 1]);
        default: return cli_usage_error("oracle", "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return cli_usage_error("oracle", "expected exactly one CASE (see --help)");
    if (!out) return cli_usage_error("oracle", "--out DIR is required");
    const char *path = argv[optind];
    fasv_case cs;
    fasv_data d;
    char err[512];
    if (cli_load_gen("oracle", path, max_bytes, &cs, &d) != 0) return FASV_EXIT_USAGE;
    if (cli_mkdirs(out) != 0) {
        fasv_data_free(&d);
        return cli_usage_error("oracle", "%s: cannot create directory", out);
    }
    const fasv_node *n = &cs.node;
    fasv_oracle_opts oo = {(int)threads, 0};
    int64_t cnt = fasv_out_count(n), rows = fasv_oracle_rows(n), dv = fasv_dv(n);
    double *ref = malloc(sizeof(double) * (size_t)cnt);
    fasv_row_stat *rs = malloc(sizeof(fasv_row_stat) * (size_t)rows);
    float *naive = want_naive ? malloc(sizeof(float) * (size_t)cnt) : NULL;
    int status = FASV_EXIT_OK;
    double t_ref = 0.0;
    if (!ref || !rs || (want_naive && !naive)) {
        status = cli_usage_error("oracle", "%s: out of memory for %lld output values", path, (long long)cnt);
    } else {
        double t0 = now_s();
        if (fasv_oracle_ref(n, &d, &oo, ref, rs, err, sizeof err) != 0)
            status = cli_usage_error("oracle", "%s: %s", path, err);
        t_ref = now_s() - t0;
        if (status == FASV_EXIT_OK && naive && fasv_oracle_naive(n, &d, &oo, naive, err, sizeof err) != 0)
            status = cli_usage_error("oracle", "%s: %s", path, err);
    }
    int64_t shape[4] = {fasv_nseq(n), fasv_nq(n), fasv_nhead(n), dv};
    char p1[4096], p2[4096];
    cli_path(p1, sizeof p1, out, "out.npy");
    cli_path(p2, sizeof p2, out, "naive.npy");
    if (status == FASV_EXIT_OK && fasv_npy_write(p1, "<f8", shape, 4, ref, err, sizeof err) != 0)
        status = cli_usage_error("oracle", "%s", err);
    if (status == FASV_EXIT_OK && naive && fasv_npy_write(p2, "<f4", shape, 4, naive, err, sizeof err) != 0)
        status = cli_usage_error("oracle", "%s", err);
    if (status == FASV_EXIT_OK) {
        double flop = 2.0 * (double)fasv_nq(n) * (double)fasv_nkv(n) * (double)(fasv_dk(n) + dv) *
                      (double)fasv_nhead(n) * (double)fasv_nseq(n);
        double vmin = INFINITY, vmax = -INFINITY, nd2 = 0.0, a2 = 0.0;
        int64_t masked = 0, nonfinite = 0;
        for (int64_t r = 0; r < rows; r++) masked += rs[r].scale == 0.0;
        for (int64_t x = 0; x < cnt; x++) {
            vmin = fmin(vmin, ref[x]);
            vmax = fmax(vmax, ref[x]);
            a2 += ref[x] * ref[x];
            if (naive) {
                if (!isfinite(naive[x]))
                    nonfinite++;
                else
                    nd2 += (naive[x] - ref[x]) * (naive[x] - ref[x]);
            }
        }
        double gflops = t_ref > 0.0 ? flop * 1e-9 / t_ref : 0.0;
        if (json) {
            fasv_json j;
            fasv_json_init(&j, stdout, 1);
            fasv_json_obj(&j);
            fasv_json_kstr(&j, "case", path);
            fasv_json_key(&j, "shape");
            fasv_json_arr(&j);
            for (int i = 0; i < 4; i++) fasv_json_int(&j, shape[i]);
            fasv_json_end(&j);
            fasv_json_kstr(&j, "out", p1);
            if (naive) fasv_json_kstr(&j, "naive", p2);
            fasv_json_knum(&j, "seconds", t_ref);
            fasv_json_knum(&j, "gflop", flop * 1e-9);
            fasv_json_knum(&j, "gflops", gflops);
            fasv_json_knum(&j, "min", vmin);
            fasv_json_knum(&j, "max", vmax);
            fasv_json_kint(&j, "rows", rows);
            fasv_json_kint(&j, "rows_fully_masked", masked);
            if (naive) {
                fasv_json_kint(&j, "naive_nonfinite", nonfinite);
                fasv_json_knum(&j, "naive_nmse", a2 > 0.0 ? nd2 / a2 : 0.0);
            }
            fasv_json_end(&j);
            fasv_json_done(&j);
        } else {
            printf("%s: out [%lld, %lld, %lld, %lld] (n_seq, n_q, n_head, Dv), %lld values in %lld rows\n", path,
                   (long long)shape[0], (long long)shape[1], (long long)shape[2], (long long)shape[3], (long long)cnt,
                   (long long)rows);
            printf("  reference: %.3f ms, %.3f GFLOP, %.2f GFLOP/s; values in [%.6g, %.6g]; fully masked rows: %lld\n",
                   t_ref * 1e3, flop * 1e-9, gflops, vmin, vmax, (long long)masked);
            if (naive)
                printf("  naive (prec %s): %lld non-finite values; NMSE against the reference %.3e\n",
                       fasv_prec_name(n->prec), (long long)nonfinite, a2 > 0.0 ? nd2 / a2 : 0.0);
            printf("  wrote %s%s%s\n", p1, naive ? " and " : "", naive ? p2 : "");
        }
    }
    free(ref);
    free(rs);
    free(naive);
    fasv_data_free(&d);
    return status;
}
