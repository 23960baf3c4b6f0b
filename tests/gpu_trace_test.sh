#!/bin/sh
# bench/gpu_trace.py on a hand-written trace (two split-kernel blocks, one
# combine block; timestamps chosen so every phase is a round number): each
# phase's min/max and the combine's phases must be the hand-computed ones,
# records of 12, 10 (block 1: no prologue words) and 8 fields parse, and a
# malformed line names its file:line.
# Skips (77) without python3.
command -v python3 >/dev/null 2>&1 || { echo "python3 not found: skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
TOOL=bench/gpu_trace.py
cat >"$T/t.txt" <<'X'
# shape decode-test route
# trace key=split:test n_split=2 grid=1,1,2 combine=1
k 0 3 0 4000 20000 21000 21050 20100 20400 1500 3000
k 1 5 100 4100 22100 23300 23350 22300 22700
c 0 7 5000 24000 25000 25500 26000 -1 -1 -1 -1
X
fail=0
out=$(python3 "$TOOL" "$T/t.txt") || { echo "FAIL: exit $?"; exit 1; }
check() {
    if printf '%s\n' "$out" | grep -F -q -- "$1"; then :; else echo "FAIL: missing: $1"; fail=1; fi
}
# | phase | min | median | p90 | max |  (us, %6.2f)
check "| ring's first copies issued (from start) |   1.50 |   1.50 |   1.50 |   1.50 |"
check "| prologue done: Q staged (from start) |   3.00 |   3.00 |   3.00 |   3.00 |"
check "| first sub-tile (from start) |   4.00 |   4.00 |   4.00 |   4.00 |"
check "| loop (first sub-tile to all warps done) |  16.00 |  18.00 |  18.00 |  18.00 |"
check "| merge of warps + partials written |   1.00 |   1.20 |   1.20 |   1.20 |"
check "|   fragments to shared memory |   0.10 |   0.20 |   0.20 |   0.20 |"
check "|   merge and writes (warp 0) |   0.30 |   0.40 |   0.40 |   0.40 |"
check "|   the other warps (to all written) |   0.60 |   0.60 |   0.60 |   0.60 |"
check "split kernel span  23.35 us"
check "wait released  24.00.. 24.00 (last split block ended  23.35); last combine end  26.00 us"
check "release to weights and sum   1.00, to partials summed   0.50, to written   0.50"
# a record of the older 6-word traces (8 fields) still parses, without the new rows
printf '# trace key=old n_split=2 grid=1,1,1 combine=0\nk 0 1 0 1000 9000 9500 9600\n' >"$T/old.txt"
out=$(python3 "$TOOL" "$T/old.txt") || { echo "FAIL: old record: exit $?"; fail=1; }
check "| loop (first sub-tile to all warps done) |   8.00 |   8.00 |   8.00 |   8.00 |"
if printf '%s\n' "$out" | grep -q "fragments to shared memory"; then echo "FAIL: old record has the new rows"; fail=1; fi
# a malformed line: exit 2, file:line named
printf '# trace key=x n_split=2 grid=1,1,1 combine=0\nk 0 1 0 1000\n' >"$T/bad.txt"
python3 "$TOOL" "$T/bad.txt" >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 2 ] || { echo "FAIL: malformed trace exit $rc, want 2"; fail=1; }
grep -q "bad.txt:2:" "$T/err" || { echo "FAIL: no file:line in: $(cat "$T/err")"; fail=1; }
[ $fail -eq 0 ] && echo "gpu_trace: all checks passed"
exit $fail
