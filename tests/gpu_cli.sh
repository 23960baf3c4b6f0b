#!/bin/sh
# gpu_cli.sh FASV — the GPU commands' behaviour that needs no GPU: bad input
# is exit 2 before any device is touched, and a build or host without a GPU
# says "no GPU" and exits 2 (or --no-gpu-exit's code).
set -u
FASV=$1
fail=0
check() { # expected-status description command...
    want=$1; shift; what=$1; shift
    "$@" >gpu_cli.out 2>gpu_cli.err; rc=$?
    if [ "$rc" -ne "$want" ]; then echo "FAIL: $what: exit $rc, want $want"; cat gpu_cli.out gpu_cli.err; fail=1; fi
}
check 0 "run --help" "$FASV" run --help
check 2 "run without a case" "$FASV" run
check 2 "run with a missing file" "$FASV" run /nonexistent.case
check 2 "run with a bad option" "$FASV" run --gpu x examples/cases
check 2 "fuzz --gpus bad list" "$FASV" fuzz --gpus 0,x
if "$FASV" run examples/cases/llama3-8b-decode.case --no-gpu-exit 77 >gpu_cli.out 2>gpu_cli.err; [ $? -eq 77 ]; then
    grep -q "no GPU" gpu_cli.err || { echo "FAIL: no 'no GPU' message"; cat gpu_cli.err; fail=1; }
    check 2 "run with no GPU" "$FASV" run examples/cases/llama3-8b-decode.case
    check 2 "fuzz --gpu with no GPU" "$FASV" fuzz --gpu --runs 1 --artifacts gpu_cli_findings
fi
[ $fail -eq 0 ] && echo "gpu_cli: ok"
exit $fail
