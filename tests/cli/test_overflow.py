#!/usr/bin/env python3
"""Finite features whose magnitudes overflow float32 arithmetic (near 1e37): never non-finite scores with exit 0, never
"internal error". kNN normalises each row, so its scores do not depend on the scale and stay right; a detector whose
scores or fit overflow is exit 2 naming it, what overflowed and how to rescale. A model file whose state holds NaN
or Inf is refused on load.
Usage: test_overflow.py OODBENCH_BINARY DATA_DIR
"""
import io
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

binary = os.path.abspath(sys.argv[1])
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    passed += bool(ok)
    failed += not ok
    print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))


def oodbench(*args):
    return subprocess.run([binary, "--device", "cpu", *map(str, args)], capture_output=True, text=True, cwd=tmp)


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    rng = np.random.default_rng(0)
    train, test = rng.normal(size=(300, 16)).astype(np.float32), rng.normal(size=(60, 16)).astype(np.float32)
    labels = (np.arange(300) % 3).astype(np.int32)
    big = np.float32(1e37)
    for name, x in (("train", train), ("test", test), ("train_big", train * big), ("test_big", test * big)):
        np.save(tmp / f"{name}.npy", x)
    np.save(tmp / "labels.npy", labels)

    def scores(detector, suffix, *extra):
        out = tmp / f"{detector}{suffix}.npy"
        run = oodbench("score", "--detector", detector, "--train", f"train{suffix}.npy", "--test", f"test{suffix}.npy",
                       "--out", out, *extra)
        return run, (np.load(out) if run.returncode == 0 else None)

    plain_run, plain = scores("knn", "")
    big_run, scaled = scores("knn", "_big")
    check("knn on features near 1e37: the scores of the unscaled features (normalised rows)",
          big_run.returncode == 0 and np.allclose(scaled, plain, rtol=1e-5, atol=1e-6),
          big_run.stderr.strip()[-200:] or f"max difference {np.abs(scaled - plain).max():.2e}")
    plain_run, plain = scores("mahalanobis", "", "--train-labels", "labels.npy")
    big_run, scaled = scores("mahalanobis", "_big", "--train-labels", "labels.npy")
    check("mahalanobis on features near 1e37: the scores of the unscaled features (float64 whitening)",
          big_run.returncode == 0 and np.allclose(scaled, plain, rtol=1e-4),
          big_run.stderr.strip()[-200:] or f"max difference {np.abs(scaled - plain).max():.2e}")

    for detector, extra, fragments in [
            ("pca", [], ["pca: the scores of test_big.npy are not finite", "test_big.npy reach |x| = ",
                         "rescale them (divide by 1e+36, say)"]),
            ("mars", ["--param", "epochs=2"], ["mars: the autoencoder's residuals", "not finite",
                                               "the train features reach |x| = ", "rescale them"])]:
        run, _ = scores(detector, "_big", *extra)
        missing = [f for f in fragments if f not in run.stderr]
        check(f"{detector} on features near 1e37: exit 2 naming it, what overflowed and how to rescale",
              run.returncode == 2 and not missing and not (tmp / f"{detector}_big.npy").exists(),
              f"exit {run.returncode}, missing {missing}: {run.stderr.strip()[-250:]}")

    # A model file repacked with a NaN in its state (its checksums valid) is refused, naming the field.
    saved = oodbench("fit", "--detector", "pca", "--train", "train.npy", "--save", "pca.oodb")
    with zipfile.ZipFile(tmp / "pca.oodb") as z:
        members = {n: z.read(n) for n in z.namelist()}
    arrays = {n: np.load(io.BytesIO(b)) for n, b in members.items() if n.startswith("state/")}
    field = next(n for n, a in arrays.items() if a.dtype.kind == "f" and a.size > 1)
    array = arrays[field]
    array.flat[1] = np.nan
    buffer = io.BytesIO()
    np.save(buffer, array)
    members[field] = buffer.getvalue()
    with zipfile.ZipFile(tmp / "nan.oodb", "w") as z:
        for n, b in members.items():
            z.writestr(n, b)
    run = oodbench("score", "--model", "nan.oodb", "--test", "test.npy", "--out", "nan_scores.npy")
    name = field[len("state/"):-len(".npy")]
    check("a model file with NaN in its state is refused, naming the field",
          saved.returncode == 0 and run.returncode == 2 and f"state field '{name}'" in run.stderr and
          "NaN" in run.stderr and not (tmp / "nan_scores.npy").exists(), run.stderr.strip()[-250:])

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
