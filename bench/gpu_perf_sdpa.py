#!/usr/bin/env python3
"""bench/gpu_perf_sdpa.py — PyTorch SDPA beside bench/gpu_perf, same card, same run.

Reads the JSON lines gpu_perf wrote (the card's copy bandwidth and one object
per fasv measurement), times torch.nn.functional.scaled_dot_product_attention
on the same shapes with the flash and the cuDNN back-ends (f16, [B, H, L, D]
contiguous, GQA through enable_gqa; where a back-end refuses GQA the K/V heads
are expanded and the row says so), measures the copy bandwidth through
PyTorch too, and prints the combined table and the targets of bench/gpu-perf.

Timing is the same as gpu_perf's: warm-up launches, then launches back to
back behind torch.cuda._sleep (the queue fills before the first starts) with
CUDA events between them, median of many; inputs rotate over copies spanning
at least 256 MiB so the L2 cache does not serve them.

Usage: gpu_perf_sdpa.py FASV.jsonl [--md OUT.md] [--quick]
"""
import json
import statistics
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

ROTATE = 256 << 20


def time_queue(fns, warmup, reps):
    evs = [torch.cuda.Event(enable_timing=True) for _ in range(warmup + reps + 1)]
    torch.cuda.synchronize()
    torch.cuda._sleep(20_000_000)
    for k in range(warmup + reps):
        evs[k].record()
        fns[k % len(fns)]()
    evs[-1].record()
    evs[-1].synchronize()
    ts = [evs[k].elapsed_time(evs[k + 1]) for k in range(warmup, warmup + reps)]
    return statistics.median(ts), min(ts)


def copy_gbs():
    n = 1 << 29  # 1 GiB of f16
    a = torch.ones(n, dtype=torch.float16, device="cuda")
    b = torch.empty_like(a)
    ms, _ = time_queue([lambda: b.copy_(a)], 3, 20)
    del a, b
    return 2.0 * (2 * n) / (ms * 1e-3) / 1e9


