#!/bin/sh
# fuzz/ci-ossfuzz.sh — check the OSS-Fuzz build contract on this machine:
# set CC, CFLAGS, LIB_FUZZING_ENGINE and OUT as OSS-Fuzz's base-builder image
# does for an ASan build, run fuzz/build.sh, check every file OSS-Fuzz
# expects, and run each harness briefly from its seed corpus with the
# dictionary and max_len of its .options file.
#   RUNS=N (default 2000) executions per harness; KEEP=1 keeps $OUT.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-2000}
export CC=${OSSFUZZ_CC:-clang-14}
export CXX=${OSSFUZZ_CXX:-clang++-14}
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
OUT=$(mktemp -d)
WORK=$(mktemp -d)
export OUT WORK
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$OUT" "$WORK"; }
trap cleanup EXIT

bash "$ROOT/fuzz/build.sh"

fail=0
for opt in "$OUT"/*.options; do
    h=$(basename "$opt" .options)
    for f in "$OUT/$h" "$OUT/$h.dict" "$OUT/${h}_seed_corpus.zip"; do
        [ -s "$f" ] || { echo "ci-ossfuzz: missing $f"; fail=1; }
    done
    [ -x "$OUT/$h" ] || continue
    seeds="$WORK/seeds-$h"
    mkdir -p "$seeds"
    (cd "$seeds" && unzip -q -o "$OUT/${h}_seed_corpus.zip")
    flags=""
    # [libfuzzer] key = value lines become -key=value (dict relative to $OUT)
    while IFS='=' read -r key val; do
        key=$(echo "$key" | tr -d ' '); val=$(echo "$val" | tr -d ' ')
        case "$key" in
        '' | '['*) ;;
        dict) flags="$flags -dict=$OUT/$val" ;;
        *) flags="$flags -$key=$val" ;;
        esac
    done <"$opt"
    echo "ci-ossfuzz: $h -runs=$RUNS$flags"
    # shellcheck disable=SC2086
    if ! (cd "$WORK" && "$OUT/$h" -runs="$RUNS" $flags "$seeds" >"$WORK/$h.log" 2>&1); then
        echo "ci-ossfuzz: $h failed:"; tail -40 "$WORK/$h.log"; fail=1
    else
        grep -E '^Done|stat::number_of_executed_units' "$WORK/$h.log" | tail -1
    fi
done
[ "$fail" = 0 ] && echo "ci-ossfuzz: OK" || echo "ci-ossfuzz: FAILED"
exit "$fail"
