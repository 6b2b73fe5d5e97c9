#!/usr/bin/env python3
"""A dataset's "val" may carry "labels" beside "features": they reach the detectors that fit on labelled ID val
(tempscale fits on them instead of falling back to train, with its warning), they are part of the dataset's
identity like the val features, and bad ones are config errors pointing at /datasets/0/val/labels.
Usage: test_val_labels.py OODBENCH_BINARY DATA_DIR
"""
import copy
import json
import pathlib
import sys
import tempfile

import jsonschema
import numpy as np

from sweep_common import Checks, records, run

binary, data = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
root = pathlib.Path(__file__).resolve().parents[2]
schema = json.loads((root / "configs" / "config.schema.json").read_text())
_tmp = tempfile.TemporaryDirectory()
tmp = pathlib.Path(_tmp.name)
c = Checks()

base = {
    "name": "val_labels", "data_root": str(data), "plots": False,
    "datasets": [{
        "modality": "chestxray", "backbone": "mobilenet_v2",
        "train": {"features": "{backbone}.npz:chestxray_train", "labels": "labels.npz:chestxray_train"},
        "val": {"features": "{backbone}.npz:chestxray_val", "labels": "labels.npz:chestxray_val"},
        "test": {"features": "{backbone}.npz:chestxray_test"},
        "ood": [{"name": "mnist_far", "shift": "far", "features": "{backbone}.npz:mnist_far"}]}],
    "detectors": [{"name": "tempscale"}],
}


def sweep(name, config, check=True):
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(config))
    return run(binary, "run", path, "--out", tmp / name, "--no-report", "--quiet", check=check)


c.check("the schema accepts val labels", jsonschema.Draft202012Validator(schema).is_valid(base))
sweep("with", base)
without = copy.deepcopy(base)
del without["datasets"][0]["val"]["labels"]
sweep("without", without)
w, wo = records(tmp / "with")[0], records(tmp / "without")[0]
c.check("tempscale fits on the val labels (no fallback warning)", not any("without labels" in m for m in w["warnings"]),
        str(w["warnings"]))
c.check("without them it falls back to train and says so", any("without labels" in m for m in wo["warnings"]),
        str(wo["warnings"]))
c.check("val labels are hashed with the inputs", "val_labels" in w["inputs"] and "val_labels" not in wo["inputs"])
c.check("val labels are part of the cell identity", w["cell"] != wo["cell"])

np.save(tmp / "bad.npy", np.r_[np.load(data / "labels.npz")["chestxray_val"][:-1], 7].astype(np.int64))
for name, labels, expected in [("rows", "labels.npz:chestxray_test", "624 labels, but the ID val features"),
                               ("class", str(tmp / "bad.npy"), "has label 7, expected the train classes 0..1")]:
    bad = copy.deepcopy(base)
    bad["datasets"][0]["val"]["labels"] = labels
    proc = sweep(name, bad, check=False)
    c.check(f"bad val labels ({name}) are a config error", proc.returncode == 2 and "/datasets/0/val/labels" in
            proc.stderr and expected in proc.stderr, proc.stderr)

# tempscale on labels a probe separates perfectly has no finite temperature: named in a config, that is an error;
# under "detectors": "all", that one detector is skipped with a line and the others run.
rng = np.random.default_rng(1)
y = np.repeat([0, 1], 40)
x = (rng.normal(0, 0.1, (80, 6)) + 3 * y[:, None]).astype(np.float32)
np.save(tmp / "x.npy", x)
np.save(tmp / "y.npy", y)
np.save(tmp / "far.npy", rng.normal(9, 1, (30, 6)).astype(np.float32))
separated = {"name": "separated", "data_root": str(tmp), "plots": False,
             "datasets": [{"modality": "toy", "backbone": "b", "train": {"features": "x.npy", "labels": "y.npy"},
                           "test": {"features": "x.npy"},
                           "ood": [{"name": "far", "shift": "far", "features": "far.npy"}]}],
             "detectors": [{"name": "tempscale"}]}
proc = sweep("separated", separated, check=False)
c.check("a named tempscale that cannot fit: exit 2 naming it", proc.returncode == 2 and "tempscale" in proc.stderr,
        proc.stderr)
separated["detectors"] = "all"
proc = sweep("separated_all", separated, check=False)
ran = {r["detector"] for r in records(tmp / "separated_all")} if proc.returncode == 0 else set()
c.check("under all: tempscale skipped with a line, the others ran", proc.returncode == 0 and "tempscale" not in ran
        and {"msp", "knn"} <= ran and "skipped tempscale on toy/b" in proc.stderr, proc.stderr[-400:])
c.exit()
