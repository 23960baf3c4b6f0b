#!/bin/sh
# plugin_cli_test.sh FASV PLUGIN_DIR — planner plugins through the commands a
# user runs: --planner on plan, sweep, fuzz, reduce, replay, verify and
# FASV_PLANNER; the seed-defect example found by fuzzing within seconds and by
# the sweep; the wrapping example clean; bad plugins refused with clear
# errors; a crashing or hanging plugin turned into crash findings with
# reproducers while fuzzing goes on.
set -u
FASV=$1
P=$2
fail=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

expect() { # expect STATUS DESCRIPTION -- CMD...
    want=$1; shift; desc=$1; shift; shift
    "$@" >"$T/out" 2>"$T/err"; got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $desc: exit $got, expected $want"; cat "$T/out" "$T/err" | head -40; fail=1
    fi
}
contains() { # contains FILE TEXT DESCRIPTION
    if ! grep -qF -- "$2" "$1"; then echo "FAIL: $3: '$2' not in output:"; head -40 "$1"; fail=1; fi
}

SEED=$P/libfasv-seed-defect.so
WRAP=$P/libfasv-wrap-builtin.so
CASE=examples/cases/seed-gemma4-mtp-draft.case

# plan: the seed report's shape is a hole of the seed-defect planner on AMD, not on NVIDIA
expect 1 "plan seed-defect" -- "$FASV" plan "$CASE" --planner "$SEED" --device gfx1100,sm_90
contains "$T/out" "VIOLATION totality" "plan names the violation"
contains "$T/out" "No FA kernel selected: K=f16 V=f16 D=256" "plan gives the planner's reason"
contains "$T/out" "kernel NONE" "plan prints the diagnostic block"
expect 0 "plan wrap" -- "$FASV" plan "$CASE" --planner "$WRAP" --device gfx1100,sm_90
expect 1 "FASV_PLANNER" -- env FASV_PLANNER="$SEED" "$FASV" plan "$CASE" --device gfx1100
expect 2 "plan missing plugin" -- "$FASV" plan "$CASE" --planner "$T/nope.so"
contains "$T/err" "plugin $T/nope.so: file not found" "missing plugin message"
expect 2 "plan ABI mismatch" -- "$FASV" plan "$CASE" --planner "$P/libbad-abi.so"
contains "$T/err" "ABI version mismatch" "ABI message"
expect 2 "plan no symbol" -- "$FASV" plan "$CASE" --planner "$P/libbad-nosym.so"
contains "$T/err" "symbol fasv_planner_entry not found" "symbol message"

# sweep: class sweep plus boundary probing find the hole; the wrapper is clean
expect 1 "sweep seed-defect" -- "$FASV" sweep --planner "$SEED" --device gfx1100,sm_90 --types f16 --no-progress --limit 1
contains "$T/out" "boundary probing" "sweep probes a plugin"
contains "$T/out" "totality/RDNA3/none:-/d256x256/f16,f16/No-FA-kernel-selected:-K=f16-V=f16-D=#" "sweep signature"
expect 0 "sweep wrap" -- "$FASV" sweep --planner "$WRAP" --device gfx1100,sm_90 --types f16,q8_0 --no-progress
expect 1 "sweep garbage routes" -- "$FASV" sweep --planner "$P/libbad-family.so" --device gfx1100 --types f16 --no-progress --no-probe
contains "$T/out" "bad-route" "garbage family is a bad-route violation"

# fuzz: the seed defect within seconds (the first finding's execution index is small)
expect 1 "fuzz seed-defect" -- "$FASV" fuzz --planner "$SEED" --max-time 5 --artifacts "$T/sd" --json --quiet
contains "$T/out" '"signature": "totality/' "fuzz finds the hole"
first=$(grep -o '"first": [0-9]*' "$T/out" | head -1 | grep -o '[0-9]*$')
if [ -z "$first" ] || [ "$first" -gt 20000 ]; then echo "FAIL: first finding at execution '$first' (> 20000)"; fail=1; fi
expect 0 "fuzz wrap" -- "$FASV" fuzz --planner "$WRAP" --runs 3000 --quiet --artifacts "$T/wr"

# reduce and replay a plugin finding
f=$(ls "$T"/sd/totality-*.case | head -1)
expect 1 "reduce plugin finding" -- "$FASV" reduce "$f" --planner "$SEED" --out "$T/red.case"
contains "$T/out" "reduced:" "reduce reports sizes"
expect 1 "replay plugin finding" -- "$FASV" replay --planner "$SEED" "$T/red.case"
expect 0 "replay under the wrapper" -- "$FASV" replay --planner "$WRAP" "$T/red.case"

# crashes and hangs become findings with reproducers; fuzzing goes on
expect 1 "fuzz crashing plugin" -- "$FASV" fuzz --planner "$P/libbad-crash.so" --max-time 3 --artifacts "$T/cr" --quiet
# SIGSEGV, or "exit"/SIGABRT where a sanitizer catches the fault first
contains "$T/out" "crash/bad-plugin/d96x96/" "crash signature"
c=$(ls "$T"/cr/crash-*.case | head -1)
[ -n "$c" ] && contains "$c" "reproduced in a fresh process" "crash reproducer confirmed"
[ -n "$c" ] && contains "$c" "q f32 ne=96," "crash reproducer is the crashing shape"
expect 1 "fuzz hanging plugin" -- "$FASV" fuzz --planner "$P/libbad-hang.so" --max-time 4 --hang-timeout 1 --artifacts "$T/hg" --quiet
contains "$T/out" "/hang" "hang signature"
expect 1 "verify crashing plugin" -- "$FASV" verify --planner "$P/libbad-crash.so" --time 12 --out "$T/vr" \
    --phases sweep,fuzz --sweep-types f16
contains "$T/vr/summary.txt" "sweep      crashed" "verify survives a crash in the sweep"
contains "$T/vr/summary.txt" "crash/bad-plugin/d96x96/" "verify's fuzz phase records the crash"

[ $fail = 0 ] && echo "plugin_cli_test: all passed"
exit $fail
