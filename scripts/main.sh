#!/bin/sh
# main.sh — the main job from a fresh clone on Debian 12: install, build, and
# run the default verification campaign on the built-in target: the sweep of
# the whole shape space on every modeled device (with the route map), the
# serving-lifecycle scenarios, GPU differential fuzzing where a GPU and a GPU
# build are present, and structure-aware fuzzing for the rest of the budget.
# The report folder (summary.txt, report.json, routes.html, findings/) is
# fasv-report/. Budget: FASV_TIME seconds (default 120).
set -eu
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "${JOBS:-2}"
FASV=build/default/tools/fasv
$FASV devices
$FASV check examples/cases
exec $FASV verify --time "${FASV_TIME:-120}" --out fasv-report
