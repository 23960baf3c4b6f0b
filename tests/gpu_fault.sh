#!/bin/sh
# gpu_fault.sh FASV — the GPU check catches a deliberately broken kernel.
# tests/gpu/*.case pass with the real kernels; with FASV_GPU_FAULT=kv-tail
# (a ragged KV range reads one key past its end) every one of them must be
# reported as a finding (exit 1). Exit 77 (ctest SKIP) where there is no GPU.
set -u
FASV=$1
DIR=$(dirname "$0")/gpu
"$FASV" run "$DIR" --no-gpu-exit 77 >gpu_fault_clean.log 2>&1
rc=$?
if [ $rc -eq 77 ]; then echo "SKIP: no GPU ($(tail -1 gpu_fault_clean.log))"; exit 77; fi
if [ $rc -ne 0 ]; then cat gpu_fault_clean.log; echo "FAIL: the fault targets do not pass with the real kernels"; exit 1; fi
fail=0
for c in "$DIR"/*.case; do
    FASV_GPU_FAULT=kv-tail "$FASV" run "$c" >gpu_fault_broken.log 2>&1
    rc=$?
    if [ $rc -ne 1 ]; then
        cat gpu_fault_broken.log
        echo "FAIL: $c: the broken kernel (kv-tail) was not caught (exit $rc)"
        fail=1
    else
        echo "caught: $c: $(grep -m1 '^  ' gpu_fault_broken.log)"
    fi
done
exit $fail
