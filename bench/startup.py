#!/usr/bin/env python3
"""Start-up cost of the `oodbench` process against a no-op process, measured in the same run.

Times, as whole processes (fork, exec, dynamic loading, static initialisation, exit): /bin/true, `oodbench
--version`, and `oodbench score` of kNN on a tiny file (20 x 4 train, 5 test rows, --device auto). Reports the
minimum and the median of --runs runs each (the minimum is the cost without interference from other load), and
which CUDA libraries the score process loaded (none is expected without a GPU in use: the CUDA backend is a module
opened on demand).
Usage: bench/startup.py [--binary build/harness/oodbench] [--runs 200]
"""
import argparse
import json
import re
import os
import statistics
import subprocess
import tempfile
import time

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default="build/harness/oodbench")
parser.add_argument("--runs", type=int, default=200)
args = parser.parse_args()
CUDA_LIBRARY = r"lib(cuda|cublas|cusolver|cusparse|nvJitLink|nvidia)|oodbench_cuda"


def times(command, env=None):
    seconds = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        seconds.append(time.perf_counter() - start)
    return min(seconds), statistics.median(seconds)


with tempfile.TemporaryDirectory() as tmp:
    rng = np.random.default_rng(0)
    np.save(f"{tmp}/train.npy", rng.standard_normal((20, 4), dtype=np.float32))
    np.save(f"{tmp}/test.npy", rng.standard_normal((5, 4), dtype=np.float32))
    score = [args.binary, "score", "--detector", "knn", "--param", "k=2", "--train", f"{tmp}/train.npy",
             "--test", f"{tmp}/test.npy", "--out", f"{tmp}/out.npy"]
    rows = {"no-op (/bin/true)": times(["/bin/true"]),
            "oodbench --version": times([args.binary, "--version"]),
            "oodbench score (knn, 20 x 4)": times(score)}
    loaded = subprocess.run(score, env=dict(os.environ, LD_DEBUG="files"), capture_output=True, text=True).stderr
    cuda_libraries = sorted({line.split("file=")[1].split()[0] for line in loaded.splitlines()
                             if "file=" in line and re.search(CUDA_LIBRARY, line)})

base_min, base_median = rows["no-op (/bin/true)"]
print("| process | min ms | median ms | over no-op (min) ms |\n| --- | ---: | ---: | ---: |")
for name, (low, median) in rows.items():
    print(f"| {name} | {low * 1e3:.1f} | {median * 1e3:.1f} | {(low - base_min) * 1e3:.1f} |")
print(f"CUDA libraries loaded by the score process: {', '.join(cuda_libraries) or 'none'}")
print(json.dumps({name: {"min_s": low, "median_s": median} for name, (low, median) in rows.items()}))
