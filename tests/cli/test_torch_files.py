#!/usr/bin/env python3
"""PyTorch files are refused (unpickling runs code) with a one-line conversion that works for what they hold: run as
printed, it turns a tensor into a .npy, a dict checkpoint into a .npz of its tensors (and `file.pt:key` into that
tensor's .npy), whose arrays oodbench then reads equal to the tensors; float labels so converted are read as labels.
Usage: test_torch_files.py OODBENCH_BINARY DATA_DIR
"""
import pathlib
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from script_checks import finish, report  # noqa: E402

binary = sys.argv[1]
rng = np.random.default_rng(0)
features = rng.standard_normal((30, 6)).astype(np.float32)
labels = np.arange(30) % 3


def refusal(spec, folder):
    run = subprocess.run([binary, "eval", "--json", "--id", spec, "--ood", spec], capture_output=True, text=True,
                         cwd=folder)
    return run.returncode, run.stderr


def convert(message, folder):
    """Runs the conversion the message prints; returns the name it says to use then."""
    command = re.search(r'convert it once: python3 -c "([^"]*)"', message).group(1)
    subprocess.run([sys.executable, "-c", command], check=True, cwd=folder)
    return re.search(r"name (\S+?)(?: \(|$)", message.split(command)[1]).group(1)


def read(spec, folder):
    run = subprocess.run([binary, "eval", "--json", "--id", spec, "--ood", spec], capture_output=True, text=True,
                         cwd=folder)
    return run.returncode == 0, run.stderr


with tempfile.TemporaryDirectory() as t:
    folder = pathlib.Path(t)
    torch.save(torch.from_numpy(features).to(torch.bfloat16), folder / "emb.pt")
    torch.save({"features": torch.from_numpy(features), "labels": torch.from_numpy(labels), "epoch": 3},
               folder / "ckpt.pth")
    torch.save({"scores": torch.from_numpy(features[:, 0])}, folder / "scores.pt")

    code, message = refusal("emb.pt", folder)
    report("a tensor file is refused with exit 2", code == 2 and "unpickling runs code" in message, message)
    name = convert(message, folder)
    array = np.load(folder / name)
    report("... its conversion (bfloat16 -> float32) runs and makes what the message names", name == "emb.npy" and
           array.dtype == np.float32 and np.allclose(array, features, atol=2e-2), name)

    code, message = refusal("ckpt.pth", folder)
    name = convert(message, folder)
    held = np.load(folder / "ckpt.npz")
    report("a dict checkpoint's conversion keeps every tensor under its key",
           code == 2 and sorted(held.files) == ["features", "labels"] and np.array_equal(held["features"], features)
           and np.array_equal(held["labels"], labels) and "ckpt.npz:KEY" in message, f"{held.files}, {name}")
    run = subprocess.run([binary, "score", "--detector", "mahalanobis", "--train", "ckpt.npz:features",
                          "--train-labels", "ckpt.npz:labels", "--test", "ckpt.npz:features", "--out", "s.npy"],
                         capture_output=True, text=True, cwd=folder)
    report("... and oodbench reads its arrays by those keys", run.returncode == 0, run.stderr)

    code, message = refusal("scores.pt:scores", folder)
    name = convert(message, folder)
    ok, stderr = read(name, folder)
    report("file.pt:key is refused with the conversion of that key's tensor, which oodbench then reads",
           code == 2 and name == "scores_scores.npy" and ok and np.array_equal(np.load(folder / name), features[:, 0]),
           message + stderr)
    np.save(folder / "float_labels.npy", labels.astype(np.float32))
    half = labels.astype(np.float64)
    half[4] = 1.5
    np.save(folder / "half_labels.npy", half)
    for name, good in (("float_labels.npy", True), ("half_labels.npy", False)):
        run = subprocess.run([binary, "score", "--detector", "mahalanobis", "--train", "ckpt.npz:features",
                              "--train-labels", name, "--test", "ckpt.npz:features", "--out", "f.npy"],
                             capture_output=True, text=True, cwd=folder)
        if good:
            same = run.returncode == 0 and np.array_equal(np.load(folder / "f.npy"), np.load(folder / "s.npy"))
            report("whole float labels are read as the integers, with a note", same and
                   "float_labels.npy: float32 labels read as integers" in run.stderr, run.stderr)
        else:
            report("a label that is not whole is an error naming its row", run.returncode == 2 and
                   "half_labels.npy: label 1.5 at row 4 is not a whole number" in run.stderr, run.stderr)
finish()
