#!/bin/sh
# bench/scenario.sh [FASV] — how fast serving scenarios expand and check, in one run:
#   1. the corpus (corpus/scenarios) on every modeled device, built-in planner, no reduction;
#   2. random scenarios (fasv fuzz --scenarios, seed 1) against the lifecycle-clean fixture
#      (no findings, so no reduction: expansion + planning only) and against the built-in
#      planner (its known findings are reduced, which costs extra runs).
# Writes bench/results/scenario-DATE.md. Target: many scenarios per second for fuzzing.
# Ratios carry over between machines: nodes per distinct node (what the memo saves), the
# built-in planner's cost against the fixture's, reduction's share of a fuzzing run.
set -eu
cd "$(dirname "$0")/.."
FASV=${1:-build/default/tools/fasv}
[ -x "$FASV" ] || { echo "bench/scenario.sh: build first (cmake --preset default && cmake --build --preset default)" >&2; exit 2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
REPS=${REPS:-3}
RUNS=${RUNS:-2000}
i=0
while [ $i -lt "$REPS" ]; do
    s0=$(date +%s.%N)
    "$FASV" scenario --all-devices --no-reduce --json corpus/scenarios >"$T/corpus-$i.json" || true
    s1=$(date +%s.%N)
    echo "$s0 $s1" >"$T/corpus-$i.t"
    "$FASV" fuzz --scenarios --runs "$RUNS" --seed 1 --quiet --json --planner test:lifecycle-clean >"$T/clean-$i.json" || true
    "$FASV" fuzz --scenarios --runs "$RUNS" --seed 1 --quiet --json --artifacts "$T/art" >"$T/builtin-$i.json" || true
    i=$((i + 1))
done
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
DATE=$(date +%Y-%m-%d)
OUT=bench/results/scenario-$DATE.md
python3 - "$T" "$REPS" "$OUT" "$DATE" "$LOAD" "$RUNS" <<'PY'
import json, sys
t, reps, out, date, load, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
def corpus(i):
    d = json.load(open(f"{t}/corpus-{i}.json"))
    a, b = map(float, open(f"{t}/corpus-{i}.t").read().split())
    return d, b - a
cs = [corpus(i) for i in range(reps)]
best_c = min(s for _, s in cs)
d = cs[0][0]
replays = len(d)
nodes = sum(r.get("compute_nodes", 0) + r.get("reserve_nodes", 0) for r in d)
distinct = sum(r.get("distinct_nodes", 0) for r in d)
graphs = sum(r.get("graphs", 0) for r in d)
clean = [json.load(open(f"{t}/clean-{i}.json")) for i in range(reps)]
built = [json.load(open(f"{t}/builtin-{i}.json")) for i in range(reps)]
bc = min(clean, key=lambda r: r["seconds"])
bb = min(built, key=lambda r: r["seconds"])
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
L = [f"# Scenario expansion and checking, {date}", "",
     f"Machine: the 2-core x86-64 Debian 12 CI VM ({cpu}), load {load}; release build (preset default);",
     f"best of {reps} runs. Measured by bench/scenario.sh.", "",
     "| what | work | best time | rate |", "|---|---|---|---|",
     f"| corpus on every device, built-in planner | {replays} replays, {graphs} graphs, {nodes} nodes ({distinct} distinct) | {best_c:.2f} s | {replays/best_c:.0f} replays/s, {nodes/best_c:,.0f} nodes/s |",
     f"| {runs} random scenarios, lifecycle-clean fixture | {bc['graphs']} graphs, {bc['nodes']} nodes | {bc['seconds']:.2f} s | {bc['scenarios_per_s']:.0f} scenarios/s, {bc['nodes']/bc['seconds']:,.0f} nodes/s |",
     f"| {runs} random scenarios, built-in planner (+ reduction of {len(bb['findings'])} findings) | {bb['graphs']} graphs, {bb['nodes']} nodes | {bb['seconds']:.2f} s | {bb['scenarios_per_s']:.0f} scenarios/s |",
     "", "Ratios (same run):", "",
     f"- nodes per distinct node in the corpus replay: {nodes/max(distinct,1):.1f} (the memo plans each distinct node once)",
     f"- built-in planner with reduction / fixture, time for the same {runs} scenarios: {bb['seconds']/bc['seconds']:.2f}",
     ""]
open(out, "w").write("\n".join(L))
print("\n".join(L))
PY
