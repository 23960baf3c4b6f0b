#!/bin/sh
# test.sh — everything CI checks, from a fresh clone on Debian 12:
# install, build the default (release) and asan (ASan+UBSan) presets with
# -Werror, and run ctest in both.
set -eu
cd "$(dirname "$0")/.."
./scripts/setup.sh
JOBS=${JOBS:-2}
for preset in default asan; do
    echo "== $preset: configure, build, test"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$JOBS"
    ctest --preset "$preset" -j "$JOBS"
done
echo "== all tests passed"
