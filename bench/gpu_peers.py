#!/usr/bin/env python3
"""PyTorch peers of bench/gpu_bench on the same GPU, shapes and inputs' sizes: kNN as torch.mm + topk (chunked over
queries, host in and host out like oodbench's primitive) and one autoencoder epoch of the same model with Adam.
Median of several runs after a warm-up, timed with torch.cuda.synchronize. Prints one JSON object per line.
--tf32 lets PyTorch use TF32 too and runs the kNN alone (to set beside gpu_bench --tf32).
Usage: bench/gpu_peers.py [--quick] [--tf32]"""
import json
import statistics
import sys
import time

import torch

quick = "--quick" in sys.argv
runs = 3 if quick else 7
tf32 = "--tf32" in sys.argv
torch.backends.cuda.matmul.allow_tf32 = tf32  # full FP32 unless asked, as oodbench
dev = torch.device("cuda")


def median_seconds(n, f):
    f()
    times = []
    for _ in range(n):
        torch.cuda.synchronize()
        start = time.perf_counter()
        f()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def knn(db_host, q_host, k, chunk=4096):
    db = db_host.to(dev)
    db_norms = (db * db).sum(1)
    out = torch.empty(len(q_host))
    for start in range(0, len(q_host), chunk):
        q = q_host[start:start + chunk].to(dev)
        d = torch.addmm(db_norms[None, :] + (q * q).sum(1)[:, None], q, db.T, alpha=-2)
        out[start:start + chunk] = d.topk(k, dim=1, largest=False).values[:, -1].clamp_min(0).cpu()
    return out


n, q, d, k = (200_000, 20_000, 1024, 50) if quick else (1_000_000, 100_000, 1024, 50)
gen = torch.Generator().manual_seed(0)
db_host, q_host = torch.rand(n, d, generator=gen) * 2 - 1, torch.rand(q, d, generator=gen) * 2 - 1
s = median_seconds(1 if quick else 2, lambda: knn(db_host, q_host, k))
print(json.dumps({"name": "torch kNN k=50 (mm + topk, host in, host out)" + (", TF32" if tf32 else ""),
                  "shape": f"{q} x {n} x {d}", "seconds": s}), flush=True)
del db_host, q_host
if tf32:
    sys.exit(0)

for batch in (4096, 256):
    rows, d, h, b = (32768 if quick else 131072), 1024, 512, 128
    x = torch.rand(rows, d, device=dev) * 2 - 1
    model = torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.ReLU(), torch.nn.Linear(h, b), torch.nn.Linear(b, h),
                                torch.nn.ReLU(), torch.nn.Linear(h, d)).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(rows, device=dev)

    def epoch():
        for idx in order.split(batch):
            xb = x[idx]
            loss = torch.nn.functional.mse_loss(model(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()

    s = median_seconds(runs, epoch)
    print(json.dumps({"name": f"torch autoencoder epoch, batch {batch}", "shape": f"{rows} x {d} x {h} x {b}",
                      "seconds": s}), flush=True)
