#!/bin/sh
# bench/sweep.sh [FASV] — time the full sweep of the built-in planner (every
# class on every modeled device) with 1 thread and with 2, in the same run,
# and write bench/results/sweep-DATE.md. Target: the full space in under 10 s
# on the 2-core CI machine. Ratios, not absolute times, are what carry over
# between machines: threads-2 vs threads-1, and checks per second per thread.
set -eu
cd "$(dirname "$0")/.."
FASV=${1:-build/default/tools/fasv}
[ -x "$FASV" ] || { echo "bench/sweep.sh: build first (cmake --preset default && cmake --build --preset default)" >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
REPS=${REPS:-3}
for th in 1 2; do
    i=0
    while [ $i -lt "$REPS" ]; do
        /usr/bin/time -f %U -o "$T/u$th-$i" "$FASV" sweep --device all --threads $th --no-progress --json "$T/t$th-$i.json" >/dev/null
        i=$((i + 1))
    done
done
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
DATE=$(date +%Y-%m-%d)
OUT=bench/results/sweep-$DATE.md
python3 - "$T" "$REPS" "$OUT" "$DATE" "$LOAD" <<'PY'
import json, sys
t, reps, out, date, load = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
runs = {th: [json.load(open(f"{t}/t{th}-{i}.json")) for i in range(reps)] for th in (1, 2)}
user = {th: [float(open(f"{t}/u{th}-{i}").read().split()[-1]) for i in range(reps)] for th in (1, 2)}
best = {th: min(r["seconds"] for r in runs[th]) for th in runs}
r = runs[2][0]
checks, classes, nd = r["checks"], r["classes"], len(r["devices"])
cpu = "?"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip(); break
except OSError:
    pass
lines = [
    f"# Sweep timing, {date}",
    "",
    f"Machine: 2-core x86-64 Debian 12 VM ({cpu}), shared with other jobs; release build "
    "(`cmake --preset default`), `bench/sweep.sh` (best of %d runs per thread count); "
    "load average at the end of the runs: %s (other jobs on the machine inflate wall times; "
    "CPU time is the steadier figure)." % (reps, load),
    "",
    f"- classes: **{classes:,}** per device (of a {r['space']:,}-cell product), {nd} devices, "
    f"**{checks:,} checks** (properties 1-3 on each class representative and device)",
    f"- verdicts: {r['clean']:,} clean, {r['outside']:,} outside the envelope, {r['violations']} violations",
    "",
    "| threads | best wall (s) | all runs, wall (s) | CPU time, best (s) | checks/s (wall) | wall / 10 s target |",
    "|---|---|---|---|---|---|",
]
for th in (1, 2):
    allr = ", ".join(f"{x['seconds']:.2f}" for x in runs[th])
    lines.append(f"| {th} | {best[th]:.2f} | {allr} | {min(user[th]):.2f} | {checks / best[th] / 1e6:.2f} M | {best[th] / 10:.2f} |")
lines += [
    "",
    f"Speed-up of 2 threads over 1 in the same run: **{best[1] / best[2]:.2f}x**. "
    f"CPU time per check: {min(user[1]) / checks * 1e9:.0f} ns (building the representative "
    "once per class, then envelope, two plans and the contract per device).",
    "",
]
open(out, "w").write("\n".join(lines))
print("\n".join(lines))
PY
echo "wrote $OUT"
