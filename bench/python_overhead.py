#!/usr/bin/env python3
"""The Python module's call overhead: `Detector.fit` / `Detector.score` from Python against the same work called
from C++ in process (bench_detector), on the same arrays in the same run.

The C++ side times fit and score on matrices already in the engine's layout; the Python side adds what a notebook
pays: argument conversion, the one copy of each input into the engine, the GIL hand-off and the result array.
Sizes: the bundled quickstart arrays (3882 x 1280 train, 624 test) and a synthetic 100k x 1024 train with 10k test.
Medians of 3 after a warm-up. Usage: OODBENCH_BUILD_DIR=build bench/python_overhead.py [--large-train N]
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import oodbench  # noqa: E402
from timing import median_time  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default=os.path.join(os.environ.get("OODBENCH_BUILD_DIR", "build"),
                                                     "bench", "bench_detector"))
parser.add_argument("--large-train", type=int, default=100_000)
parser.add_argument("--detectors", default="knn,mahalanobis,pca")
args = parser.parse_args()


def cases(tmp):
    emb = np.load("data/medood-mini/mobilenet_v2.npz")
    labels = np.load("data/medood-mini/labels.npz")["chestxray_train"].astype(np.int32)
    yield "quickstart", emb["chestxray_train"], labels, emb["chestxray_test"]
    rng = np.random.default_rng(0)
    n, d = args.large_train, 1024
    y = rng.integers(0, 10, n).astype(np.int32)
    x = (rng.standard_normal((n, d), dtype=np.float32) + y[:, None] * 0.1).astype(np.float32)
    yield f"{n // 1000}k x {d}", x, y, rng.standard_normal((10_000, d), dtype=np.float32)


rows = []
with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    for case, train, labels, test in cases(tmp):
        for name, arr in (("train", train), ("labels", labels), ("test", test)):
            np.save(tmp / f"{name}.npy", arr)
        for detector in args.detectors.split(","):
            params = ["--param", "k=50"] if detector == "knn" else []
            out = subprocess.run([args.binary, "--device", "cpu", "--detector", detector, *params,
                                  "--train", tmp / "train.npy", "--train-labels", tmp / "labels.npy",
                                  "--test", tmp / "test.npy", "--repeats", "3"],
                                 capture_output=True, text=True, check=True)
            cpp = json.loads(out.stdout)
            det = oodbench.Detector(detector, device="cpu")
            py_fit = median_time(lambda: det.fit(train, labels=labels))
            py_score = median_time(lambda: det.score(test))
            rows.append((case, detector, cpp["fit_s"], py_fit, cpp["score_s"], py_score))

print(f"device: {oodbench.Detector('knn', device='cpu').device}; oodbench {oodbench.__version__}")
print("| data | detector | fit C++ s | fit Python s | overhead | score C++ s | score Python s | overhead |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for case, detector, cf, pf, cs, ps in rows:
    print(f"| {case} | {detector} | {cf:.4f} | {pf:.4f} | {1000 * (pf - cf):+.1f} ms | {cs:.4f} | {ps:.4f} | "
          f"{1000 * (ps - cs):+.1f} ms |")
