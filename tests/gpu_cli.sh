#!/bin/sh
# gpu_cli.sh FASV — the GPU commands' behaviour that needs no GPU: bad input
# is exit 2 before any device is touched, and a build or host without a GPU
# says "no GPU" and exits 2 (or --no-gpu-exit's code).
set -u
FASV=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { # expected-status description command...
    want=$1; shift; what=$1; shift
    "$@" >"$T/out" 2>"$T/err"; rc=$?
    if [ "$rc" -ne "$want" ]; then echo "FAIL: $what: exit $rc, want $want"; cat "$T/out" "$T/err"; fail=1; fi
}
check 0 "run --help" "$FASV" run --help
check 2 "run without a case" "$FASV" run
check 2 "run with a missing file" "$FASV" run /nonexistent.case
check 2 "run with a bad option" "$FASV" run --gpu x examples/cases
check 2 "fuzz --gpus bad list" "$FASV" fuzz --gpus 0,x
if "$FASV" run examples/cases/llama3-8b-decode.case --no-gpu-exit 77 >"$T/out" 2>"$T/err"; [ $? -eq 77 ]; then
    grep -q "no GPU" "$T/err" || { echo "FAIL: no 'no GPU' message"; cat "$T/err"; fail=1; }
    check 2 "run with no GPU" "$FASV" run examples/cases/llama3-8b-decode.case
    check 2 "fuzz --gpu with no GPU" "$FASV" fuzz --gpu --runs 1 --artifacts "$T/findings"
fi
[ $fail -eq 0 ] && echo "gpu_cli: ok"
exit $fail
