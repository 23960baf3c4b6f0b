#!/bin/bash
# bench/gpu-profile.sh — where the decode route's time goes, on the GPU host.
#   For each gpu_perf binary given (e.g. the default build and a variant
#   built with another FASV_MMAD_STAGES_128), runs `gpu_perf --only decode
#   --quick` (the usual timing, the card's copy bandwidth) and then, under
#   Nsight Compute (clocks left as they are: --clock-control none), each
#   decode shape's split kernel and combine kernel separately: duration, DRAM
#   throughput, achieved occupancy and the occupancy limits. Prints a table
#   per binary; raw CSV and logs go to OUT_DIR. With STALLS=1, also the
#   split kernel's warp-state (stall reasons), scheduler and memory sections
#   per shape, OUT_DIR/<bin>-<shape>-stalls.txt, and its top stalls printed.
# Usage: [SHAPES="..."] [STALLS=1] bench/gpu-profile.sh OUT_DIR GPU_PERF_BIN [GPU_PERF_BIN...]
set -u
OUTD=$1
shift
mkdir -p "$OUTD"
NCU=$(command -v ncu || ls /usr/local/cuda/bin/ncu 2>/dev/null | head -1)
SHAPES=${SHAPES:-decode-d128-gqa4-kv4k decode-d128-gqa4-kv32k decode-d128-gqa8-kv32k decode-d256-gqa4-kv32k decode-d256-gqa8-kv32k}
METRICS=gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,sm__warps_active.avg.pct_of_peak_sustained_active,launch__occupancy_limit_registers,launch__occupancy_limit_shared_mem,launch__registers_per_thread,launch__grid_size
for bin in "$@"; do
    tag=$(basename "$(dirname "$bin")")-$(basename "$bin")
    echo "== $bin"
    "$bin" --only decode --quick >"$OUTD/$tag-perf.txt" 2>&1
    grep -E "copy|route" "$OUTD/$tag-perf.txt" | cut -c1-120
    [ -z "$NCU" ] && { echo "ncu not found: no per-kernel figures"; continue; }
    printf "%-24s %-18s %9s %7s %7s %5s %5s %5s %6s\n" shape kernel "us" "dram%" "warps%" "regs" "limR" "limS" grid
    for shape in $SHAPES; do
        csv="$OUTD/$tag-$shape.csv"
        timeout 150 "$NCU" --clock-control none --kernel-name regex:'fa_mmad|fa_combine' --launch-skip 4 --launch-count 4 \
            --metrics "$METRICS" --csv "$bin" --shape "$shape" --reps 6 --only decode >"$csv" 2>"$OUTD/$tag-$shape.err"
        python3 - "$csv" "$shape" <<'PY'
import csv, sys, collections
rows = [r for r in csv.reader(l for l in open(sys.argv[1]) if l.startswith('"'))]
if not rows:
    print(f"{sys.argv[2]:<24} (no ncu rows)"); sys.exit()
h = rows[0]; ki, mi, vi = h.index("Kernel Name"), h.index("Metric Name"), h.index("Metric Value")
acc = collections.defaultdict(lambda: collections.defaultdict(list))
for r in rows[1:]:
    k = "combine" if "combine" in r[ki] else "split(mmad)"
    try: acc[k][r[mi]].append(float(r[vi].replace(",", "")))
    except ValueError: pass
for k, m in acc.items():
    g = lambda n: sum(m[n]) / len(m[n]) if m.get(n) else float("nan")
    us = g("gpu__time_duration.sum") / 1e3
    print(f"{sys.argv[2]:<24} {k:<18} {us:9.2f} {g('dram__throughput.avg.pct_of_peak_sustained_elapsed'):7.1f} "
          f"{g('sm__warps_active.avg.pct_of_peak_sustained_active'):7.1f} {g('launch__registers_per_thread'):5.0f} "
          f"{g('launch__occupancy_limit_registers'):5.0f} {g('launch__occupancy_limit_shared_mem'):5.0f} {g('launch__grid_size'):6.0f}")
PY
        if [ "${STALLS:-0}" = 1 ]; then
            st="$OUTD/$tag-$shape-stalls.txt"
            timeout 150 "$NCU" --clock-control none --kernel-name regex:'fa_mmad' --launch-skip 4 --launch-count 1 \
                --section WarpStateStats --section SchedulerStats --section MemoryWorkloadAnalysis \
                --section SpeedOfLight --metrics 'regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio' \
                --page details "$bin" --shape "$shape" --reps 6 --only decode >"$st" 2>&1
            grep -E "Duration|DRAM Throughput|Warp Cycles Per Issued|Active Warps Per Sch|Eligible Warps|No Eligible" "$st" |
                sed 's/  */ /g' | head -8
            grep -E "issue_stalled_.*ratio" "$st" | awk '{print $NF, $1}' | sort -rn | head -8 | sed 's/smsp__average_warps_issue_stalled_//'
        fi
    done
done
