#!/usr/bin/env python3
"""CPU benchmarks against peers, measured in the same run on the same synthetic data (speed is what is measured;
correctness is the tests' job):

- kNN (k = 50) vs faiss IndexFlatL2 on the same L2-normalised vectors (normalisation, index build and search timed).
- Mahalanobis (shared covariance, pseudo-inverse) vs scikit-learn's EmpiricalCovariance on class-centred features,
  then its per-class mahalanobis() (fit and score timed).

Medians of 3 runs after a warm-up on both sides. Usage: bench/cpu_peers.py [--train N] [--test M] [--dim D]
"""
import native_blas  # noqa: F401  (before NumPy: the same OpenBLAS kernels as oodbench)
import argparse
import json
import pathlib
import subprocess
import tempfile

import faiss
import numpy as np
from sklearn.covariance import EmpiricalCovariance

from timing import median_time

parser = argparse.ArgumentParser()
parser.add_argument("--train", type=int, default=100_000)
parser.add_argument("--test", type=int, default=10_000)
parser.add_argument("--dim", type=int, default=1024)
parser.add_argument("--classes", type=int, default=10)
parser.add_argument("--binary", default="build/bench/bench_detector")
args = parser.parse_args()


rng = np.random.default_rng(0)
centers = rng.normal(size=(args.classes, args.dim)).astype(np.float32)
y = rng.integers(0, args.classes, args.train).astype(np.int32)
X = (centers[y] + rng.normal(size=(args.train, args.dim)).astype(np.float32)).astype(np.float32)
T = (centers[rng.integers(0, args.classes, args.test)] + 1.2 * rng.normal(size=(args.test, args.dim))).astype(np.float32)


def faiss_knn():
    def normalise(v):
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    index = faiss.IndexFlatL2(args.dim)
    index.add(normalise(X))
    dist, _ = index.search(normalise(T), 50)
    return np.sqrt(dist[:, -1])


def sklearn_mahalanobis():
    means = np.stack([X[y == c].mean(0) for c in range(args.classes)])
    cov = EmpiricalCovariance(assume_centered=True).fit(X - means[y])
    return np.min([cov.mahalanobis(T - m) for m in means], axis=0)


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    np.save(tmp / "X.npy", X)
    np.save(tmp / "y.npy", y)
    np.save(tmp / "T.npy", T)

    def ours(detector, *extra):
        cmd = [args.binary, "--device", "cpu", "--detector", detector, "--train", str(tmp / "X.npy"), "--test",
               str(tmp / "T.npy"), *extra]
        return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

    rows = []
    knn = ours("knn", "--param", "k=50")
    rows.append(("kNN k=50", knn["total_s"], "faiss IndexFlatL2", median_time(faiss_knn)))
    maha = ours("mahalanobis", "--train-labels", str(tmp / "y.npy"))
    rows.append(("Mahalanobis", maha["total_s"], "scikit-learn EmpiricalCovariance", median_time(sklearn_mahalanobis)))

print(f"train {args.train} x {args.dim}, test {args.test}, {args.classes} classes; {knn['device']}; "
      f"faiss {faiss.__version__} ({faiss.omp_get_max_threads()} threads)")
print("| task | oodbench (s) | peer | peer (s) | speed-up |")
print("| --- | ---: | --- | ---: | ---: |")
for task, t_ours, peer, t_peer in rows:
    print(f"| {task} | {t_ours:.3f} | {peer} | {t_peer:.3f} | {t_peer / t_ours:.2f}x |")
