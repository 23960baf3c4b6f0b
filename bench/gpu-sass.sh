#!/bin/bash
# bench/gpu-sass.sh — where the MMA decode body's first loads sit in its SASS
# (needs cuobjdump, so it runs on the GPU host). For each binary given, it
# disassembles one instance of fa_mmad_kernel and prints the instruction
# count, the index of the first LDG (Q's loads) and the first LDGSTS (the
# ring's K/V copies), the first barrier, and how many MUFU.RCP (the core of
# an integer divide sequence) come before the first LDGSTS.
# Usage: bench/gpu-sass.sh [--fun MANGLED_NAME] NAME=BINARY ... 
#        (default function: the D = 128 f16 body; the full listings go to
#        $OUT/NAME.sass when OUT is set)
set -u
fun='_Z14fa_mmad_kernelILi128ELi1EEv9fa_params'
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ] || [ $# -eq 0 ]; then
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
fi
if [ "$1" = "--fun" ]; then fun=$2; shift 2; fi
command -v cuobjdump >/dev/null || { echo "gpu-sass: cuobjdump not found" >&2; exit 2; }
for v in "$@"; do
    name=${v%%=*} bin=${v#*=}
    out=${OUT:-/tmp}/$name.sass
    cuobjdump -sass -fun "$fun" "$bin" >"$out" 2>&1 || { echo "$name: cuobjdump failed ($out)"; continue; }
    python3 - "$out" "$name" <<'PY'
import re, sys
ins = [l for l in open(sys.argv[1]) if re.match(r'\s+/\*[0-9a-f]{4,}\*/', l)]
def first(pat):
    return next((i for i, l in enumerate(ins) if re.search(pat, l)), -1)
ldgsts = first(r'LDGSTS')
rcp = sum('MUFU.RCP' in l for l in ins[:ldgsts]) if ldgsts >= 0 else -1
print(f"{sys.argv[2]}: {len(ins)} instructions; first LDG {first(r'LDG[.E ]')}, first LDGSTS {ldgsts}, "
      f"first BAR {first(r'BAR[.]')}, MUFU.RCP before the first LDGSTS {rcp}")
PY
done
