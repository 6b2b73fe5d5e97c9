#!/usr/bin/env python3
"""The first 20 training steps of oodbench's autoencoder against PyTorch (Debian's python3-torch, CPU): the same
architecture, initial weights, batch order and Adam hyperparameters must give the same losses to 1e-4 relative.
DEVICE (cpu by default) is the backend oodbench trains on; with cuda and no usable GPU the test exits 77 (skipped).
Usage: test_autoencoder_torch.py AE_TRACE_BINARY DATA_DIR [DEVICE]"""
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import torch

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2])
device = sys.argv[3] if len(sys.argv) > 3 else "cpu"
STEPS, BATCH = 20, 256
torch.set_num_threads(2)
passed = failed = 0
with tempfile.TemporaryDirectory() as tmp:
    trace_path = pathlib.Path(tmp) / "trace.npz"
    traced = subprocess.run([binary, f"{data_dir}/mobilenet_v2.npz:chestxray_train", str(STEPS), "7", str(trace_path),
                             device])
    if traced.returncode == 77:
        sys.exit(77)
    traced.check_returncode()
    trace = np.load(trace_path)
    x = torch.from_numpy(np.load(data_dir / "mobilenet_v2.npz")["chestxray_train"].astype(np.float32))
    n = len(x)
    layers = [torch.nn.Linear(*trace[f"w{k}"].shape[::-1]) for k in range(4)]
    with torch.no_grad():
        for k, layer in enumerate(layers):
            layer.weight.copy_(torch.from_numpy(trace[f"w{k}"]))
            layer.bias.copy_(torch.from_numpy(trace[f"b{k}"]))
    model = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], layers[2], torch.nn.ReLU(), layers[3])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    order = trace["order"]
    losses = []
    for epoch in range(len(order) // n):
        rows = order[epoch * n:(epoch + 1) * n]
        for start in range(0, n, BATCH):  # the last batch is smaller, as a DataLoader without drop_last
            if len(losses) == STEPS:
                break
            xb = x[torch.from_numpy(rows[start:start + BATCH].astype(np.int64))]
            loss = torch.nn.functional.mse_loss(model(xb), xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    for step, (ours, ref) in enumerate(zip(trace["losses"], losses)):
        ok = abs(ours - ref) <= 1e-4 * abs(ref)
        passed += ok
        failed += not ok
        print(("ok   " if ok else "FAIL ") + f"step {step}: oodbench {ours:.8g} PyTorch {ref:.8g}")
    if len(losses) != STEPS:
        failed += 1
        print(f"FAIL only {len(losses)} PyTorch steps")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
