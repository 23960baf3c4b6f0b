#!/bin/sh
# cli_test.sh FASV — the command line as a user meets it: exit statuses
# (0 clean, 1 finding, 2 bad input), one-line FILE:LINE errors, --help on every
# command, JSON that parses, and `fasv gen` output checked against an
# independent decoding of the raw buffers (numpy, when python3-numpy is there).
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

expect 0 "top help" -- "$FASV" --help
expect 2 "no command" -- "$FASV"
expect 2 "unknown command" -- "$FASV" frobnicate
for cmd in $("$FASV" --help | awk '/^commands:/{on=1;next} on && NF {print $1} on && !NF {exit}'); do
    expect 0 "$cmd --help" -- "$FASV" "$cmd" --help
    contains "$T/out" "usage: fasv $cmd" "$cmd --help"
done

expect 0 "devices" -- "$FASV" devices
contains "$T/out" "gfx1100" "devices lists gfx1100"
expect 0 "devices --json" -- "$FASV" devices --json
if command -v python3 >/dev/null; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d) >= 14 and d[0]["warp_size"] == 64' "$T/out" \
        || { echo "FAIL: devices --json is not the expected JSON"; fail=1; }
fi

expect 0 "check examples" -- "$FASV" check examples/cases
expect 1 "check illegal" -- "$FASV" check tests/data/illegal-gqa.case
contains "$T/out" "illegal: k: n_head_kv (ne[2]=3) does not divide q's n_head (ne[2]=8) [head-bcast]" "illegal reason"
expect 2 "check malformed" -- "$FASV" check tests/data/bad-unknown-key.case
contains "$T/err" "tests/data/bad-unknown-key.case:5: unknown key 'temperature'" "FILE:LINE error"
expect 2 "check missing file" -- "$FASV" check "$T/nope.case"
expect 1 "check --json mixed" -- "$FASV" check --json examples/cases/alibi-mpt.case tests/data/illegal-gqa.case
contains "$T/out" '"rule": "head-bcast"' "check --json rule"

expect 2 "case bad number" -- "$FASV" case --hsk 12x
contains "$T/err" "--hsk: expected an integer" "case bad number message"
expect 2 "case bad type" -- "$FASV" case --type-k q3_k
expect 0 "case prints" -- "$FASV" case --hsk 64 --kv 40 --nb 3 --mask --type-k q8_0 --type-v q4_1 --pad-k 2 --seed 5
cp "$T/out" "$T/c.case"
expect 0 "case output is legal" -- "$FASV" check "$T/c.case"
expect 0 "case with illegal node" -- "$FASV" case --hsk 40 --type-k q8_0
contains "$T/err" "note: illegal node" "case warns on illegal"

expect 0 "gen" -- "$FASV" gen "$T/c.case" --out "$T/g"
for f in q.npy k.npy v.npy mask.npy buf_k.bin layout.json case.case; do
    [ -f "$T/g/$f" ] || { echo "FAIL: gen did not write $f"; fail=1; }
done
expect 2 "gen without --out" -- "$FASV" gen "$T/c.case"
expect 2 "gen too large" -- "$FASV" gen "$T/c.case" --out "$T/g2" --max-bytes 100

if python3 -c 'import numpy' 2>/dev/null; then
    # k is q8_0 [64, 40] with 2 bytes of padding per row: decode the raw buffer
    # here, independently of fasv, and compare with k.npy
    python3 - "$T/g" <<'PY' || { echo "FAIL: gen output disagrees with an independent decode"; fail=1; }
import json, sys, numpy as np
d = sys.argv[1]
lay = json.load(open(d + "/layout.json"))
k = np.load(d + "/k.npy")
assert k.shape == (1, 1, 40, 64), k.shape
raw = np.fromfile(d + "/" + lay["k"]["buffer"], dtype=np.uint8)
nb1 = lay["k"]["nb"][1]
assert nb1 == 2 * 34 + 2
for t in range(40):
    row = raw[t * nb1 : t * nb1 + 68]
    for b in range(2):
        blk = row[b * 34 : (b + 1) * 34]
        dsc = blk[0:2].view(np.float16).astype(np.float64)[0]
        qs = blk[2:34].view(np.int8).astype(np.float64)
        assert np.array_equal(qs * dsc, k[0, 0, t, b * 32 : (b + 1) * 32].astype(np.float64))
    # the two padding bytes after each row are 0xFF
    assert (raw[t * nb1 + 68 : t * nb1 + 70] == 0xFF).all()
m = np.load(d + "/mask.npy")
assert m.shape == (1, 1, 3, 40) and not np.isnan(m).any()
PY
fi

[ $fail = 0 ] && echo "cli_test: all passed"
exit $fail
