/* fasv.c — the fasv program: dispatches to one subcommand per file.
 * Owns only the table walk and the top-level help. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct command {
    const char *name;
    fasv_cmd_fn fn;
    const char *summary;
} command;

static const command k_commands[] = {
#define FASV_CMD(name, fn, summary) {name, fn, summary},
#include "commands.def"
#undef FASV_CMD
};

static void usage(FILE *f) {
    fprintf(f,
            "fasv — FlashAttention shape-space verifier\n"
            "\n"
            "usage: fasv COMMAND [ARGS...]      (fasv COMMAND --help for each)\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        fprintf(f, "  %-10s %s\n", k_commands[i].name, k_commands[i].summary);
    fprintf(f,
            "\n"
            "exit status: 0 clean, 1 finding (or an illegal input where legality is asked),\n"
            "             2 bad input or usage\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return FASV_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return FASV_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        if (strcmp(argv[1], k_commands[i].name) == 0) return k_commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "fasv: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return FASV_EXIT_USAGE;
}
