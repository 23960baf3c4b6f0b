/* cli.h — shared plumbing of the fasv command-line program.
 *
 * Owns: the subcommand table, exit-status conventions and small option
 * helpers. Each subcommand lives in its own tools/cmd_*.c and is listed in
 * tools/commands.def. Harness logic never lives here: commands call the
 * libraries and print.
 *
 * Exit status everywhere: 0 clean, 1 finding (the target is wrong, or the
 * input is illegal where legality is the question), 2 bad input or usage.
 */
#ifndef FASV_CLI_H
#define FASV_CLI_H

#include <stdint.h>
#include <stdio.h>

#define FASV_EXIT_OK 0
#define FASV_EXIT_FINDING 1
#define FASV_EXIT_USAGE 2

typedef int (*fasv_cmd_fn)(int argc, char **argv);

#define FASV_CMD(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef FASV_CMD

/* "fasv CMD: message" on stderr; returns FASV_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...);
/* Strict number parsing for option values; on error prints
 * "fasv CMD: --opt: ..." and returns -1. */
int cli_i64(const char *cmd, const char *opt, const char *val, int64_t *out);
int cli_u64(const char *cmd, const char *opt, const char *val, uint64_t *out);
int cli_f32(const char *cmd, const char *opt, const char *val, float *out);
/* True when argv holds -h or --help. */
int cli_wants_help(int argc, char **argv);
/* Create a directory and its parents (like mkdir -p); 0 or -1 with errno. */
int cli_mkdirs(const char *path);
/* Join dir and name into buf. */
const char *cli_path(char *buf, size_t len, const char *dir, const char *name);

#endif

/* A list of file paths: the files named, and for each directory named, every
 * file under it whose name ends in ext (recursively, sorted by path). */
typedef struct cli_files {
    char **path;
    int n, cap;
} cli_files;
/* 0, or -1 after printing "fasv CMD: PATH: reason" for a path that is missing. */
int cli_collect(const char *cmd, const char *path, const char *ext, cli_files *out);
void cli_files_free(cli_files *f);

/* The target a command verifies: --planner SPEC (a plugin path, "builtin"
 * or "test:NAME"), else $FASV_PLANNER, else the built-in target. NULL after printing
 * "fasv CMD: plugin LIB: reason" (then exit 2). */
#include "fasv/target.h"
const fasv_target *cli_target(const char *cmd, const char *planner);

/* Load the case at path and generate its data within max_bytes (0 = the
 * default limit). 0, or FASV_EXIT_USAGE after printing the error (FILE:LINE
 * for a bad case, "fasv CMD: PATH: reason" for an illegal or too large one). */
#include "fasv/gen.h"
int cli_load_gen(const char *cmd, const char *path, int64_t max_bytes, fasv_case *c, fasv_data *d);
