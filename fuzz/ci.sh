#!/bin/sh
# fuzz/ci.sh — the fuzzing part of CI (called by .ci/run after the default
# and asan presets). A few minutes on 2 cores:
#   1. preset `fuzz` (clang-14, libFuzzer, ASan+UBSan): build; ctest replays
#      the corpora and the regression cases under ASan/UBSan and runs the
#      fuzzing tools' tests; each harness runs RUNS inputs from its seeds.
#   2. preset `afl` (afl-clang-fast): persistent-mode and CmpLog harnesses;
#      each replays its seeds, then afl-fuzz runs AFL_EXECS executions with
#      the CmpLog binary (and fasv's custom mutator library for the harnesses
#      that decode nodes); no crash allowed.
#   3. fuzz/ci-ossfuzz.sh: the OSS-Fuzz build contract, run as OSS-Fuzz would.
# Environment: JOBS (default 2), RUNS (default 20000; fuzz_oracle and
# fuzz_scenario, a hundred times slower per input, get RUNS/20), AFL_EXECS
# (default 20000; the same /20), SKIP_AFL=1 / SKIP_OSSFUZZ=1 to leave a part out.
set -eu
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
RUNS=${RUNS:-20000}
AFL_EXECS=${AFL_EXECS:-20000}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== fuzz: libFuzzer + ASan/UBSan (preset fuzz)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$JOBS"
ctest --preset fuzz -j "$JOBS" -R 'fuzz|regress|replay'
seeds_of() { # the seed folder of a harness
    case "$1" in fuzz_scenario) echo corpus/scenarios ;; *) echo "corpus/$1" ;; esac
}
dict_of() { # its dictionary
    if [ -f "fuzz/$1.dict" ]; then echo "fuzz/$1.dict"; else echo fuzz/fasv.dict; fi
}
for h in $(cat build/fuzz/fuzz/harnesses.txt); do
    mkdir -p "$T/lf-$h"
    cp -r "$(seeds_of "$h")"/. "$T/lf-$h"/
    max_len=$(sed -n 's/^max_len *= *//p' "fuzz/$h.options")
    runs=$RUNS
    case "$h" in fuzz_oracle | fuzz_scenario) runs=$((RUNS / 20)) ;; esac
    echo "-- $h: $runs runs"
    (cd "$T" && "$OLDPWD/build/fuzz/fuzz/$h" -runs="$runs" -seed=1 -max_len="$max_len" -dict="$OLDPWD/$(dict_of "$h")" \
        -print_final_stats=1 "lf-$h" >"$h.log" 2>&1) || { tail -60 "$T/$h.log"; exit 1; }
    grep -E 'stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' "$T/$h.log"
done

# afl-fuzz -E 4.04c leaves its CmpLog fork server stopped when it ends: end
# the processes running exactly this build's binary (by executable, not name)
reap() {
    exe=$(readlink -f "$1")
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = "$exe" ] && kill -9 "${p#/proc/}" 2>/dev/null
    done
    return 0
}

if [ "${SKIP_AFL:-0}" != 1 ]; then
    echo "== fuzz: AFL++ persistent mode and CmpLog (preset afl)"
    cmake --preset afl >/dev/null
    AFL_QUIET=1 cmake --build --preset afl -j "$JOBS" >"$T/afl-build.log" 2>&1 || { tail -50 "$T/afl-build.log"; exit 1; }
    cmake --preset default >/dev/null
    cmake --build --preset default -j "$JOBS" --target fasv_afl_mutator
    # the AFL++ binaries carry no sanitizer, and afl-fuzz insists on its own
    # ASAN_OPTIONS when any are set
    unset ASAN_OPTIONS UBSAN_OPTIONS
    export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1
    for h in $(cat build/afl/fuzz/harnesses.txt); do
        echo "-- $h: seeds through the persistent driver"
        for f in $(find "$(seeds_of "$h")" -type f | sort); do
            "build/afl/fuzz/${h}_afl" "$f" || { echo "$h crashed on $f"; exit 1; }
        done
        execs=$AFL_EXECS tiny=0
        case "$h" in fuzz_oracle) execs=$((AFL_EXECS / 20)) tiny=1 ;; fuzz_scenario) execs=$((AFL_EXECS / 20)) ;; esac
        # the structure-aware mutator serves the harnesses that decode nodes,
        # not the parsers' (fuzz_case and fuzz_scenario want text, not node records)
        mutator="$PWD/build/default/fuzz/libfasv_afl_mutator.so"
        case "$h" in fuzz_case | fuzz_scenario) mutator= ;; esac
        echo "-- $h: afl-fuzz -E $execs with CmpLog${mutator:+ and the custom mutator}"
        rc=0
        env FASV_MUTATOR_TINY=$tiny ${mutator:+AFL_CUSTOM_MUTATOR_LIBRARY=$mutator} \
            afl-fuzz -s 1 -i "$(seeds_of "$h")" -o "$T/afl-$h" -E "$execs" -x "$(dict_of "$h")" \
            -c "build/afl/fuzz/${h}_cmplog" -- "build/afl/fuzz/${h}_afl" >"$T/afl-$h.log" 2>&1 || rc=$?
        reap "build/afl/fuzz/${h}_cmplog"
        reap "build/afl/fuzz/${h}_afl"
        [ "$rc" = 0 ] || { tail -30 "$T/afl-$h.log"; exit 1; }
        grep -E '^(execs_done|execs_per_sec|corpus_count|saved_crashes) ' "$T/afl-$h/default/fuzzer_stats"
        crashes=$(sed -n 's/^saved_crashes *: *//p' "$T/afl-$h/default/fuzzer_stats")
        if [ "$crashes" != 0 ]; then
            echo "$h: afl-fuzz saved $crashes crashing inputs:"
            for f in "$T/afl-$h"/default/crashes/id*; do "build/afl/fuzz/${h}_afl" "$f" || true; done
            exit 1
        fi
    done
fi

if [ "${SKIP_OSSFUZZ:-0}" != 1 ]; then
    echo "== fuzz: OSS-Fuzz build contract"
    RUNS=2000 sh fuzz/ci-ossfuzz.sh
fi
echo "== fuzz: all passed"
