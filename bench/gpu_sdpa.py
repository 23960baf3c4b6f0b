#!/usr/bin/env python3
"""bench/gpu_sdpa.py — PyTorch's scaled_dot_product_attention on the shapes
bench/gpu_bench wrote (one JSON object per line), on the same card in the
same run, for the side-by-side table in bench/results/.

f16 Q/K/V in [batch, heads, len, D] (contiguous), GQA through enable_gqa,
an additive f16 mask where the shape has one; q8_0 shapes are timed on f16
tensors (PyTorch has no q8_0 attention): the comparison is then against the
f16 kernel's work. Timing: CUDA events, 3 warm-ups, median of N launches.
Usage: gpu_sdpa.py SHAPES.jsonl [--iters N]
"""
import json
import sys

import torch
import torch.nn.functional as F


def time_ms(fn, iters):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(iters):
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        ts.append(a.elapsed_time(b))
    ts.sort()
    return ts[len(ts) // 2]


def main():
    path = sys.argv[1]
    iters = int(sys.argv[sys.argv.index("--iters") + 1]) if "--iters" in sys.argv else 20
    dev = torch.device("cuda")
    print(f"# PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}, SDPA f16, median of {iters}")
    print(f"{'shape':32s} {'fasv ms':>9s} {'fasv TF/s':>9s} {'sdpa ms':>9s} {'sdpa TF/s':>9s} {'ratio':>7s}  backend")
    g = torch.Generator(device=dev).manual_seed(0)
    for line in open(path):
        s = json.loads(line)
        B, H, HK, Lq, Lk, D = s["batch"], s["heads"], s["kv_heads"], s["nq"], s["nkv"], s["d"]
        q = torch.randn(B, H, Lq, D, device=dev, dtype=torch.float16, generator=g)
        k = torch.randn(B, HK, Lk, D, device=dev, dtype=torch.float16, generator=g)
        v = torch.randn(B, HK, Lk, D, device=dev, dtype=torch.float16, generator=g)
        mask = None
        if s["mask"]:
            mask = torch.zeros(1, 1, Lq, Lk, device=dev, dtype=torch.float16)
        backend = "auto"
        try:
            ms = time_ms(lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=(H != HK)), iters)
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"{s['name']:32s} sdpa failed: {e}")
            continue
        flop = s["flop"]
        print(f"{s['name']:32s} {s['ms']:9.4f} {flop / s['ms'] / 1e9:9.2f} {ms:9.4f} {flop / ms / 1e9:9.2f} "
              f"{s['ms'] / ms:7.2f}  {backend}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
