#!/bin/sh
# main.sh — the main job from a fresh clone on Debian 12: install, build, and
# run the default verification campaign on the built-in target.
set -eu
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "${JOBS:-2}"
FASV=build/default/tools/fasv
$FASV devices
$FASV check examples/cases
