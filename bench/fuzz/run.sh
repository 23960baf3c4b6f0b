#!/bin/sh
# bench/fuzz/run.sh — fuzz_route's speed under libFuzzer, with ASan+UBSan and
# without sanitizers, each as a ratio to an empty harness built and run the
# same way in the same session. Writes bench/results/fuzz-<date>.md.
#
# Speed is executions per CPU second (user+sys of the fuzzer process), so
# other load on a shared machine slows the clock, not the figure; wall-clock
# execs/s (runs over elapsed time) is recorded too. Each configuration runs
# ROUNDS times (interleaved) from a fresh copy of corpus/fuzz_route; the
# table gives medians.
#   ROUNDS (default 3), ROUTE_RUNS (default 100000), EMPTY_RUNS (default
#   1000000), TARGETS (default "builtin test:clean"), OUT (the .md path).
set -eu
cd "$(dirname "$0")/../.."
ROOT=$PWD
ROUNDS=${ROUNDS:-3}
ROUTE_RUNS=${ROUTE_RUNS:-100000}
EMPTY_RUNS=${EMPTY_RUNS:-1000000}
TARGETS=${TARGETS:-builtin test:clean}
OUT=${OUT:-bench/results/fuzz-$(date +%Y-%m-%d).md}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

build() { # build DIR SANITIZE
    cmake -S . -B "$1" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DFASV_FUZZ=libfuzzer -DFASV_SANITIZE="$2" -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link -DBUILD_TESTING=OFF >/dev/null
    cmake --build "$1" -j "${JOBS:-2}" --target fuzz_route fuzz_empty >/dev/null
}
echo "bench/fuzz: building" >&2
build build/bench-fuzz-asan ON
build build/bench-fuzz-plain OFF

# run NAME BIN RUNS [PLANNER] -> appends "NAME cpu_execs_per_s wall_execs_per_s" to $T/results
run() {
    name=$1 bin=$2 runs=$3 planner=${4:-}
    rm -rf "$T/seeds" && mkdir "$T/seeds" && cp corpus/fuzz_route/* "$T/seeds/"
    (cd "$T" && FASV_PLANNER=$planner /usr/bin/time -f "%U %S %e" -o "$T/time" "$ROOT/$bin" -runs="$runs" \
        -seed=1 -max_len=2048 seeds >"$T/log" 2>&1)
    cpu=$(awk '{print $1 + $2}' "$T/time")
    echo "$name $(awk -v r="$runs" '{printf "%.0f %.0f", r / ($1 + $2), r / $3}' "$T/time")" >>"$T/results"
    echo "bench/fuzz: $name: $runs runs, $cpu CPU s" >&2
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$T/results"
for i in $(seq "$ROUNDS"); do
    for san in asan plain; do
        run "empty-$san" "build/bench-fuzz-$san/fuzz/fuzz_empty" "$EMPTY_RUNS"
        for t in $TARGETS; do
            p=$t; [ "$t" = builtin ] && p=
            run "route-$san-$t" "build/bench-fuzz-$san/fuzz/fuzz_route" "$ROUTE_RUNS" "$p"
        done
    done
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

median() { # median NAME COLUMN
    awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$T/results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

cpu_model=$(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -1)
{
    echo "# fuzz_route throughput under libFuzzer — $(date +%Y-%m-%d)"
    echo
    echo "Machine: the project's build/CI machine, a $(nproc)-core x86-64 Debian 12 VM ($cpu_model),"
    echo "shared with other jobs (load average $load0 at the start, $load1 at the end)."
    echo "Compiler: $(clang-14 --version | head -1). Commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')."
    echo
    echo "Each figure is executions per CPU second of the fuzzer process (user+sys), the median of"
    echo "$ROUNDS interleaved rounds, each from a fresh copy of corpus/fuzz_route/ with fasv's custom"
    echo "mutator; fuzz_route runs $ROUTE_RUNS inputs, the empty harness $EMPTY_RUNS. One execution"
    echo "of fuzz_route decodes an input, checks it is a legal node, and plans it on all 14 modeled"
    echo "devices with properties 1-3 (two plans per device for determinism). The ratio is to the"
    echo "empty harness built the same way (same sanitizers, same engine) and run in the same session."
    echo "Wall-clock execs/s (runs over elapsed time, start-up included) is shown for reference; it"
    echo "moves with the other load on the machine."
    echo
    echo "| build | target | execs / CPU s | ratio to empty | wall execs/s |"
    echo "|---|---|---:|---:|---:|"
    for san in asan plain; do
        label="ASan+UBSan"; [ "$san" = plain ] && label="no sanitizers"
        e=$(median "empty-$san" 2)
        echo "| $label | (empty harness) | $e | 1 | $(median "empty-$san" 3) |"
        for t in $TARGETS; do
            r=$(median "route-$san-$t" 2)
            echo "| $label | $t | $r | $(awk -v a="$r" -v b="$e" 'BEGIN{printf "%.3f", a / b}') | $(median "route-$san-$t" 3) |"
        done
    done
    echo
    echo "Target: >= 200,000 execs/s with ASan+UBSan on one core."
    echo
    echo "Raw rounds (name, execs per CPU s, wall execs/s):"
    echo
    echo '```'
    cat "$T/results"
    echo '```'
} >"$OUT"
echo "bench/fuzz: wrote $OUT" >&2
cat "$OUT"
