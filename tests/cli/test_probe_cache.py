#!/usr/bin/env python3
"""The CLI's probe cache: `score` on the same train data a second time reads the probe instead of training it (a note
on stderr names the file) and writes bit-identical scores; --no-cache and OODBENCH_CACHE_DIR= (set, empty) train
without it; a corrupt cache file is trained again, with the same scores; without OODBENCH_CACHE_DIR the cache lives
in $XDG_CACHE_HOME/oodbench. A sweep keeps the probe in OUT/cache: a later run into the same folder (more detectors)
reads it, and its records equal those of a fresh run.
Usage: test_probe_cache.py OODBENCH_BINARY DATA_DIR
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

binary, data = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "sweep"))
from sweep_common import Checks, by_cell  # noqa: E402

_tmp = tempfile.TemporaryDirectory()
tmp = pathlib.Path(_tmp.name)
c = Checks()
NOTE = "linear probe read from the cache"


def score(out, env_extra, *extra, unset=()):
    env = {k: v for k, v in os.environ.items() if k not in ("OODBENCH_CACHE_DIR", *unset)}
    env.update(env_extra)
    proc = subprocess.run(
        [binary, "--device", "cpu", "score", "--detector", "msp", "--train", f"{data}/mobilenet_v2.npz:chestxray_train",
         "--train-labels", f"{data}/labels.npz:chestxray_train", "--test", f"{data}/mobilenet_v2.npz:chestxray_test",
         "--out", str(tmp / out), *extra], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise AssertionError(f"score exited {proc.returncode}:\n{proc.stderr}")
    return proc.stderr, (tmp / out).read_bytes()


cache = tmp / "cache"
first_err, first = score("first.npy", {"OODBENCH_CACHE_DIR": str(cache)})
files = sorted(cache.glob("probe-*.npz"))
c.check("first run trains and writes one cache file", len(files) == 1 and NOTE not in first_err, f"{files} {first_err}")
second_err, second = score("second.npy", {"OODBENCH_CACHE_DIR": str(cache)})
c.check("second run reads it", NOTE in second_err and str(files[0]) in second_err, second_err)
c.check("and its scores are bit-identical", first == second)

no_cache_err, no_cache = score("nocache.npy", {"OODBENCH_CACHE_DIR": str(cache)}, "--no-cache")
c.check("--no-cache trains (no note), same scores", NOTE not in no_cache_err and no_cache == first, no_cache_err)
off_err, off = score("off.npy", {"OODBENCH_CACHE_DIR": ""}, unset=("XDG_CACHE_HOME", "HOME"))
c.check("OODBENCH_CACHE_DIR= trains, same scores", NOTE not in off_err and off == first, off_err)

files[0].write_bytes(files[0].read_bytes()[:100])  # truncated
bad_err, bad = score("corrupt.npy", {"OODBENCH_CACHE_DIR": str(cache)})
c.check("a corrupt cache file is trained again, same scores", NOTE not in bad_err and bad == first, bad_err)
again_err, _ = score("again.npy", {"OODBENCH_CACHE_DIR": str(cache)})
c.check("and replaced", NOTE in again_err, again_err)

xdg = tmp / "xdg"
score("xdg.npy", {"XDG_CACHE_HOME": str(xdg)})
c.check("default: $XDG_CACHE_HOME/oodbench", len(list((xdg / "oodbench").glob("probe-*.npz"))) == 1)

# A sweep: msp first, then msp + energy into the same folder; energy's record equals a fresh run's.
dataset = {"modality": "chestxray", "backbone": "mobilenet_v2",
           "train": {"features": "{backbone}.npz:chestxray_train", "labels": "labels.npz:chestxray_train"},
           "test": {"features": "{backbone}.npz:chestxray_test"},
           "ood": [{"name": "mnist_far", "shift": "far", "features": "{backbone}.npz:mnist_far"}]}


def sweep(name, detectors, out):
    config = {"name": "probe_cache", "data_root": str(data), "plots": False, "keep_scores": True,
              "datasets": [dataset], "detectors": [{"name": d} for d in detectors]}
    (tmp / f"{name}.json").write_text(json.dumps(config))
    proc = subprocess.run([binary, "--device", "cpu", "run", str(tmp / f"{name}.json"), "--out", str(out),
                           "--no-report"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"run exited {proc.returncode}:\n{proc.stderr}")
    return proc.stderr


out = tmp / "sweep"
err = sweep("one", ["msp"], out)
c.check("a sweep keeps the probe in OUT/cache", len(list((out / "cache").glob("probe-*.npz"))) == 1 and NOTE not in err,
        err)
err = sweep("two", ["msp", "energy"], out)
c.check("a later run into the same folder reads it", NOTE in err, err)
fresh = tmp / "fresh"
sweep("two", ["msp", "energy"], fresh)
c.check("its records equal a fresh run's", by_cell(out) == by_cell(fresh))
energy = [r for r in by_cell(out).values() if r["detector"] == "energy"]


def kept(folder):  # the arrays, not the archive's bytes (zip entries carry a time)
    with np.load(folder / energy[0]["scores"]["file"]) as z:
        return {k: z[k].tobytes() for k in z.files}


c.check("energy's kept scores are bit-identical to a fresh run's", len(energy) == 1 and kept(out) == kept(fresh))
c.exit()
