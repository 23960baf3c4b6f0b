/* fz_ledger.h — the known-failure ledger (corpus/ledger.txt).
 *
 * Owns: the ledger's text format and matching. One entry a line, fields
 * separated by blanks, the reason running to the end of the line:
 *   TARGET  CASE  SIGNATURE  REFERENCE  REASON...
 * TARGET is the target the failure belongs to (builtin, test:NAME, a
 * plugin's name); CASE a case file relative to the ledger's directory;
 * SIGNATURE the finding's signature exactly as fasv prints it; REFERENCE
 * where it is tracked. Replaying CASE against TARGET must show that
 * signature: it is then a known failure, and its absence is an unexpected
 * pass that fails the run (the bug was fixed: retire the entry).
 * Must not know: targets' behaviour; how cases are replayed.
 */
#ifndef FASV_FZ_LEDGER_H
#define FASV_FZ_LEDGER_H

#include <stddef.h>

#include "fasv/props.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fasv_ledger_entry {
    char target[64];
    char case_file[1024]; /* as written in the ledger */
    char case_real[4096]; /* resolved path, for matching */
    char signature[FASV_SIG_LEN];
    char reference[256];
    char reason[256];
    int line;
    int seen; /* set by fasv_ledger_match */
} fasv_ledger_entry;

typedef struct fasv_ledger {
    char path[1024];
    fasv_ledger_entry *e;
    int n;
} fasv_ledger;

/* Load; 0, or -1 with err "PATH:LINE: message" (a malformed line, a case
 * file that does not exist, a duplicate entry). */
int fasv_ledger_load(const char *path, fasv_ledger *l, char *err, size_t errlen);
void fasv_ledger_free(fasv_ledger *l);
/* The entry expecting sig when case_path is replayed against target (and
 * mark it seen), or NULL. case_path is resolved before comparing. */
fasv_ledger_entry *fasv_ledger_match(fasv_ledger *l, const char *target, const char *case_path, const char *sig);
/* Does the ledger name this case for this target at all? */
int fasv_ledger_names(const fasv_ledger *l, const char *target, const char *case_path);

#ifdef __cplusplus
}
#endif
#endif
