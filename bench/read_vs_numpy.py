#!/usr/bin/env python3
"""Reading embeddings: oodbench's load_features (bench/bench_read: parse, convert to float32, check for NaN/Inf) and
numpy.load of the same files, in the same run, the files in the page cache. Medians of --repeats after a warm-up.

Files: --rows x --dim (default 100k x 1024, 400 MB as float32) as float32 .npy, float16 .npy, stored .npz and
compressed .npz. For float16 NumPy's time is also given with .astype(float32), the conversion oodbench does, and the
time to allocate and fill a float32 array of that size (np.empty + fill): a floor for any reader that returns
float32, as the kernel zeroes each fresh page before it is written.
Usage: bench/read_vs_numpy.py [--rows N] [--dim D] [--repeats R] [--binary build/bench/bench_read]
"""
import argparse
import json
import statistics
import subprocess
import tempfile
import time

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int, default=100_000)
parser.add_argument("--dim", type=int, default=1024)
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--binary", default="build/bench/bench_read")
args = parser.parse_args()


def numpy_seconds(load):
    seconds = []
    for r in range(args.repeats + 1):
        start = time.perf_counter()
        load()
        if r:
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


with tempfile.TemporaryDirectory() as tmp:
    x = np.random.default_rng(0).standard_normal((args.rows, args.dim), dtype=np.float32)
    np.save(f"{tmp}/f32.npy", x)
    np.save(f"{tmp}/f16.npy", x.astype(np.float16))
    np.savez(f"{tmp}/stored.npz", x=x)
    np.savez_compressed(f"{tmp}/compressed.npz", x=x)
    del x
    cases = [("float32 .npy", f"{tmp}/f32.npy", lambda: np.load(f"{tmp}/f32.npy")),
             ("float16 .npy", f"{tmp}/f16.npy", lambda: np.load(f"{tmp}/f16.npy")),
             ("float16 .npy, NumPy + astype(float32)", f"{tmp}/f16.npy",
              lambda: np.load(f"{tmp}/f16.npy").astype(np.float32)),
             ("stored .npz", f"{tmp}/stored.npz:x", lambda: np.load(f"{tmp}/stored.npz")["x"]),
             ("compressed .npz", f"{tmp}/compressed.npz:x", lambda: np.load(f"{tmp}/compressed.npz")["x"])]
    print(f"{args.rows} x {args.dim}; medians of {args.repeats} after a warm-up\n")
    print("| file | numpy.load s | oodbench s | ratio | oodbench peak RSS / float32 size |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, spec, load in cases:
        ours = json.loads(subprocess.run([args.binary, "--repeats", str(args.repeats), spec], check=True,
                                         capture_output=True, text=True).stdout)
        theirs = numpy_seconds(load)
        print(f"| {name} | {theirs:.3f} | {ours['seconds']:.3f} | {ours['seconds'] / theirs:.2f}x | "
              f"{ours['peak_rss_bytes'] / ours['float32_bytes']:.2f} |")
    f16 = numpy_seconds(lambda: np.load(f"{tmp}/f16.npy"))
    fill = numpy_seconds(lambda: np.empty((args.rows, args.dim), np.float32).fill(1.0))
    print(f"\nfloat32 destination alone (np.empty + fill): {fill:.3f} s, {fill / f16:.2f}x numpy.load of the float16 file")
