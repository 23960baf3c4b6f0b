#!/bin/bash
# bench/gpu-decode-ab.sh — one GPU call that times the decode route's
# alternatives against each other and checks the build that carries them, on
# the GPU host. In this order (the timing first, so that a run cut short
# still has it):
#   1. corpus, examples and tests/gpu pass (FASV);
#   2. gpu_perf --only decode --quick for GPU_PERF and every build of
#      VARIANTS, with the split counts of SPLITS beside the planner's; each
#      table has the "read" floor;
#   3. per-block traces (FASV_GPU_TRACE) of the routes and of TRACE_SPLITS,
#      for GPU_PERF and every variant, summarised by bench/gpu_trace.py;
#   with CHECKS=1 (the default):
#   4. the planted kv-tail fault is still caught (tests/gpu_fault.sh);
#   5. memcheck and racecheck on the decode cases;
#   6. fasv fuzz --gpu --focus decode for FOCUS_TIME s (default 90).
# Usage: FASV=... GPU_PERF=... [VARIANTS="name=gpu_perf ..."] [SPLITS=16,33,...]
#        [TRACE_SPLITS=16,33] [CHECKS=0|1] [KEEP_TRACE=0|1] bench/gpu-decode-ab.sh OUT_DIR
# A variant may be a wrapper script (one that sets an environment switch and
# execs a gpu_perf); KEEP_TRACE=1 keeps the raw per-block traces.
# Prints each section's wall time and the 32k rows of every table; everything
# else goes into OUT_DIR/results.tgz (one file: the GPU host returns few).
set -u
OUTD=${1:-${OUT:-./gpu-out}}
W="$OUTD/work"
mkdir -p "$W"
FASV=$(realpath "${FASV:-build/cuda/tools/fasv}")
PERF=$(realpath "${GPU_PERF:-build/cuda/kernels/gpu/gpu_perf}")
SPLITS=${SPLITS:-16,24,33,40,48,64}
TSPLITS=${TRACE_SPLITS:-16,33}
DEC="tests/gpu/kv-tail-split.case tests/gpu/kv-tail-split-mmad-bf16-d256.case tests/gpu/kv-tail-split-mmad-d64.case examples/cases/llama3-8b-decode.case"
t0=$(date +%s)
lap() { echo "   ($(( $(date +%s) - t0 )) s)"; }
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
echo "== 1. corpus, examples, tests/gpu"
"$FASV" run corpus/regress examples/cases tests/gpu >"$W/regress.txt" 2>&1
echo "exit $? ($(tail -1 "$W/regress.txt"))"; lap
echo "== 2. decode timing"
for v in "a=$PERF" ${VARIANTS:-}; do
    "$(realpath "${v#*=}")" --only decode --quick --splits "$SPLITS" >"$W/perf-${v%%=*}.txt" 2>&1
done
lap
echo "== 3. traces"
for v in "a=$PERF" ${VARIANTS:-}; do
    FASV_GPU_TRACE="$W/trace-${v%%=*}.txt" "$(realpath "${v#*=}")" --only decode --quick --reps 20 \
        --splits "$TSPLITS" >/dev/null 2>&1
    python3 bench/gpu_trace.py "$W/trace-${v%%=*}.txt" >"$W/trace-${v%%=*}.md" 2>&1
    [ "${KEEP_TRACE:-0}" = 1 ] || rm -f "$W/trace-${v%%=*}.txt"
done
lap
if [ "${CHECKS:-1}" = 1 ]; then
    echo "== 4. planted fault"
    ( cd "$W" && sh "$OLDPWD/tests/gpu_fault.sh" "$FASV" >fault.txt 2>&1; echo "exit $?"; grep -c "^caught" fault.txt | sed 's/^/caught: /' ); lap
    echo "== 5. sanitizers on the decode cases"
    for tool in memcheck racecheck; do
        timeout 150 compute-sanitizer --tool $tool --error-exitcode 9 "$FASV" run $DEC --timeout 60 >"$W/san-$tool.txt" 2>&1
        echo "$tool: exit $? ($(grep -m1 "ERROR SUMMARY\|RACECHECK SUMMARY" "$W/san-$tool.txt"))"
    done; lap
    echo "== 6. focused fuzz"
    "$FASV" fuzz --gpu --focus decode --max-time "${FOCUS_TIME:-90}" --seed 21 --artifacts "$W/findings" --quiet 2>&1 | tail -2; lap
fi
head -1 "$W/perf-a.txt" | cut -c1-140
for f in "$W"/perf-*.txt; do
    echo "-- $(basename "$f" .txt): 32k rows (shape, variant, split, ms med, %copy)"
    grep "kv32k" "$f" | grep -v " alt " | awk '{printf "%s %s %s %s %s\n", $1, $2, $5, $6, $NF}' | sed 's/decode-//'
done
tar czf "$OUTD/results.tgz" -C "$W" . && rm -rf "$W"