def sdpa_time(s, backend, quick):
    B, H, HK, Lq, Lk, D = 1, s["heads"], s["kv_heads"], s["nq"], s["nkv"], s["d"]
    set_bytes = 2 * (H * Lq * D * 2) + 2 * (HK * Lk * D * 2)
    nsets = max(2, min(16, -(-ROTATE // set_bytes)))
    g = torch.Generator(device="cuda").manual_seed(0)
    sets = []
    for _ in range(nsets):
        q = torch.randn(B, H, Lq, D, device="cuda", dtype=torch.float16, generator=g)
        k = torch.randn(B, HK, Lk, D, device="cuda", dtype=torch.float16, generator=g)
        v = torch.randn(B, HK, Lk, D, device="cuda", dtype=torch.float16, generator=g)
        sets.append((q, k, v))
    note = ""
    with sdpa_kernel([backend]):
        try:
            fns = [lambda q=q, k=k, v=v: F.scaled_dot_product_attention(q, k, v, enable_gqa=(H != HK)) for q, k, v in sets]
            fns[0]()
        except Exception:  # noqa: BLE001 - the back-end refused GQA: expand the heads
            if H == HK:
                return None, None, "refused"
            sets = [(q, k.repeat_interleave(H // HK, 1), v.repeat_interleave(H // HK, 1)) for q, k, v in sets]
            fns = [lambda q=q, k=k, v=v: F.scaled_dot_product_attention(q, k, v) for q, k, v in sets]
            try:
                fns[0]()
            except Exception as e:  # noqa: BLE001
                return None, None, "refused: " + str(e).split("\n")[0][:60]
            note = "kv expanded"
        slow = not s["decode"]
        warm, reps = (5, 10 if quick else 30) if slow else (20, 60 if quick else 200)
        ms, lo = time_queue(fns, warm, reps)
    del sets
    torch.cuda.empty_cache()
    return ms, lo, note


def main():
    path = sys.argv[1]
    md = sys.argv[sys.argv.index("--md") + 1] if "--md" in sys.argv else None
    quick = "--quick" in sys.argv
    rows = [json.loads(x) for x in open(path) if x.strip()]
    copy = next(r for r in rows if r["kind"] == "copy")
    meas = [r for r in rows if r["kind"] == "fasv"]
    torch_copy = copy_gbs()
    card = torch.cuda.get_device_name(0)
    ref_copy = max(copy["copy_gbs"], torch_copy)
    lines = []
    out = lines.append
    out(f"card: {card} ({copy['arch']}, {copy['sms']} SMs); PyTorch {torch.__version__}")
    out(f"device-to-device copy (read + write, 1 GiB): {copy['copy_gbs']:.0f} GB/s (cudaMemcpyAsync), "
        f"{torch_copy:.0f} GB/s (torch copy_); targets use the larger, {ref_copy:.0f} GB/s")
    out("")
    hdr = (f"| {'shape':26s} | {'variant':7s} | {'family':6s} | {'split':>5s} | {'fasv ms':>8s} | {'TFLOP/s':>7s} | "
           f"{'GB/s':>6s} | {'%copy':>5s} | {'flash ms':>8s} | {'flash TF/s':>10s} | {'x flash':>7s} | "
           f"{'cudnn ms':>8s} | {'cudnn TF/s':>10s} | {'x cudnn':>7s} |")
    out(hdr)
    out("|" + "|".join("-" * (len(c)) for c in hdr.split("|")[1:-1]) + "|")
    sd = {}
    for r in meas:
        if r["name"] not in sd:
            sd[r["name"]] = {}
            for name, be in (("flash", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION)):
                sd[r["name"]][name] = sdpa_time(r, be, quick)
        fl, cu = sd[r["name"]]["flash"], sd[r["name"]]["cudnn"]
        tf = r["flop"] / (r["ms"] * 1e-3) / 1e12
        gb = r["bytes"] / (r["ms"] * 1e-3) / 1e9

        def col(x):
            if x[0] is None:
                return f"{'n/a':>8s} | {'n/a':>10s} | {'n/a':>7s}"
            return f"{x[0]:8.4f} | {r['flop'] / (x[0] * 1e-3) / 1e12:10.2f} | {x[0] / r['ms']:7.2f}"

        out(f"| {r['name']:26s} | {r['variant']:7s} | {r['family']:6s} | {r['n_split']:5d} | {r['ms']:8.4f} | "
            f"{tf:7.2f} | {gb:6.0f} | {100 * gb / ref_copy:5.1f} | {col(fl)} | {col(cu)} |")
        sys.stdout.flush()
    notes = {f"{n}/{b}": v[2] for n, d in sd.items() for b, v in d.items() if v[2]}
    if notes:
        out("")
        out("SDPA notes: " + "; ".join(f"{k}: {v}" for k, v in notes.items()))
    out("")
    out("x flash, x cudnn: SDPA's time over fasv's (above 1: fasv is faster). TFLOP/s counts 4*n_q*n_kv*D*heads; "
        "GB/s the bytes a launch must move (K, V once; Q, O once), for both.")
    out("")
    out("targets:")
    for r in meas:
        gb = r["bytes"] / (r["ms"] * 1e-3) / 1e9
        if r["variant"] == "vecbody" and r["nkv"] == 32768:
            out(f"  {r['name']}: (the split with the VEC body, not routed here) {gb:.0f} GB/s = "
                f"{100 * gb / ref_copy:.1f}% of copy")
        if r["variant"] == "read" and r["nkv"] == 32768:
            out(f"  {r['name']}: (floor: a bare streaming read of K and V, same harness) {gb:.0f} GB/s = "
                f"{100 * gb / ref_copy:.1f}% of copy")
        if r["variant"] != "route":
            continue
        if r["decode"] and r["nkv"] == 32768:
            ok = gb >= 0.7 * ref_copy
            out(f"  {r['name']}: {r['family']} {gb:.0f} GB/s = {100 * gb / ref_copy:.1f}% of copy "
                f"(target >= 70%): {'MET' if ok else 'NOT MET'}")
        if not r["decode"] and r["d"] == 128:
            fl = sd[r["name"]]["flash"][0]
            if fl is None:
                out(f"  {r['name']}: flash back-end unavailable")
            else:
                frac = fl / r["ms"]
                out(f"  {r['name']}: {r['family']} {r['flop'] / (r['ms'] * 1e-3) / 1e12:.1f} TFLOP/s = "
                    f"{100 * frac:.1f}% of SDPA flash (target >= 50%): {'MET' if frac >= 0.5 else 'NOT MET'}")
    text = "\n".join(lines)
    print(text)
    if md:
        with open(md, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
