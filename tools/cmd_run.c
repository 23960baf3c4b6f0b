/* cmd_run.c — `fasv run`: run cases on a real GPU and judge them.
 *
 * A thin shell over fasv_gpu_check_case (kernels/gpu/check.c): open the GPU,
 * check each case, print the verdict with its figures.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fasv/gpucheck.h"

static const char *k_help =
    "usage: fasv run CASE... [--gpu N] [--json] [--timeout S] [--runs N]\n"
    "                [--max-bytes N] [--no-gpu-exit CODE]\n"
    "\n"
    "Run each case (a .case file, or a directory searched for them) on GPU N\n"
    "(default 0) with the built-in target, planned for the modeled device the\n"
    "GPU maps to (an H100/H200 is sm_90; the case's own device line is ignored).\n"
    "For each case: generate its data (stride gaps and padding are NaN), upload\n"
    "into buffers with guard bytes before and after, poison the output, launch\n"
    "the route, check the guards, that no input byte changed and that every\n"
    "output element was written; launch again and demand bit-identical output;\n"
    "compare with the oracle through the tolerance model.\n"
    "\n"
    "  --gpu N          device ordinal (default 0)\n"
    "  --json           one JSON object per case, then a summary object\n"
    "  --timeout S      seconds a launch may take before it counts as hung (10)\n"
    "  --runs N         launches compared for identical bits (2)\n"
    "  --max-bytes N    refuse cases whose buffers exceed N bytes (2 GiB)\n"
    "  --no-gpu-exit C  exit status when there is no GPU (2; ctest uses 77)\n"
    "\n"
    "A case outside the target's envelope is reported SKIP.\n"
    "Exit 0 when every case passes or is skipped, 1 when any fails, 2 on bad\n"
    "input, and 2 (or --no-gpu-exit) when there is no GPU.\n"
    "Test-only: FASV_GPU_FAULT=kv-tail runs a deliberately broken kernel.\n";

int cmd_run(int argc, char **argv) {
    if (cli_wants_help(argc, argv)) {
        fputs(k_help, stdout);
        return FASV_EXIT_OK;
    }
    static const struct option opts[] = {{"gpu", required_argument, 0, 'g'},        {"json", no_argument, 0, 'j'},
                                         {"timeout", required_argument, 0, 't'},    {"runs", required_argument, 0, 'r'},
                                         {"max-bytes", required_argument, 0, 'b'}, {"no-gpu-exit", required_argument, 0, 'n'},
                                         {0, 0, 0, 0}};
    int64_t gpu = 0, runs = 2, max_bytes = 0, no_gpu_exit = FASV_EXIT_USAGE;
    float timeout = 10.0f;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'g':
            if (cli_i64("run", "--gpu", optarg, &gpu) || gpu < 0) return cli_usage_error("run", "--gpu: need an ordinal >= 0");
            break;
        case 'j': json = 1; break;
        case 't':
            if (cli_f32("run", "--timeout", optarg, &timeout) || !(timeout > 0)) return cli_usage_error("run", "--timeout: need seconds > 0");
            break;
        case 'r':
            if (cli_i64("run", "--runs", optarg, &runs) || runs < 1 || runs > 100) return cli_usage_error("run", "--runs: need 1..100");
            break;
        case 'b':
            if (cli_i64("run", "--max-bytes", optarg, &max_bytes) || max_bytes < 0) return cli_usage_error("run", "--max-bytes: need N >= 0");
            break;
        case 'n':
            if (cli_i64("run", "--no-gpu-exit", optarg, &no_gpu_exit) || no_gpu_exit < 0 || no_gpu_exit > 255)
                return cli_usage_error("run", "--no-gpu-exit: need 0..255");
            break;
        default:
            return cli_usage_error("run", "unknown option (see fasv run --help)");
        }
    }
    if (optind >= argc) return cli_usage_error("run", "no case given (see fasv run --help)");
    cli_files files = {0};
    for (int i = optind; i < argc; i++)
        if (cli_collect("run", argv[i], ".case", &files) != 0) {
            cli_files_free(&files);
            return FASV_EXIT_USAGE;
        }
    /* parse every case before touching the GPU: bad input is exit 2 */
    fasv_case *cases = calloc((size_t)(files.n ? files.n : 1), sizeof *cases);
    if (!cases) {
        cli_files_free(&files);
        return cli_usage_error("run", "out of memory");
    }
    char err[1024];
    for (int i = 0; i < files.n; i++)
        if (fasv_case_load(files.path[i], &cases[i], err, sizeof err) != 0) {
            fprintf(stderr, "fasv run: %s\n", err);
            free(cases);
            cli_files_free(&files);
            return FASV_EXIT_USAGE;
        }
    if (files.n == 0) {
        free(cases);
        cli_files_free(&files);
        return cli_usage_error("run", "no .case files found");
    }

    fasv_gpu *g = NULL;
    if (fasv_gpu_open((int)gpu, &g, err, sizeof err) != FASV_GPU_OK) {
        fprintf(stderr, "fasv run: %s\n", err);
        free(cases);
        cli_files_free(&files);
        return (int)no_gpu_exit;
    }
    const fasv_gpu_info *info = fasv_gpu_get_info(g);
    fasv_json j;
    if (json) fasv_json_init(&j, stdout, 0);
    else
        printf("gpu %lld: %s (%s, %s backend, modeled as %s)\n", (long long)gpu, info->name, info->arch,
               fasv_gpu_backend(), info->model[0] ? info->model : "nothing");

    fasv_gpu_check_opts o;
    fasv_gpu_check_opts_default(&o);
    o.timeout_s = timeout;
    o.runs = (int)runs;
    o.max_bytes = max_bytes;
    int n_pass = 0, n_fail = 0, n_skip = 0, n_err = 0, lost = 0;
    for (int i = 0; i < files.n; i++) {
        fasv_gpu_result r;
        if (lost) {
            memset(&r, 0, sizeof r);
            r.outcome = FASV_GPU_ERROR;
            snprintf(r.kind, sizeof r.kind, "device-lost");
            snprintf(r.detail, sizeof r.detail, "not run: the GPU was lost on an earlier case");
        } else {
            fasv_gpu_check_case(g, &cases[i], &o, &r);
        }
        lost |= r.device_lost;
        switch (r.outcome) {
        case FASV_GPU_PASS: n_pass++; break;
        case FASV_GPU_FINDING: n_fail++; break;
        case FASV_GPU_SKIP: n_skip++; break;
        default: n_err++; break;
        }
        if (json) {
            fasv_json_obj(&j);
            fasv_json_kstr(&j, "case", files.path[i]);
            fasv_json_key(&j, "result");
            fasv_gpu_result_json(&j, &r);
            fasv_json_end(&j);
            fasv_json_done(&j);
            fputc('\n', stdout);
        } else {
            printf("%s: ", files.path[i]);
            fasv_gpu_result_print(stdout, &cases[i], &r);
        }
        fflush(stdout);
    }
    if (json) {
        fasv_json_obj(&j);
        fasv_json_kstr(&j, "gpu", info->name);
        fasv_json_kstr(&j, "arch", info->arch);
        fasv_json_kstr(&j, "model", info->model);
        fasv_json_kint(&j, "passed", n_pass);
        fasv_json_kint(&j, "failed", n_fail);
        fasv_json_kint(&j, "skipped", n_skip);
        fasv_json_kint(&j, "errors", n_err);
        fasv_json_end(&j);
        fasv_json_done(&j);
        fputc('\n', stdout);
    } else if (files.n > 1) {
        printf("%d passed, %d failed, %d skipped, %d errors\n", n_pass, n_fail, n_skip, n_err);
    }
    free(cases);
    cli_files_free(&files);
    if (lost) _exit(n_fail ? FASV_EXIT_FINDING : FASV_EXIT_USAGE); /* never tear down a lost context */
    fasv_gpu_close(g);
    return n_fail ? FASV_EXIT_FINDING : n_err ? FASV_EXIT_USAGE : FASV_EXIT_OK;
}
