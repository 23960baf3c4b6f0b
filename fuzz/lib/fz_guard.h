/* fz_guard.h — crash and hang isolation for the built-in fuzzer.
 *
 * Owns: running fasv_fuzz_run in a forked child so that a target that
 * crashes or hangs (a planner plugin runs inside fasv's process) becomes a
 * finding instead of the end of the run. The child records, per worker, the
 * case it is about to check in shared memory, and its result at the end.
 * When it dies by a signal, or stops making progress for hang_s seconds,
 * the parent replays each recorded case in a fresh child to confirm which
 * one fails, writes it as a "crash" finding (signature
 * crash/TARGET/dDKxDV/SIGNAL: a crash has no route, and the device is just the
 * first one the node was planned for), and restarts
 * fuzzing with a new seed for the rest of the budget. Ctrl-C is forwarded,
 * so the child stops cleanly and keeps what it wrote.
 * Must not know: how the target decides; engines; GPUs.
 */
#ifndef FASV_FZ_GUARD_H
#define FASV_FZ_GUARD_H

#include "fz_run.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Like fasv_fuzz_run, with the run in child processes. hang_s: seconds
 * without progress before a child is declared hung (0 = 10). o->on_case must
 * be NULL (the guard uses it). Findings of all children are merged by
 * signature; crash findings are added to res->found. */
int fasv_fuzz_guarded(const fasv_fuzz_opts *o, double hang_s, fasv_fuzz_result *res, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
