#!/bin/sh
# test_sweep_cli.sh FASV — `fasv plan` and `fasv sweep` as a user meets them:
# exit statuses (0 clean or outside the envelope, 1 violation, 2 bad input),
# the outside-envelope answer, the case's own device as the default, JSON that
# parses, and the route map written as HTML.
set -u
FASV=$1
fail=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

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
lacks() { # lacks FILE TEXT DESCRIPTION
    if grep -qF -- "$2" "$1"; then echo "FAIL: $3: '$2' in output:"; cat "$1"; fail=1; fi
}

# plan: outside the envelope is an answer, not a finding
"$FASV" case --hsk 100 --type-k f32 >"$T/d100.case" 2>/dev/null
expect 0 "plan outside" -- "$FASV" plan --device gfx1100,sm_90 "$T/d100.case"
contains "$T/out" "outside envelope: Dk=100 is not a multiple of 8" "plan outside"
# the case's device is the default; all devices otherwise
"$FASV" case --hsk 256 --nh 8 --gqa 2 --kv 1807 --nb 11 --mask --kv-capacity 32768 --device gfx1100 >"$T/seed.case"
expect 0 "plan seed on its device" -- "$FASV" plan "$T/seed.case"
contains "$T/out" "gfx1100  tile tile:256x256:any,any:c32g8" "plan seed"
lacks "$T/out" "sm_90" "plan uses the case's device"
expect 0 "plan seed on all" -- "$FASV" plan --device all "$T/seed.case"
contains "$T/out" "sm_90" "plan --device all"
contains "$T/out" "gfx906" "plan --device all"
expect 0 "plan --json" -- "$FASV" plan --json --device gfx90a corpus/regress/seed-gemma4-tp2-decode-q8_0.case
contains "$T/out" '"verdict": "route"' "plan --json"
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d[0]["devices"][0]["route"]; assert r["family"]=="split" and r["n_split"]>=2 and r["scratch_bytes"]>0' "$T/out" \
        || { echo "FAIL: plan --json is not the expected JSON"; fail=1; }
fi
# plan: bad input
"$FASV" case --hsk 40 --type-k q8_0 >"$T/illegal.case" 2>/dev/null
expect 2 "plan illegal" -- "$FASV" plan "$T/illegal.case"
contains "$T/err" "illegal node" "plan illegal"
expect 2 "plan unknown device" -- "$FASV" plan --device nosuch "$T/seed.case"
expect 2 "plan no case" -- "$FASV" plan
expect 2 "plan missing file" -- "$FASV" plan "$T/nope.case"

# sweep: a small clean sweep with every output
expect 0 "sweep subset" -- "$FASV" sweep --device gfx1100,sm_61 --types f16,q4_0 --json "$T/s.json" --map "$T/s.html" --no-progress
contains "$T/out" "0 violations" "sweep subset"
contains "$T/out" "route histogram" "sweep subset"
contains "$T/s.html" "<svg" "sweep map"
contains "$T/s.html" "gfx1100" "sweep map"
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["violations"]==0 and d["classes"]>0 and len(d["devices"])==2 and len(d["devices"][0]["map"])==22 and len(d["devices"][0]["map"][0])==7' "$T/s.json" \
        || { echo "FAIL: sweep --json is not the expected JSON"; fail=1; }
fi
expect 2 "sweep bad type" -- "$FASV" sweep --types f17
expect 2 "sweep bad device" -- "$FASV" sweep --device gfx9999
expect 2 "sweep bad threads" -- "$FASV" sweep --threads 0
expect 2 "sweep unwritable json" -- "$FASV" sweep --json /nonexistent/dir/x.json

[ $fail = 0 ] && echo "test_sweep_cli: ok"
exit $fail
