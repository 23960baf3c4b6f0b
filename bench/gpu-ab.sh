#!/bin/bash
# bench/gpu-ab.sh — a quick A/B of decode builds on the GPU host: timing only,
# no checks (bench/gpu-decode-ab.sh is the checked form). Every variant's
# `gpu_perf --only decode --quick` runs ROUNDS times (default 2), the variants
# interleaved round by round, so that a drift of the card's clocks or memory
# temperature falls on all of them alike; then, with TRACE=1, one traced run
# per variant (bench/gpu_trace.py summaries).
# Usage: VARIANTS="name=gpu_perf-or-wrapper ..." [ROUNDS=2] [SHAPE=NAME] [TRACE=0|1]
#        bench/gpu-ab.sh OUT_DIR
# A variant may be a wrapper script that sets an environment switch and execs
# a gpu_perf. Prints, per shape at 32k, every variant's median %copy of each
# round; the raw tables go to OUT_DIR/ab.tgz.
set -u
OUTD=${1:-${OUT:-./gpu-out}}
W="$OUTD/ab"
mkdir -p "$W"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
sel=(--only decode --quick)
[ -n "${SHAPE:-}" ] && sel=(--shape "$SHAPE")
for r in $(seq 1 "${ROUNDS:-2}"); do
    for v in $VARIANTS; do
        "$(realpath "${v#*=}")" "${sel[@]}" --splits "${SPLITS:-33}" >"$W/perf-${v%%=*}-$r.txt" 2>&1
    done
done
if [ "${TRACE:-0}" = 1 ]; then
    for v in $VARIANTS; do
        FASV_GPU_TRACE="$W/trace-${v%%=*}.txt" "$(realpath "${v#*=}")" "${sel[@]}" --reps 20 >/dev/null 2>&1
        python3 bench/gpu_trace.py "$W/trace-${v%%=*}.txt" >"$W/trace-${v%%=*}.md" 2>&1
    done
fi
head -1 "$W/perf-${VARIANTS%%=*}-1.txt" | cut -c1-200
# one line per (shape, variant row): the %copy of every round, per build
for f in "$W"/perf-*-1.txt; do
    b=$(basename "$f" -1.txt); b=${b#perf-}
    grep "kv32k" "$f" | grep -v " alt \| vecbody " | while read -r sh var rest; do
        vals=$(for r in $(seq 1 "${ROUNDS:-2}"); do grep "^$sh *$var " "$W/perf-$b-$r.txt" | awk '{print $NF}'; done | tr '\n' ' ')
        printf "%-26s %-8s %-10s %s\n" "${sh#decode-}" "$var" "$b" "$vals"
    done
done | sort
tar czf "$OUTD/ab.tgz" -C "$W" . && rm -rf "$W"
