#!/bin/sh
# scenario_cli_test.sh FASV — `fasv scenario` and `fasv fuzz --scenarios` as a user
# meets them: exit statuses (0 clean, 1 finding, 2 bad input), FILE:LINE errors,
# reproducers that replay (the node with fasv replay, the reduced scenario with
# fasv scenario), flags that build a scenario, JSON that parses.
set -u
FASV=$1
fail=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
SEED=corpus/scenarios/seed-gemma4-mtp-tp2.scenario

expect() { # expect STATUS DESCRIPTION -- CMD...
    want=$1; shift; desc=$1; shift; shift
    "$@" >"$T/out" 2>"$T/err"; got=$?
    if [ "$got" != "$want" ]; then
        echo "FAIL: $desc: exit $got, expected $want"; cat "$T/out" "$T/err"; fail=1
    fi
}
contains() { # contains FILE TEXT DESCRIPTION
    if ! grep -qF -- "$2" "$1"; then echo "FAIL: $3: '$2' not in output:"; cat "$1"; fail=1; fi
}

# models
expect 0 "list models" -- "$FASV" scenario --list-models
contains "$T/out" "gemma4-31b" "the zoo lists Gemma 4"
contains "$T/out" "source:" "each model names its source"
expect 0 "list models json" -- "$FASV" scenario --list-models --json
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); g=[m for m in d if m["name"]=="gemma4-31b"][0]; assert g["kinds"][1]["window"]==1024 and g["mtp"]=="target-cache"' "$T/out" \
        || { echo "FAIL: --list-models --json"; fail=1; }
fi

# the seed scenario: clean with a planner without holes, a lifecycle finding with the planted hole
expect 0 "seed, clean fixture" -- "$FASV" scenario --planner test:lifecycle-clean "$SEED"
contains "$T/out" "clean" "seed clean"
expect 1 "seed, planted hole" -- "$FASV" scenario --planner test:lifecycle-hole-d256 --out "$T/repro" "$SEED"
contains "$T/out" "FINDING lifecycle on gfx1100" "the hole is a lifecycle finding"
contains "$T/out" "line 39 'prefill 357'" "first reached after the second restore"
contains "$T/out" "shortest event sequence" "the finding is reduced"
node=$(ls "$T"/repro/lifecycle-*.case 2>/dev/null | head -1)
scn=$(ls "$T"/repro/lifecycle-*.scenario 2>/dev/null | head -1)
if [ -z "$node" ] || [ -z "$scn" ]; then echo "FAIL: --out wrote no reproducers"; fail=1; else
    expect 0 "the node is legal" -- "$FASV" check "$node"
    expect 1 "the node replays as a NONE" -- "$FASV" replay --planner test:lifecycle-hole-d256 "$node"
    expect 1 "the reduced scenario reproduces" -- "$FASV" scenario --lenient --no-reduce --planner test:lifecycle-hole-d256 "$scn"
    contains "$T/out" "FINDING lifecycle" "reduced scenario"
    expect 0 "the reduced scenario is clean without the hole" -- "$FASV" scenario --lenient --planner test:lifecycle-clean "$scn"
fi
# the hole is AMD-only
expect 0 "seed on sm_90" -- "$FASV" scenario --planner test:lifecycle-hole-d256 --device sm_90 "$SEED"
# the fuzz branch's own planted hole is caught the same way (targets are seen through fasv_target only)
expect 1 "fuzz's test:hole-d256" -- "$FASV" scenario --no-reduce --planner test:hole-d256 "$SEED"
contains "$T/out" "FINDING lifecycle on gfx1100" "fuzz's hole"
# scratch: the seed's verify batches are reserved; a 14-token follow-up is not (--events replaces the file's)
expect 0 "scratch fixture, seed" -- "$FASV" scenario --no-reduce --planner test:lifecycle-scratch "$SEED"
expect 1 "scratch fixture, short follow-up" -- "$FASV" scenario --no-reduce --planner test:lifecycle-scratch \
    --events "prefill 1807; draft 10 accept 6 x 3; prefill 14" "$SEED"
contains "$T/out" "allocation reserved 544896" "scratch finding (3 splits x 11 rows x 16 heads x 258 x 4 reserved)"

# JSON
expect 1 "json" -- "$FASV" scenario --json --no-reduce --planner test:lifecycle-hole-d256 "$SEED"
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d[0]; f=r["findings"][0]; assert r["verdict"]=="findings" and f["property"]=="lifecycle" and f["n_q"]==357 and f["n_kv"]==1381 and f["line"]==39, f' "$T/out" \
        || { echo "FAIL: scenario --json"; fail=1; }
fi

# bad input: FILE:LINE
expect 2 "bad event" -- "$FASV" scenario tests/data/bad-event.scenario
contains "$T/err" "tests/data/bad-event.scenario:6:" "FILE:LINE of a bad event"
expect 2 "overflow, strict" -- "$FASV" scenario --planner test:lifecycle-clean tests/data/overflow.scenario
contains "$T/err" "tests/data/overflow.scenario:6:" "FILE:LINE of an event that does not fit"
expect 0 "overflow, lenient" -- "$FASV" scenario --lenient --planner test:lifecycle-clean tests/data/overflow.scenario
contains "$T/out" "cut short" "lenient cut"
expect 2 "missing file" -- "$FASV" scenario tests/data/no-such.scenario
expect 2 "no scenario" -- "$FASV" scenario
expect 2 "unknown model" -- "$FASV" scenario --model nope
expect 2 "unknown planner" -- "$FASV" scenario --planner test:nope "$SEED"

# a scenario from flags (the seed's command line)
expect 0 "flags" -- "$FASV" scenario --planner test:lifecycle-clean --model gemma4-31b --devices gfx1100,gfx1100 \
    --split tensor --ratios 1,1 --draft 10 --ctx 32768 --batch 2048 --ubatch 512 --ctk f16 --ctv f16
contains "$T/out" "gemma4-31b on gfx1100,gfx1100 (split tensor 1,1)" "flags build the seed's settings"
expect 1 "flags with events" -- "$FASV" scenario --no-reduce --planner test:lifecycle-hole-d256 --model gemma4-31b \
    --devices gfx1100,gfx1100 --split tensor --draft 10 --ctx 32768 --kv-pad 1 --events "prefill 1807; restore 271 1806; prefill 44"
contains "$T/out" "'prefill 44'" "the hole after the restore"
expect 2 "bad event flag" -- "$FASV" scenario --model llama3-8b --events "prefill x"
contains "$T/err" "--events: event 1" "bad --events"

# the corpus on every device with the built-in planner: nothing beyond the ledger's known failures
expect 0 "corpus, built-in, every device" -- "$FASV" scenario --all-devices --no-reduce \
    --ledger corpus/scenarios/ledger.txt corpus/scenarios
contains "$T/out" "0 unexpected passes" "ledger"

# fuzzing with random scenarios finds the planted hole
expect 1 "fuzz --scenarios" -- "$FASV" fuzz --scenarios --runs 150 --seed 3 --quiet \
    --planner test:lifecycle-hole-d256 --artifacts "$T/fz"
contains "$T/out" "lifecycle on gfx" "fuzz --scenarios finds it"
expect 0 "fuzz --scenarios, clean" -- "$FASV" fuzz --scenarios --runs 150 --seed 3 --quiet --planner test:lifecycle-clean
expect 2 "fuzz --scenarios --corpus" -- "$FASV" fuzz --scenarios --corpus "$T" --runs 1

exit $fail
