#!/usr/bin/env python3
"""bench/gpu_trace.py — summarise FASV_GPU_TRACE records of the MMA decode body.

A trace file (FASV_GPU_TRACE=FILE, written by fasv_gpu_time: bench/gpu_perf
under that variable) holds, per timed route, a label ("# shape NAME
VARIANT", from gpu_perf), a header and one line per block
of the split kernel ("k") and of the combine ("c"): index, SM, then the
block's timestamps in ns from the earliest block start (-1: not reached):
    k: start, first sub-tile landed (warp 0), loop done (all warps),
       partials written, end[, fragments stored, warp 0's rows merged[,
       the ring's first copies issued, prologue done]]
    c: start, split grid done (griddepcontrol.wait returned), weights and
       sum known, partials summed, end[, -, -[, -, -]]
This prints, per record, where a launch's time goes: when blocks start, how
long the first sub-tile takes, the loop, the epilogue, how far apart the
blocks end, and the combine.
Usage: bench/gpu_trace.py TRACE_FILE [--md]
"""
import sys


def pct(v, q):
    v = sorted(v)
    if not v:
        return float("nan")
    return v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]


def us(x):
    return f"{x / 1000:6.2f}"


def summary(head, rows):
    k = [r for r in rows if r[0] == "k"]
    c = [r for r in rows if r[0] == "c"]
    start = [r[3] for r in k if r[3] >= 0]
    first = [r[4] - r[3] for r in k if r[4] >= 0 and r[3] >= 0]
    loop = [r[5] - r[4] for r in k if r[5] >= 0 and r[4] >= 0]
    epi = [r[6] - r[5] for r in k if r[6] >= 0 and r[5] >= 0]
    written = [r[6] for r in k if r[6] >= 0]
    ends = [r[7] for r in k if r[7] >= 0]
    sms = {}
    for r in k:
        sms.setdefault(r[2], []).append(r)
    per_sm = sorted(len(v) for v in sms.values())
    out = [f"### {head}",
           f"blocks {len(k)} on {len(sms)} SMs ({per_sm[0]}..{per_sm[-1]} per SM); "
           f"split kernel span {us(max(ends))} us (last end after the first start)",
           "| phase (us) | min | median | p90 | max |", "|---|---|---|---|---|"]

    def row(name, v):
        if v:
            out.append(f"| {name} | {us(min(v))} | {us(pct(v, 0.5))} | {us(pct(v, 0.9))} | {us(max(v))} |")

    row("block start", start)
    row("ring's first copies issued (from start)", [r[10] - r[3] for r in k if r[10] >= 0 and r[3] >= 0])
    row("prologue done: Q staged (from start)", [r[11] - r[3] for r in k if r[11] >= 0 and r[3] >= 0])
    row("first sub-tile (from start)", first)
    row("loop (first sub-tile to all warps done)", loop)
    row("merge of warps + partials written", epi)
    row("  fragments to shared memory", [r[8] - r[5] for r in k if r[8] >= 0 and r[5] >= 0])
    row("  merge and writes (warp 0)", [r[9] - r[8] for r in k if r[9] >= 0 and r[8] >= 0])
    row("  the other warps (to all written)", [r[6] - r[9] for r in k if r[9] >= 0 and r[6] >= 0])
    row("partials written (time)", written)
    row("block end (time)", ends)
    # a late start is a second wave: blocks that began after the first block ended
    first_end = min(ends) if ends else 0
    late = [s for s in start if s > first_end]
    if late:
        out.append(f"{len(late)} blocks started after the first block ended (a second wave or a late start)")
    if c:
        cs = [r[3] for r in c if r[3] >= 0]
        cw = [r[4] for r in c if r[4] >= 0]
        ce = [r[7] for r in c if r[7] >= 0]
        out.append(f"combine: {len(c)} blocks; started {us(min(cs))}..{us(max(cs))}; wait released "
                   f"{us(min(cw))}..{us(max(cw))} (last split block ended {us(max(ends))}); "
                   f"last combine end {us(max(ce))} us")
        cwt = [r[5] - r[4] for r in c if r[5] >= 0 and r[4] >= 0]
        csm = [r[6] - r[5] for r in c if r[6] >= 0 and r[5] >= 0]
        cwr = [r[7] - r[6] for r in c if r[7] >= 0 and r[6] >= 0]
        if cwt and csm and cwr:
            out.append(f"combine phases (median us): release to weights and sum {us(pct(cwt, 0.5))}, "
                       f"to partials summed {us(pct(csm, 0.5))}, to written {us(pct(cwr, 0.5))}")
    return "\n".join(out)


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(sys.argv) > 1 else 2
    head, rows, blocks, label = None, [], [], ""
    path = sys.argv[1]
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        print(f"gpu_trace: {path}: {e.strerror}", file=sys.stderr)
        return 2
    for no, line in enumerate(lines, 1):
        if line.startswith("# shape"):  # bench/gpu_perf's label of the next record
            label = line[len("# shape "):].strip() + ": "
        elif line.startswith("# trace"):
            if head:
                blocks.append((head, rows))
            head, rows, label = label + line[len("# trace "):].strip(), [], ""
        elif line.strip() and head:
            f = line.split()
            if len(f) not in (8, 10, 12) or f[0] not in ("k", "c"):
                print(f"gpu_trace: {path}:{no}: expected 'k|c INDEX SM T1 T2 T3 T4 T5 [T6 T7 [T8 T9]]', "
                      f"got {line.strip()[:60]!r}", file=sys.stderr)
                return 2
            try:
                rows.append([f[0], int(f[1]), int(f[2])] + [int(x) for x in f[3:]] + [-1] * (12 - len(f)))
            except ValueError:
                print(f"gpu_trace: {path}:{no}: not integers: {line.strip()[:60]!r}", file=sys.stderr)
                return 2
    if head:
        blocks.append((head, rows))
    for h, r in blocks:
        if not any(x[0] == "k" for x in r):
            print(f"### {h}\n(no split-kernel blocks in this record)\n")
            continue
        print(summary(h, r))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
