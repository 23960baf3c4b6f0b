#!/bin/sh
# test.sh — everything CI checks, from a fresh clone on Debian 12:
#   1. install what is missing (scripts/setup.sh)
#   2. presets default (release) and asan (ASan+UBSan), both -Werror: build, ctest
#   3. fuzz/ci.sh: libFuzzer (+ASan/UBSan) and AFL++ builds, the corpora and the
#      regression cases replayed under the sanitizers, every harness run for a
#      fixed number of inputs, the OSS-Fuzz build contract
#   4. kernels/ci-hip.sh: the HIP kernels compiled with hipcc for gfx90a and
#      gfx1030, and the CPU tests of that build (GPU tests skip without a GPU)
set -eu
cd "$(dirname "$0")/.."
./scripts/setup.sh
JOBS=${JOBS:-2}
export JOBS
t0=$(date +%s)
for preset in default asan; do
    echo "== $preset: configure, build, test"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$JOBS"
    ctest --preset "$preset" -j "$JOBS"
    echo "== $preset done at $(( $(date +%s) - t0 )) s"
done
echo "== fuzzing CI (fuzz/ci.sh)"
./fuzz/ci.sh
echo "== fuzzing CI done at $(( $(date +%s) - t0 )) s"
echo "== HIP compile (kernels/ci-hip.sh)"
sh kernels/ci-hip.sh
echo "== all tests passed in $(( $(date +%s) - t0 )) s"
