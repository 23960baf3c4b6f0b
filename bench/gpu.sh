#!/bin/bash
# bench/gpu.sh — everything one GPU-host session runs, in one call:
#   build (cuda preset) unless prebuilt binaries are given, replay the
#   regression corpus and the examples on the GPU, check that the planted
#   kv-tail fault is caught (tests/gpu_fault.sh and a short fuzz with the
#   fault), differential fuzzing of the built-in target against the oracle,
#   kernel throughput on standard shapes next to PyTorch's SDPA on the same
#   card (bench/gpu_bench + gpu_sdpa.py, and bench/gpu-perf: every family on
#   the decode/prefill target shapes, SDPA flash and cuDNN, the card's copy
#   bandwidth and the targets), and a short table at the end.
# Usage: bench/gpu.sh [OUT_DIR]   (env: FUZZ_TIME seconds, default 300;
#        FOCUS_TIME seconds of `fasv fuzz --gpu --focus decode`, default 120, 0 = skip;
#        FASV, GPU_BENCH, GPU_PERF: prebuilt binaries to use instead of building;
#        SHORT=1: skip the two-worker fuzz and fasv verify; PERF_QUICK=1:
#        gpu-perf on n_kv 4k and 32k only, fewer repetitions)
# Logs go to OUT_DIR (default $OUT, else ./gpu-out); record the table and the
# card's name in bench/results/.
set -u
OUTD=${1:-${OUT:-./gpu-out}}
mkdir -p "$OUTD"
FUZZ_TIME=${FUZZ_TIME:-300}
WORK=$(mktemp -d)   # findings and scratch logs: packed into artifacts.tgz at the end
LOG="$OUTD/gpu.log"
exec > >(tee "$LOG") 2>&1
T0=$(date +%s)
el() { echo "[$(( $(date +%s) - T0 )) s]"; }

echo "== host"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv,noheader 2>&1
echo "cpus: $(nproc)"

FASV=${FASV:-}
GPU_BENCH=${GPU_BENCH:-}
if [ -z "$FASV" ] || ! "$FASV" --help >/dev/null 2>&1; then
    echo "== build (cuda preset) $(el)"
    if ! { cmake --preset cuda -DFASV_WERROR=OFF >"$OUTD/build.log" 2>&1 &&
           cmake --build --preset cuda -j"$(nproc)" >>"$OUTD/build.log" 2>&1; }; then
        tail -40 "$OUTD/build.log"; echo "BUILD FAILED"; exit 1
    fi
    FASV=build/cuda/tools/fasv
    GPU_BENCH=build/cuda/kernels/gpu/gpu_bench
    GPU_PERF=build/cuda/kernels/gpu/gpu_perf
fi
GPU_PERF=${GPU_PERF:-}
FASV=$(realpath "$FASV")
[ -n "$GPU_BENCH" ] && GPU_BENCH=$(realpath "$GPU_BENCH")
ROOT=$(pwd)
echo "fasv: $FASV  $(el)"

echo "== regression corpus and examples on the GPU $(el)"
"$FASV" run corpus/regress examples/cases tests/gpu >"$OUTD/regress.txt" 2>&1
REG_RC=$?
grep -E "^[^ ].*: (PASS|FAIL|SKIP|ERROR)" "$OUTD/regress.txt" | sed 's/^.*\///' | cut -c1-150
tail -1 "$OUTD/regress.txt"
echo "exit $REG_RC"

echo "== planted fault (kv-tail): tests/gpu_fault.sh $(el)"
( cd "$WORK" && sh "$ROOT/tests/gpu_fault.sh" "$FASV" ) 2>&1 | tail -8
FAULT_RC=${PIPESTATUS[0]}
echo "exit $FAULT_RC"
echo "== planted fault under fuzzing (300 cases) $(el)"
FASV_GPU_FAULT=kv-tail "$FASV" fuzz --gpu --runs 300 --seed 2 --artifacts "$WORK/fault-findings" --quiet >"$OUTD/fault-fuzz.txt" 2>&1
FF_RC=$?
grep -c "^FINDING" "$OUTD/fault-fuzz.txt" | sed 's/^/finding lines: /'
grep "^FINDING" "$OUTD/fault-fuzz.txt" | sed 's/ (seen before)//' | cut -d: -f1 | sort | uniq -c | head -12
tail -3 "$OUTD/fault-fuzz.txt"
echo "exit $FF_RC (1 = the broken kernel was caught)"

