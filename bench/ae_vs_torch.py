#!/usr/bin/env python3
"""Autoencoder training time, oodbench vs the same PyTorch model (CPU), same data, epochs and batch size, in the
same run. The data are the bundled chest X-ray embeddings (3882 x 1280; h = 640, b = 128, batch 256).
Usage: bench/ae_vs_torch.py [EPOCHS]"""
import native_blas  # noqa: F401  (before NumPy: the same OpenBLAS kernels as oodbench)
import json
import os
import subprocess
import sys

import numpy as np
import torch

from timing import median_time

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
data = "data/medood-mini/mobilenet_v2.npz"
x = torch.from_numpy(np.load(data)["chestxray_train"].astype(np.float32))
n, d = x.shape
torch.manual_seed(0)


def torch_train():
    model = torch.nn.Sequential(torch.nn.Linear(d, d // 2), torch.nn.ReLU(), torch.nn.Linear(d // 2, 128),
                                torch.nn.Linear(128, d // 2), torch.nn.ReLU(), torch.nn.Linear(d // 2, d))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        for idx in torch.randperm(n).split(256):
            xb = x[idx]
            loss = torch.nn.functional.mse_loss(model(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()


def torch_seconds(threads):
    torch.set_num_threads(threads)
    return median_time(torch_train)


# PyTorch at one thread and at every core: on small machines its intra-op threading can be the slower of the two.
peers = {threads: torch_seconds(threads) for threads in sorted({1, os.cpu_count()})}
ours = json.loads(subprocess.run(["build/bench/bench_detector", "--device", "cpu", "--detector", "ae_l2", "--param",
                                  f"epochs={epochs}", "--train", f"{data}:chestxray_train", "--test",
                                  f"{data}:chestxray_test"], check=True, capture_output=True, text=True).stdout)
print(f"{epochs} epochs, {n} x {d}, batch 256; PyTorch {torch.__version__}; oodbench on {ours['device']}")
print("| oodbench fit (s) | PyTorch threads | PyTorch (s) | speed-up |")
print("| ---: | ---: | ---: | ---: |")
for threads, t in peers.items():
    print(f"| {ours['fit_s']:.3f} | {threads} | {t:.3f} | {t / ours['fit_s']:.2f}x |")
