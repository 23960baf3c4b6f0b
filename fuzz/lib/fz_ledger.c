/* fz_ledger.c — the known-failure ledger. See fz_ledger.h. */
#include "fz_ledger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int resolve(const char *path, char *out, size_t len) {
    char buf[4096];
    if (!realpath(path, buf)) return -1;
    snprintf(out, len, "%s", buf);
    return 0;
}

static int field(char **p, char *out, size_t len) {
    char *s = *p;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) return -1;
    char *e = s;
    while (*e && *e != ' ' && *e != '\t') e++;
    size_t l = (size_t)(e - s);
    if (l >= len) return -1;
    memcpy(out, s, l);
    out[l] = 0;
    *p = e;
    return 0;
}

int fasv_ledger_load(const char *path, fasv_ledger *l, char *err, size_t errlen) {
    memset(l, 0, sizeof *l);
    snprintf(l->path, sizeof l->path, "%s", path);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s:0: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    char line[4096];
    int lineno = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t ll = strlen(line);
        if (ll == sizeof line - 1 && line[ll - 1] != '\n') {
            snprintf(err, errlen, "%s:%d: line too long", path, lineno);
            goto fail;
        }
        while (ll && (line[ll - 1] == '\n' || line[ll - 1] == '\r' || line[ll - 1] == ' ' || line[ll - 1] == '\t'))
            line[--ll] = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') continue;
        if (l->n == cap) {
            cap = cap ? 2 * cap : 16;
            fasv_ledger_entry *ne = realloc(l->e, (size_t)cap * sizeof *ne);
            if (!ne) {
                snprintf(err, errlen, "%s:%d: out of memory", path, lineno);
                goto fail;
            }
            l->e = ne;
        }
        fasv_ledger_entry *e = &l->e[l->n];
        memset(e, 0, sizeof *e);
        e->line = lineno;
        if (field(&p, e->target, sizeof e->target) || field(&p, e->case_file, sizeof e->case_file) ||
            field(&p, e->signature, sizeof e->signature) || field(&p, e->reference, sizeof e->reference)) {
            snprintf(err, errlen, "%s:%d: expected 'TARGET CASE SIGNATURE REFERENCE REASON...'", path, lineno);
            goto fail;
        }
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) {
            snprintf(err, errlen, "%s:%d: the entry gives no reason", path, lineno);
            goto fail;
        }
        snprintf(e->reason, sizeof e->reason, "%s", p);
        char full[2048];
        if (e->case_file[0] == '/')
            snprintf(full, sizeof full, "%s", e->case_file);
        else
            snprintf(full, sizeof full, "%s/%s", dir, e->case_file);
        if (resolve(full, e->case_real, sizeof e->case_real) != 0) {
            snprintf(err, errlen, "%s:%d: case file %s does not exist (%s)", path, lineno, e->case_file, full);
            goto fail;
        }
        for (int i = 0; i < l->n; i++)
            if (strcmp(l->e[i].target, e->target) == 0 && strcmp(l->e[i].case_real, e->case_real) == 0 &&
                strcmp(l->e[i].signature, e->signature) == 0) {
                snprintf(err, errlen, "%s:%d: duplicate of the entry on line %d", path, lineno, l->e[i].line);
                goto fail;
            }
        l->n++;
    }
    fclose(f);
    return 0;
fail:
    fclose(f);
    fasv_ledger_free(l);
    return -1;
}

void fasv_ledger_free(fasv_ledger *l) {
    free(l->e);
    l->e = NULL;
    l->n = 0;
}

fasv_ledger_entry *fasv_ledger_match(fasv_ledger *l, const char *target, const char *case_path, const char *sig) {
    char real[4096];
    if (!l || resolve(case_path, real, sizeof real) != 0) return NULL;
    for (int i = 0; i < l->n; i++) {
        fasv_ledger_entry *e = &l->e[i];
        if (strcmp(e->target, target) == 0 && strcmp(e->case_real, real) == 0 && strcmp(e->signature, sig) == 0) {
            e->seen = 1;
            return e;
        }
    }
    return NULL;
}

int fasv_ledger_names(const fasv_ledger *l, const char *target, const char *case_path) {
    char real[4096];
    if (!l || resolve(case_path, real, sizeof real) != 0) return 0;
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->e[i].target, target) == 0 && strcmp(l->e[i].case_real, real) == 0) return 1;
    return 0;
}
