/* driver_replay.c — the plain driver of every harness: builds with any C
 * compiler (gcc on GPU hosts), no engine needed.
 *
 *   NAME [options] PATH...   replay each file; directories recursively, in
 *                            sorted order (corpus regression under ctest)
 *   NAME -runs=N [-seed=S]   run N generated inputs: seeded random bytes, and
 *                            the harness's custom mutator applied to the last
 *                            input when the harness has one
 * Options: -runs=N -seed=S -max_len=N -artifact_prefix=P; other -flag=value
 * options of libFuzzer are accepted and ignored, so the same command line
 * serves both. When a generated input crashes the harness, it is saved as
 * P"crash-<hash>" (like libFuzzer) before the signal takes its course.
 * Must not know: what the harness checks.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FASV_HAS_ASAN 1
#endif
#endif
#ifndef FASV_HAS_ASAN
#define FASV_HAS_ASAN 0
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed) __attribute__((weak));

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void) { /* xorshift64* */
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    return g_rng * 0x2545F4914F6CDD1Dull;
}

/* The engine's byte mutator, for harnesses whose custom mutator asks for it. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) {
    if (max_size == 0) return 0;
    switch (next_rand() % 4) {
    case 0: /* flip a bit */
        if (size) data[next_rand() % size] ^= (uint8_t)(1u << (next_rand() % 8));
        break;
    case 1: /* overwrite a byte */
        if (size) data[next_rand() % size] = (uint8_t)next_rand();
        break;
    case 2: /* insert a byte */
        if (size < max_size) {
            size_t at = next_rand() % (size + 1);
            memmove(data + at + 1, data + at, size - at);
            data[at] = (uint8_t)next_rand();
            size++;
        }
        break;
    default: /* erase a byte */
        if (size > 1) {
            size_t at = next_rand() % size;
            memmove(data + at, data + at + 1, size - at - 1);
            size--;
        }
    }
    return size;
}

/* ---- crash artifacts ----------------------------------------------------- */

static const uint8_t *g_cur;
static size_t g_cur_size;
static char g_artifact[4096];

static void put_str(const char *s) {
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

static void on_crash(int sig) {
    if (g_cur && g_artifact[0]) {
        int fd = open(g_artifact, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            ssize_t r = write(fd, g_cur, g_cur_size);
            (void)r;
            close(fd);
            put_str("driver: crashing input saved to ");
            put_str(g_artifact);
            put_str("\n");
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void set_current(const uint8_t *data, size_t size, const char *prefix) {
    g_cur = data;
    g_cur_size = size;
    if (!prefix) return;
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a names the artifact by its bytes */
    for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 0x100000001b3ull;
    snprintf(g_artifact, sizeof g_artifact, "%scrash-%016llx", prefix, (unsigned long long)h);
}

/* ---- replay -------------------------------------------------------------- */

static int g_files, g_rejected, g_errors;

static void run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "driver: %s: cannot open\n", path);
        g_errors++;
        return;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        if (got == 0) break;
        len += got;
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "driver: %s: out of memory\n", path);
        g_errors++;
        return;
    }
    /* an exact-size copy, so a sanitizer sees reads past the input */
    uint8_t *exact = malloc(len ? len : 1);
    if (len) memcpy(exact, buf, len);
    free(buf);
    fprintf(stderr, "Running: %s\n", path);
    set_current(exact, len, NULL);
    if (LLVMFuzzerTestOneInput(exact, len) != 0) g_rejected++;
    g_cur = NULL;
    free(exact);
    g_files++;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void run_path(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "driver: %s: no such file or directory\n", path);
        g_errors++;
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "driver: %s: cannot open directory\n", path);
        g_errors++;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        size_t l = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(l);
        if (!names[n]) break;
        snprintf(names[n++], l, "%s/%s", path, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        run_path(names[i]);
        free(names[i]);
    }
    free(names);
}

/* ---- generated inputs ---------------------------------------------------- */

static void run_generated(long long runs, size_t max_len, const char *prefix) {
    uint8_t *buf = malloc(max_len), *cur = malloc(max_len);
    size_t size = 0;
    if (!buf || !cur) {
        fprintf(stderr, "driver: out of memory\n");
        exit(2);
    }
    for (long long i = 0; i < runs; i++) {
        if (LLVMFuzzerCustomMutator && size && next_rand() % 2) {
            size = LLVMFuzzerCustomMutator(buf, size, max_len, (unsigned)next_rand());
        } else {
            size = 1 + next_rand() % (max_len < 256 ? max_len : 256);
            for (size_t j = 0; j < size; j++) buf[j] = (uint8_t)next_rand();
        }
        memcpy(cur, buf, size); /* the harness gets a copy it may not keep */
        set_current(cur, size, prefix);
        if (LLVMFuzzerTestOneInput(cur, size) != 0) g_rejected++;
        g_files++;
    }
    g_cur = NULL;
    free(buf);
    free(cur);
}

int main(int argc, char **argv) {
    long long runs = 0;
    unsigned long long seed = 1;
    size_t max_len = 4096;
    const char *prefix = "./";
    int npaths = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "-help=1") == 0) {
            printf("usage: %s [-runs=N] [-seed=S] [-max_len=N] [-artifact_prefix=P] [PATH...]\n"
                   "Replays files and directories (recursively) through the harness; with -runs=N\n"
                   "also runs N generated inputs. Other -flag=value options are ignored.\n",
                   argv[0]);
            return 0;
        }
        if (strncmp(a, "-runs=", 6) == 0)
            runs = atoll(a + 6);
        else if (strncmp(a, "-seed=", 6) == 0)
            seed = strtoull(a + 6, NULL, 10);
        else if (strncmp(a, "-max_len=", 9) == 0)
            max_len = (size_t)atoll(a + 9);
        else if (strncmp(a, "-artifact_prefix=", 17) == 0)
            prefix = a + 17;
        else if (a[0] != '-')
            npaths++;
    }
    if (max_len < 64) max_len = 64;
    g_rng ^= seed * 0xD6E8FEB86659FD93ull;
    if (g_rng == 0) g_rng = 1;
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    signal(SIGABRT, on_crash); /* findings, and sanitizer reports with abort_on_error */
#if !defined(__SANITIZE_ADDRESS__) && !FASV_HAS_ASAN
    signal(SIGSEGV, on_crash); /* a sanitizer reports these itself; keep its handler */
    signal(SIGFPE, on_crash);
    signal(SIGILL, on_crash);
    signal(SIGBUS, on_crash);
#endif
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-') run_path(argv[i]);
    if (runs > 0) run_generated(runs, max_len, prefix);
    fprintf(stderr, "driver: %d inputs executed (%d rejected as not legal), %d unreadable paths\n", g_files,
            g_rejected, g_errors);
    if (npaths == 0 && runs <= 0) fprintf(stderr, "driver: nothing to do (give paths or -runs=N)\n");
    return g_errors ? 2 : 0;
}
