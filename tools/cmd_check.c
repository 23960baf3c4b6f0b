/* cmd_check.c — `fasv check`: is each case a legal FLASH_ATTN_EXT node? */
#include <string.h>

#include "cli.h"
#include "fasv/case.h"
#include "fasv/json.h"

static const char *k_help =
    "usage: fasv check [--json] CASE|DIR...\n"
    "\n"
    "For each case file (directories: every *.case below them) print\n"
    "  PATH: legal\n"
    "  PATH: illegal: REASON [rule]\n"
    "Legal means legal for the op (ggml's FLASH_ATTN_EXT contract), not that any\n"
    "kernel supports it. Exit 0 if all are legal, 1 if any is illegal, 2 if any\n"
    "file cannot be read or parsed (reported as FILE:LINE: message).\n";

int cmd_check(int argc, char **argv) {
    int json = 0;
    cli_files files = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(k_help, stdout);
            cli_files_free(&files);
            return FASV_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_files_free(&files);
            return cli_usage_error("check", "unknown option '%s' (see --help)", argv[i]);
        } else if (cli_collect("check", argv[i], ".case", &files) != 0) {
            cli_files_free(&files);
            return FASV_EXIT_USAGE;
        }
    }
    if (files.n == 0) {
        cli_files_free(&files);
        return cli_usage_error("check", "no case files given (see --help)");
    }
    int status = FASV_EXIT_OK;
    fasv_json j;
    if (json) {
        fasv_json_init(&j, stdout, 1);
        fasv_json_arr(&j);
    }
    for (int i = 0; i < files.n; i++) {
        fasv_case c;
        char err[512], why[256];
        const char *p = files.path[i];
        if (fasv_case_load(p, &c, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            if (json) {
                fasv_json_obj(&j);
                fasv_json_kstr(&j, "path", p);
                fasv_json_kstr(&j, "verdict", "unreadable");
                fasv_json_kstr(&j, "error", err);
                fasv_json_end(&j);
            }
            status = FASV_EXIT_USAGE;
            continue;
        }
        fasv_illegal code = fasv_node_check(&c.node, why, sizeof why);
        if (code != FASV_LEGAL && status == FASV_EXIT_OK) status = FASV_EXIT_FINDING;
        if (json) {
            fasv_json_obj(&j);
            fasv_json_kstr(&j, "path", p);
            fasv_json_kstr(&j, "verdict", code == FASV_LEGAL ? "legal" : "illegal");
            if (code != FASV_LEGAL) {
                fasv_json_kstr(&j, "rule", fasv_illegal_name(code));
                fasv_json_kstr(&j, "reason", why);
            }
            fasv_json_end(&j);
        } else if (code == FASV_LEGAL) {
            printf("%s: legal\n", p);
        } else {
            printf("%s: illegal: %s [%s]\n", p, why, fasv_illegal_name(code));
        }
    }
    if (json) {
        fasv_json_end(&j);
        fasv_json_done(&j);
    }
    cli_files_free(&files);
    return status;
}