echo "== compute-sanitizer (memcheck, racecheck) on the small cases $(el)"
if command -v compute-sanitizer >/dev/null 2>&1; then
    for tool in memcheck racecheck; do
        timeout 120 compute-sanitizer --tool $tool --error-exitcode 9 "$FASV" run tests/gpu examples/cases/alibi-mpt.case \
            examples/cases/seq-bcast-adversarial.case examples/cases/gpt-oss-sinks.case --timeout 60 >"$WORK/sanitizer-$tool.txt" 2>&1
        echo "$tool: exit $? ($(grep -v 'SUMMARY' "$WORK/sanitizer-$tool.txt" | grep -c '^=========.*\(Invalid\|Race\|hazard\)') reports)"
        grep -m5 "^=========" "$WORK/sanitizer-$tool.txt" | grep -v "COMPUTE-SANITIZER\|ERROR SUMMARY: 0" | head -5
    done
else
    echo "compute-sanitizer not found"
fi

echo "== fuzz --gpu for $FUZZ_TIME s on the built-in target $(el)"
"$FASV" fuzz --gpu --max-time "$FUZZ_TIME" --seed 1 --artifacts "$WORK/findings" >"$OUTD/fuzz.txt" 2>&1
FUZZ_RC=$?
grep -A3 "^FINDING" "$OUTD/fuzz.txt" | grep -v "seen before" | head -60 | cut -c1-400
grep -v "^FINDING\|^  " "$OUTD/fuzz.txt" | tail -6
echo "exit $FUZZ_RC"

FOCUS_TIME=${FOCUS_TIME:-120}
FOCUS_RC=skipped
if [ "$FOCUS_TIME" != 0 ]; then
    echo "== fuzz --gpu --focus decode for $FOCUS_TIME s (the split-KV bodies) $(el)"
    "$FASV" fuzz --gpu --focus decode --max-time "$FOCUS_TIME" --seed 11 --artifacts "$WORK/findings-decode" >"$OUTD/fuzz-decode.txt" 2>&1
    FOCUS_RC=$?
    grep -A3 "^FINDING" "$OUTD/fuzz-decode.txt" | grep -v "seen before" | head -40 | cut -c1-400
    grep -v "^FINDING\|^  " "$OUTD/fuzz-decode.txt" | tail -3
    echo "exit $FOCUS_RC"
fi

if [ -z "${SHORT:-}" ]; then
    echo "== two workers over one case stream (--gpus 0,0), 20 s $(el)"
    "$FASV" fuzz --gpus 0,0 --max-time 20 --seed 3 --artifacts "$WORK/findings2" --quiet 2>&1 | tail -3

    echo "== fasv verify --time 40 (its gpu phase) $(el)"
    "$FASV" verify --time 40 --out "$WORK/verify" >"$WORK/verify.txt" 2>&1
    echo "exit $?"
    grep -i "gpu" "$WORK/verify/summary.txt" 2>/dev/null | head -5
fi

echo "== kernel throughput and PyTorch SDPA $(el)"
if [ -n "$GPU_BENCH" ]; then
    "$GPU_BENCH" --json "$WORK/shapes.jsonl" 2>&1 | tee "$OUTD/bench.txt"
    python3 bench/gpu_sdpa.py "$WORK/shapes.jsonl" 2>&1 | tee "$OUTD/sdpa.txt"
fi
PERF_RC=none
if [ -n "$GPU_PERF" ]; then
    echo "== bench/gpu-perf: every family on the target shapes, SDPA flash and cuDNN $(el)"
    GPU_PERF=$(realpath "$GPU_PERF") bash bench/gpu-perf "$WORK/perf" ${PERF_QUICK:+--quick} >"$WORK/perf.log" 2>&1
    PERF_RC=$?
    cp "$WORK/perf/gpu-perf.md" "$OUTD/" 2>/dev/null
    cp "$WORK/perf/gpu-perf.txt" "$OUTD/" 2>/dev/null
    tail -45 "$WORK/perf.log"
fi

[ -f "$OUTD/build.log" ] && mv "$OUTD/build.log" "$WORK/"
tar czf "$OUTD/artifacts.tgz" -C "$WORK" . 2>/dev/null
echo "== summary $(el)"
printf "%-34s %s\n" "regression corpus + examples" "exit $REG_RC ($(tail -1 "$OUTD/regress.txt"))"
printf "%-34s %s\n" "planted kv-tail fault (cases)" "exit $FAULT_RC (0 = every target caught)"
printf "%-34s %s\n" "planted kv-tail fault (fuzz)" "exit $FF_RC (1 = caught)"
printf "%-34s %s\n" "fuzz --gpu ${FUZZ_TIME}s" "exit $FUZZ_RC; $(grep '^fasv fuzz --gpu' "$OUTD/fuzz.txt" | cut -c17-)"
grep "worker time" "$OUTD/fuzz.txt"
printf "%-34s %s\n" "fuzz --gpu --focus decode ${FOCUS_TIME}s" "exit $FOCUS_RC; $(grep '^fasv fuzz --gpu' "$OUTD/fuzz-decode.txt" 2>/dev/null | cut -c17-)"
printf "%-34s %s\n" "bench/gpu-perf" "exit $PERF_RC"
grep -A8 "^targets:" "$OUTD/gpu-perf.md" 2>/dev/null
