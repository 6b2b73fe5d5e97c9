#!/usr/bin/env python3
"""CUDA, HDF5 and librsvg/cairo live in modules opened on demand (kernels/module_loader.h): a score of .npy inputs
loads none of them (the dynamic loader's own log, LD_DEBUG=files, says what a process loaded), with --device auto
as with --device cpu; an .h5 input loads the HDF5 module and gives the same scores; and, in a CUDA build, the CUDA
module named by OODBENCH_CUDA_MODULE loads with every symbol resolved (RTLD_NOW) and lets CUDA say why no GPU is
usable (or runs on the GPU where one is).
Usage: test_lazy_modules.py OODBENCH_BINARY DATA_DIR
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

binary = pathlib.Path(sys.argv[1]).resolve()
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from script_checks import finish, report  # noqa: E402

MODULES = {"cuda": r"libcu(da|blas|solver|sparse)|liboodbench_cuda", "hdf5": r"libhdf5|liboodbench_hdf5",
           "render": r"librsvg|libcairo|liboodbench_render"}


def score(tmp, train, *options, env=None):
    """(exit code, scores or None, stderr, names of the shared objects the process loaded)."""
    out, log = tmp / "scores.npy", tmp / "loader-log"
    out.unlink(missing_ok=True)
    for old in tmp.glob("loader-log.*"):
        old.unlink()
    run = subprocess.run([binary, *options, "score", "--detector", "knn", "--param", "k=2", "--train", train,
                          "--test", str(tmp / "test.npy"), "--out", str(out)], capture_output=True, text=True,
                         env={**os.environ, "LD_DEBUG": "files", "LD_DEBUG_OUTPUT": str(log), **(env or {})})
    loaded = {name for f in tmp.glob("loader-log.*") for name in re.findall(r"file=(\S+)", f.read_text())}
    return run.returncode, np.load(out) if run.returncode == 0 else None, run.stderr, loaded


def loaded_modules(loaded):
    return {name for name, pattern in MODULES.items() if any(re.search(pattern, f) for f in loaded)}


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    rng = np.random.default_rng(3)
    train = rng.normal(size=(40, 6)).astype(np.float32)
    np.save(tmp / "train.npy", train)
    np.save(tmp / "test.npy", rng.normal(size=(9, 6)).astype(np.float32))
    with h5py.File(tmp / "train.h5", "w") as f:
        f["emb"] = train

    for device in ("auto", "cpu"):
        rc, npy_scores, err, loaded = score(tmp, str(tmp / "train.npy"), "--device", device)
        report(f".npy, --device {device}: no optional module loaded", rc == 0 and len(loaded) > 5
               and not loaded_modules(loaded), f"rc {rc}, loaded {sorted(loaded_modules(loaded))}: {err[-300:]}")

    rc, h5_scores, err, loaded = score(tmp, f"{tmp}/train.h5:/emb", "--device", "cpu")
    report(".h5 input: the HDF5 module, and the same scores", rc == 0 and loaded_modules(loaded) == {"hdf5"}
           and np.array_equal(h5_scores, npy_scores), f"rc {rc}, loaded {sorted(loaded_modules(loaded))}: {err[-300:]}")

    cuda_module = binary.parents[1] / "lib" / "liboodbench_cuda.so"
    built_with_cuda = "CUDA backend built in" in subprocess.run([binary, "--version"], capture_output=True,
                                                                text=True).stdout
    report("a CUDA build has its module", cuda_module.exists() == built_with_cuda, f"{cuda_module}")
    if built_with_cuda:
        rc, _, err, loaded = score(tmp, str(tmp / "train.npy"), "--device", "cuda",
                                   env={"OODBENCH_CUDA_MODULE": str(cuda_module)})
        ran_or_said_why = rc == 0 or (rc == 2 and "no usable GPU: no CUDA device" in err)
        report("OODBENCH_CUDA_MODULE: the CUDA module loads, and CUDA answers", ran_or_said_why
               and "cuda" in loaded_modules(loaded), f"rc {rc}: {err[-300:]}")
        rc, _, err, _ = score(tmp, str(tmp / "train.npy"), "--device", "cuda",
                              env={"OODBENCH_CUDA_MODULE": str(tmp / "train.npy")})
        report("a file that is not a module: a clear error", rc == 2 and "cannot load" in err, err[-300:])
finish()
