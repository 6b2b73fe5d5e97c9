#!/usr/bin/env python3
"""With a supplied head (--head/--bias), a .npy train file is read only when the detector uses it
(harness/fit/fit_context.h, DeferredFeatures): its shape comes from the header, so label counts and the head's
width are still checked at once. A NaN in the train file is the witness here: detectors that use only the head
(MSP, Energy, MaxLogit, GEN, GradNorm, ASH, SCALE) score as with a clean file, while those that fit on train
(ReAct, DICE, kNN), the probe (no head) and `fit`, which hashes train for its provenance, name the NaN and exit 2.
Usage: test_deferred_train.py OODBENCH_BINARY DATA_DIR
"""
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

binary = os.path.abspath(sys.argv[1])
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from script_checks import finish, report  # noqa: E402

HEAD_ONLY = ["msp", "energy", "maxlogit", "gen", "gradnorm", "ash", "scale"]
USES_TRAIN = ["react", "dice", "knn"]


def run(tmp, *args):
    return subprocess.run([binary, "--device", "cpu", *args], capture_output=True, text=True, cwd=tmp)


def score(tmp, detector, train, head=True, labels="labels.npy"):
    out = pathlib.Path(tmp) / f"{detector}.npy"
    out.unlink(missing_ok=True)
    args = ["score", "--detector", detector, "--train", train, "--train-labels", labels, "--test", "test.npy",
            "--out", out.name]
    if head:
        args += ["--head", "W.npy", "--bias", "b.npy"]
    r = run(tmp, *args)
    return r.returncode, (np.load(out).tobytes() if r.returncode == 0 else None), r.stderr.strip()[-300:]


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    rng = np.random.default_rng(3)
    clean = np.abs(rng.normal(size=(200, 32))).astype(np.float32)
    labels = np.repeat([0, 1], 100)
    nan = clean.copy()
    nan[5, 7] = np.nan
    np.save(tmp / "clean.npy", clean)
    np.save(tmp / "nan.npy", nan)
    np.save(tmp / "labels.npy", labels)
    np.save(tmp / "short_labels.npy", labels[:150])
    np.save(tmp / "test.npy", np.abs(rng.normal(size=(20, 32))).astype(np.float32))
    np.save(tmp / "W.npy", rng.normal(size=(2, 32)).astype(np.float32))
    np.save(tmp / "b.npy", np.zeros(2, np.float32))
    np.save(tmp / "W_wide.npy", rng.normal(size=(2, 33)).astype(np.float32))
    np.save(tmp / "truncated.npy", clean)
    with open(tmp / "truncated.npy", "r+b") as f:
        f.truncate(os.path.getsize(tmp / "truncated.npy") - 64)

    for detector in HEAD_ONLY:
        rc_clean, want, err = score(tmp, detector, "clean.npy")
        assert rc_clean == 0, err
        rc, got, err = score(tmp, detector, "nan.npy")
        report(f"{detector} with a head does not read train: same scores despite its NaN", rc == 0 and got == want,
               err)
    for detector in USES_TRAIN:
        rc, _, err = score(tmp, detector, "nan.npy")
        report(f"{detector} reads train when it fits: the NaN is named, exit 2",
               rc == 2 and "nan.npy" in err and "NaN at row 5, column 7" in err, err)
    rc, _, err = score(tmp, "msp", "nan.npy", head=False)
    report("without a head the probe reads train: the NaN is named, exit 2", rc == 2 and "NaN at row 5" in err, err)
    r = run(tmp, "fit", "--detector", "msp", "--train", "nan.npy", "--head", "W.npy", "--bias", "b.npy",
            "--save", "msp.oodb")
    report("fit hashes train for the model's provenance: the NaN is named, exit 2, no model written",
           r.returncode == 2 and "NaN at row 5" in r.stderr and not (tmp / "msp.oodb").exists(), r.stderr.strip()[-300:])

    rc, _, err = score(tmp, "msp", "nan.npy", labels="short_labels.npy")
    report("label count against the header's rows: exit 2", rc == 2 and "150 labels" in err and "200 rows" in err, err)
    r = run(tmp, "score", "--detector", "msp", "--train", "nan.npy", "--head", "W_wide.npy", "--bias", "b.npy",
            "--test", "test.npy", "--out", "o.npy")
    report("head width against the header's columns: exit 2", r.returncode == 2 and "W_wide.npy" in r.stderr,
           r.stderr.strip()[-300:])
    rc, _, err = score(tmp, "msp", "truncated.npy")
    report("a truncated train file is read (and refused) at once, exit 2",
           rc == 2 and "truncated.npy" in err, err)
finish()
