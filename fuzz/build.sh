#!/bin/bash -eu
# fuzz/build.sh — the OSS-Fuzz / ClusterFuzzLite build of every CPU harness.
#
# The contract (what the OSS-Fuzz base-builder image provides):
#   CC, CFLAGS          compiler and flags, with the sanitizer and
#                       -fsanitize=fuzzer-no-link already in CFLAGS
#   LIB_FUZZING_ENGINE  how a harness links its engine (-fsanitize=fuzzer, or
#                       an engine library)
#   OUT                 where harnesses and their files go
#   WORK (optional)     scratch space for the build tree
# For every harness the build lists (fuzz/harnesses.txt in the build tree)
# it writes $OUT/<h>, $OUT/<h>.dict (fuzz/<h>.dict, else fuzz/fasv.dict),
# $OUT/<h>.options and $OUT/<h>_seed_corpus.zip (corpus/<h>/ or, for
# fuzz_scenario, corpus/scenarios/; plus the regression cases).
# fuzz/ci-ossfuzz.sh runs it the way OSS-Fuzz would; .clusterfuzzlite/
# calls it from the ClusterFuzzLite image.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${CC:?set CC}" "${CFLAGS:?set CFLAGS}" "${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE}" "${OUT:?set OUT}"
BUILD=${WORK:-$(mktemp -d)}/fasv-build
mkdir -p "$OUT"

# CMAKE_BUILD_TYPE=None: no flags beyond $CFLAGS (OSS-Fuzz picks -O1 etc.)
cmake -S "$ROOT" -B "$BUILD" \
    -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_BUILD_TYPE=None \
    -DFASV_FUZZ=libfuzzer -DFASV_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" -DBUILD_TESTING=OFF >/dev/null
harnesses=$(cat "$BUILD/fuzz/harnesses.txt")
# shellcheck disable=SC2086
cmake --build "$BUILD" --target $harnesses -j"$(nproc 2>/dev/null || echo 2)"

zip_dir() { # zip_dir ZIP DIR... (every file below, stored flat; zip, else python3's zipfile)
    zipf=$1; shift
    rm -f "$zipf"
    files=$(find "$@" -type f 2>/dev/null | sort)
    [ -n "$files" ] || return 0
    if command -v zip >/dev/null; then
        # shellcheck disable=SC2086
        zip -q -j "$zipf" $files
    else
        # shellcheck disable=SC2086
        python3 -c 'import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for f in sys.argv[2:]: z.write(f, os.path.basename(f))' "$zipf" $files
    fi
}

for h in $harnesses; do
    cp "$BUILD/fuzz/$h" "$OUT/$h"
    dict="$ROOT/fuzz/$h.dict"; [ -f "$dict" ] || dict="$ROOT/fuzz/fasv.dict"
    cp "$dict" "$OUT/$h.dict"
    cp "$ROOT/fuzz/$h.options" "$OUT/$h.options"
    # seeds: corpus/<h>/ (fuzz_scenario: the scenario corpus), plus the
    # regression cases for the harnesses that read cases
    case "$h" in fuzz_scenario) seeds=("$ROOT/corpus/scenarios") ;; *) seeds=("$ROOT/corpus/$h") ;; esac
    case "$h" in fuzz_route | fuzz_case) seeds+=("$ROOT/corpus/regress") ;; esac
    zip_dir "$OUT/${h}_seed_corpus.zip" "${seeds[@]}"
    echo "fuzz/build.sh: $OUT/$h (+ .dict .options _seed_corpus.zip)"
done
