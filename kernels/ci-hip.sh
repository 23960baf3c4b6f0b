#!/bin/sh
# kernels/ci-hip.sh — CI's HIP compile check: configure and build the `hip`
# preset (hipcc; kernels for gfx90a = wave64 CDNA2 and gfx1030 = wave32 RDNA2)
# on a machine without a GPU, then run its ctest (the GPU tests SKIP there;
# every CPU test runs against a build whose fasv links the HIP launcher).
# Needs Debian 12's hipcc, libamdhip64-dev and rocm-device-libs
# (scripts/setup.sh installs them).
# About 3 minutes on 2 cores (kernels/ci-hip.sh timing in docs/gpu.md).
set -eu
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
if ! command -v hipcc >/dev/null 2>&1; then
    echo "ci-hip: hipcc not found (apt-get install hipcc libamdhip64-dev rocm-device-libs)" >&2
    exit 2
fi
start=$(date +%s)
cmake --preset hip >/dev/null
cmake --build --preset hip -j "$JOBS"
ctest --preset hip -j "$JOBS"
echo "ci-hip: hip preset configured, built and tested in $(( $(date +%s) - start )) s"
