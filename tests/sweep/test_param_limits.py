#!/usr/bin/env python3
"""Parameter values the data cannot take (knn's k above the ID train rows, ViM's and Residual's principal_dims not
below the feature width, NeRO's pca_dims above it) are validation faults: `validate` and `run` report each with
the JSON Pointer of the value, exit 2, and no cell runs (no folder is left behind).
Usage: test_param_limits.py OODBENCH_BINARY DATA_DIR
"""
import json
import pathlib
import sys
import tempfile

from sweep_common import Checks, run, toy_data

binary = sys.argv[1]
_tmp = tempfile.TemporaryDirectory()
tmp = pathlib.Path(_tmp.name)
c = Checks()
dataset = toy_data(tmp / "data", dims=40)  # 300 ID train rows of 40 features


def config(name, detectors):
    path = tmp / f"{name}.json"
    path.write_text(json.dumps({"name": name, "data_root": str(tmp / "data"), "datasets": [dataset],
                                "detectors": detectors, "plots": False}))
    return path


bad = config("bad", [{"name": "mahalanobis"},
                     {"name": "knn", "params": {"k": [1, 5000]}},
                     {"name": "vim", "params": {"principal_dims": 40}},
                     {"name": "residual", "params": {"principal_dims": [10, 64]}},
                     {"name": "nero", "params": {"pca_dims": 41}}])
expected = {
    "/detectors/1/params/k/1": "k = 5000 exceeds the 300 ID train rows",
    "/detectors/2/params/principal_dims": "principal_dims must be in 1..39",
    "/detectors/3/params/principal_dims/1": "principal_dims must be in 1..39",
    "/detectors/4/params/pca_dims": "pca_dims must be in 1..40",
}
for command in (["validate", bad], ["run", bad, "--out", tmp / "out"]):
    proc = run(binary, *command, check=False)
    c.check(f"{command[0]}: exit 2", proc.returncode == 2, f"rc {proc.returncode}: {proc.stderr}")
    c.check(f"{command[0]}: 4 problems in one message", "4 problems" in proc.stderr, proc.stderr)
    for pointer, why in expected.items():
        line = next((l for l in proc.stderr.splitlines() if f": {pointer}: " in l), "")
        c.check(f"{command[0]}: {pointer} is named", why in line and "(dataset toy/b, /datasets/0)" in line,
                line or proc.stderr)
    c.check(f"{command[0]}: the valid grid points are not faults",
            "/params/k/0" not in proc.stderr and "principal_dims/0" not in proc.stderr, proc.stderr)
c.check("run: no cell ran, no folder left", not (tmp / "out").exists())

# The limits are the data's: k = 300 is every train row, which is allowed; residual's D_p may not exceed the rows
# it fits on.
ok = config("ok", [{"name": "knn", "params": {"k": 300}}])
c.check("k = train rows is valid", run(binary, "validate", ok, check=False).returncode == 0)
few = toy_data(tmp / "few", dims=40)
import numpy as np  # noqa: E402 (only here: a train set with fewer rows than the residual dimensions)
np.save(tmp / "few" / "train.npy", np.load(tmp / "few" / "train.npy")[:20])
np.save(tmp / "few" / "labels.npy", np.load(tmp / "few" / "labels.npy")[:20])
path = tmp / "few.json"
path.write_text(json.dumps({"name": "few", "data_root": str(tmp / "few"), "datasets": [few], "plots": False,
                            "detectors": [{"name": "residual", "params": {"principal_dims": 30}}]}))
proc = run(binary, "validate", path, check=False)
c.check("residual: D_p above the fit rows is a fault", proc.returncode == 2 and
        "/detectors/0/params/principal_dims: residual: the ID train split has 20 rows" in proc.stderr, proc.stderr)
c.exit()
