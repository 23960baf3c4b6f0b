/* cli.c — option helpers shared by the subcommands. See cli.h. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fasv %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return FASV_EXIT_USAGE;
}

int cli_i64(const char *cmd, const char *opt, const char *val, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(val, &end, 10);
    if (!*val || *end || errno) {
        cli_usage_error(cmd, "%s: expected an integer, got '%s'", opt, val);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_u64(const char *cmd, const char *opt, const char *val, uint64_t *out) {
    char *end;
    errno = 0;
    if (!*val || *val == '-') {
        cli_usage_error(cmd, "%s: expected an unsigned integer, got '%s'", opt, val);
        return -1;
    }
    unsigned long long v = strtoull(val, &end, 10);
    if (*end || errno) {
        cli_usage_error(cmd, "%s: expected an unsigned integer, got '%s'", opt, val);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_f32(const char *cmd, const char *opt, const char *val, float *out) {
    char *end;
    errno = 0;
    float v = strtof(val, &end);
    if (!*val || *end) {
        cli_usage_error(cmd, "%s: expected a number, got '%s'", opt, val);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return 1;
    return 0;
}

int cli_mkdirs(const char *path) {
    char tmp[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, path, len + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

const char *cli_path(char *buf, size_t len, const char *dir, const char *name) {
    size_t dl = strlen(dir);
    snprintf(buf, len, "%s%s%s", dir, (dl && dir[dl - 1] == '/') ? "" : "/", name);
    return buf;
}

#include <dirent.h>

static int push(cli_files *f, const char *p) {
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 16;
        char **np = realloc(f->path, sizeof(char *) * (size_t)cap);
        if (!np) return -1;
        f->path = np;
        f->cap = cap;
    }
    f->path[f->n] = strdup(p);
    return f->path[f->n++] ? 0 : -1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int walk(const char *dir, const char *ext, cli_files *out) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    cli_files local = {0};
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char p[4096];
        cli_path(p, sizeof p, dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            push(&local, p);
        } else if (S_ISREG(st.st_mode)) {
            size_t l = strlen(e->d_name), el = strlen(ext);
            if (l > el && strcmp(e->d_name + l - el, ext) == 0) push(&local, p);
        }
    }
    closedir(d);
    qsort(local.path, (size_t)local.n, sizeof(char *), cmp_str);
    for (int i = 0; i < local.n; i++) {
        struct stat st;
        if (stat(local.path[i], &st) == 0 && S_ISDIR(st.st_mode))
            walk(local.path[i], ext, out);
        else
            push(out, local.path[i]);
    }
    cli_files_free(&local);
    return 0;
}

int cli_collect(const char *cmd, const char *path, const char *ext, cli_files *out) {
    struct stat st;
    if (strcmp(path, "-") == 0) return push(out, path);
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fasv %s: %s: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) return walk(path, ext, out);
    return push(out, path);
}

void cli_files_free(cli_files *f) {
    for (int i = 0; i < f->n; i++) free(f->path[i]);
    free(f->path);
    memset(f, 0, sizeof(*f));
}

#include "fuzz/lib/fz_target.h"

const fasv_target *cli_target(const char *cmd, const char *planner) {
    char err[512];
    const fasv_target *t = fasv_target_resolve(planner && *planner ? planner : fasv_target_spec_from_env(), err, sizeof err);
    if (!t) fprintf(stderr, "fasv %s: %s\n", cmd, err);
    return t;
}

int cli_load_gen(const char *cmd, const char *path, int64_t max_bytes, fasv_case *c, fasv_data *d) {
    char err[512];
    if (fasv_case_load(path, c, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return FASV_EXIT_USAGE;
    }
    if (fasv_gen(c, d, max_bytes, err, sizeof err) != 0) return cli_usage_error(cmd, "%s: %s", path, err);
    return 0;
}
