/* oracle_check.c — the oracle side of `fasv replay --oracle`: does the oracle
 * keep its metamorphic relations on a case? A file of its own because
 * fasv/oracle.h and fasv/props.h cannot be included together (both define
 * fasv_judgement). */
#include <stdio.h>
#include <string.h>

#include "fasv/oracle.h"

/* 1 a relation is broken (sig "oracle/RELATION", why), 0 every relation
 * holds, -1 the case cannot be run (too large; why says). The relations'
 * choices come from seed 0, so a replay is reproducible. */
int replay_oracle_check(const fasv_case *c, char *sig, size_t siglen, char *why, size_t whylen) {
    fasv_rng r;
    fasv_rng_seed(&r, 0);
    int rc = fasv_oracle_metamorphic(c, &r, why, whylen);
    if (rc == 1) {
        const char *p = strncmp(why, "relation ", 9) == 0 ? why + 9 : why;
        snprintf(sig, siglen, "oracle/%.*s", (int)strcspn(p, " "), p);
    }
    return rc;
}
