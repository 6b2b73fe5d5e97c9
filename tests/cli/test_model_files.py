#!/usr/bin/env python3
"""`oodbench fit --save` then `score --model`: for every registered detector (and variants that change what is
fitted), scores bit-identical to `score --detector` on the same inputs, and the same fit warnings. Model files that
cannot be used (another format or numbers version, truncated, damaged members, not a model, a test of another
width, --model beside fitting options) are exit-2 errors naming the file, with nothing written.
Usage: test_model_files.py OODBENCH_BINARY DATA_DIR
"""
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "detectors"))
from reference_common import C, ID, W_head, Tally, b_head, binary, data_dir  # noqa: E402  the reference tests' head

FAST = {"epochs": 2}  # autoencoders: two epochs keep the test quick; what is saved is the same either way
VARIANTS = [("mars", {**FAST, "mode": "diagonal"}),
            ("mars", {**FAST, "mode": "low_pca", "centering": True}),
            ("mars", {**FAST, "residual_split": "val", "preprocessing": "standardize"}),
            ("ae_l2", {**FAST, "patience": 1, "preprocessing": "l2"}),
            ("mahalanobis", {"shrinkage": "ledoit_wolf"}),
            ("mahalanobis", {"normalize": True}),
            ("neco", {"use_maxlogit": False}),
            ("cadref", {"confidence": "gen"}),
            ("nac", {"fit_rows": 0}),
            ("ash", {"variant": "ash-b"}),
            ("gradbce", {"variant": "gradnormkl"})]
# Detectors whose defaults cannot fit these inputs get parameters that can (none today; docs/adding-a-detector.md).
FITTABLE = {}
TESTS = ["chestxray_test", "mnist_far"]
tally = Tally()
tmp = pathlib.Path(tempfile.mkdtemp())
np.save(tmp / "W.npy", W_head.astype(np.float32))
np.save(tmp / "b.npy", b_head.astype(np.float32))
features = data_dir / "mobilenet_v2.npz"
FIT = ["--train", f"{features}:{ID}_train", "--train-labels", f"{data_dir / 'labels.npz'}:{ID}_train",
       "--val", f"{features}:{ID}_val", "--val-labels", f"{data_dir / 'labels.npz'}:{ID}_val",  # tempscale fits on it
       "--head", str(tmp / "W.npy"), "--bias", str(tmp / "b.npy")]


def oodbench(*args):
    return subprocess.run([binary, "--device", "cpu", *map(str, args)], capture_output=True, text=True)


def param_args(params):
    return [a for key, value in params.items() for a in ("--param", f"{key}={json.dumps(value)}")]


def test_args(out_dir, tag):
    return [a for name in TESTS for a in ("--test", f"{features}:{name}", "--out", out_dir / f"{tag}_{name}.npy")]


def warnings(run):
    return [line for line in run.stderr.splitlines() if "warning" in line]


def same_scores(detector, params, model):
    """score --detector, fit --save, score --model: bit-identical outputs and the same warnings."""
    label = f"{detector} {params}"
    fresh = oodbench("score", "--detector", detector, *param_args(params), *FIT, *test_args(tmp, "fresh"))
    fit = oodbench("fit", "--detector", detector, *param_args(params), *FIT, "--save", model)
    loaded = oodbench("score", "--model", model, *test_args(tmp, "loaded"))
    if fresh.returncode or fit.returncode or loaded.returncode:
        tally.record(False, f"{label}: exit {fresh.returncode}/{fit.returncode}/{loaded.returncode}: "
                            f"{fresh.stderr}{fit.stderr}{loaded.stderr}")
        return
    for name in TESTS:
        a, b = (tmp / f"fresh_{name}.npy").read_bytes(), (tmp / f"loaded_{name}.npy").read_bytes()
        tally.record(a == b, f"{label} {name}: score --model equals score --detector byte for byte")
    tally.record(warnings(fit) == warnings(fresh), f"{label}: fit prints score's warnings {warnings(fit)}")


def check_error(name, args, fragments):
    """An exit-2 error whose message has every fragment, leaving nothing in a fresh output folder."""
    out = pathlib.Path(tempfile.mkdtemp(dir=tmp))
    run = oodbench(*[str(a).replace("OUT", str(out)) for a in args])
    left = os.listdir(out)
    missing = [f for f in fragments if f not in run.stderr]
    tally.record(run.returncode == 2 and not missing and not left,
                 f"{name}: exit {run.returncode}, {run.stderr.strip()!r}, missing {missing}, left {left}")


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def doctored(src, dst, meta_edit=None, drop=(), replace=None):
    """A copy of model `src` with model.json edited, members dropped or replaced (by name without .npy)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            name = item.filename[:-len(".npy")]
            data = zin.read(item)
            if name in drop:
                continue
            if name == "model.json" and meta_edit:
                meta = json.loads(np.load(io.BytesIO(data)).tobytes())
                meta_edit(meta)
                data = npy_bytes(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
            if replace and name in replace:
                data = npy_bytes(replace[name])
            zout.writestr(item.filename, data)
    return dst


listing = json.loads(oodbench("detectors", "--json").stdout)
for entry in listing:
    if entry["name"] == "scores":  # reads score files in sweeps; nothing to fit or save
        continue
    has_epochs = any(p["name"] == "epochs" for p in entry["params"])
    same_scores(entry["name"], FAST if has_epochs else FITTABLE.get(entry["name"], {}), tmp / f"{entry['name']}.oodb")
for detector, params in VARIANTS:
    same_scores(detector, params, tmp / "variant.oodb")

# What a model file holds: model.json (format, versions, detector, resolved parameters, provenance) and its state.
model = tmp / "pca.oodb"
with np.load(model) as archive:
    meta = json.loads(archive["model.json"].tobytes())
    tally.record(meta["format"] == "oodbench-model" and meta["format_version"] == 2 and meta["detector"] == "pca" and
                 meta["params"] == {"variance": 0.9} and meta["dims"] == 1280 and meta["classes"] == C and
                 meta["train_hash"].startswith("xxh3:") and meta["hash"].startswith("xxh3:") and
                 meta["train_rows"] == 3882 and meta["val_rows"] == 524 and
                 sorted(archive.files) == sorted(["model.json"] + [f"state/{k}" for k in meta["state"]]),
                 f"model.json lists what the archive holds: {meta}")

score = ["score", "--test", f"{features}:mnist_far", "--out", "OUT/s.npy"]
check_error("another format version", [*score, "--model", doctored(model, tmp / "v99.oodb",
                                                                     lambda m: m.update(format_version=99))],
            ["v99.oodb", "format_version: expected 2, found 99", "refit with this oodbench",
             "oodbench fit --detector pca ... --save"])
check_error("another numbers version", [*score, "--model", doctored(model, tmp / "n1.oodb",
                                                                      lambda m: m.update(numbers_version=1))],
            ["n1.oodb", "numbers_version: expected", "found 1", "refit"])
check_error("unknown detector", [*score, "--model", doctored(model, tmp / "odin.oodb",
                                                               lambda m: m.update(detector="odin"))],
            ["odin.oodb", "unknown detector 'odin'", "refit"])
check_error("model.json value of another type", [*score, "--model", doctored(model, tmp / "bad.oodb",
                                                                              lambda m: m.update(dims="wide"))],
            ["bad.oodb", "model.json dims: expected a width >= 1, found \"wide\"", "refit"])
# model.json and the arrays are hashed together: no parameter, provenance or array can be edited into disagreement,
# whether the state depends on it (k) or not (mars's mode, mahalanobis's shrinkage: fitted already).
for detector, edit, what in [("knn", {"k": 7}, "k"), ("mars", {"mode": "diagonal"}, "mode"),
                             ("mars", {"epochs": 7}, "epochs"), ("mahalanobis", {"shrinkage": "ridge"}, "shrinkage")]:
    check_error(f"{detector} model with {what} edited in model.json",
                [*score, "--model", doctored(tmp / f"{detector}.oodb", tmp / f"edited_{detector}_{what}.oodb",
                                             lambda m, e=edit: m["params"].update(e))],
                [f"edited_{detector}_{what}.oodb", "model.json and the state arrays are not what was saved",
                 "edited or damaged", "refit"])
check_error("model with classes edited in model.json",
            [*score, "--model", doctored(tmp / "mahalanobis.oodb", tmp / "classes.oodb", lambda m: m.update(classes=5))],
            ["classes.oodb", "not what was saved", "refit"])
check_error("model with a k beyond its train rows", [*score, "--model", doctored(
                tmp / "knn.oodb", tmp / "k_huge.oodb", lambda m: m["params"].update(k=100000))],
            ["k_huge.oodb: model.json: params/k: knn: k = 100000 exceeds the 3882 ID train rows", "refit"])
check_error("model with k = 2^63", [*score, "--model", doctored(
                tmp / "knn.oodb", tmp / "k_2_63.oodb", lambda m: m["params"].update(k=2**63))],
            ["k_2_63.oodb: model.json: params/k: expected an integer up to 9223372036854775807, "
             "got 9223372036854775808"])
check_error("missing state field", [*score, "--model", doctored(model, tmp / "nocenter.oodb", drop=["state/center"])],
            ["nocenter.oodb", "state field 'center'", "missing", "refit"])
check_error("ill-shaped state field", [*score, "--model", doctored(model, tmp / "shape.oodb",
                                                                     replace={"state/center": np.zeros(7)})],
            ["shape.oodb", "state field 'center'", "expected shape [1280]", "found [7]", "refit"])
float32_center = doctored(model, tmp / "dtype.oodb", replace={"state/center": np.zeros(1280, np.float32)})
check_error("state field of another dtype", [*score, "--model", float32_center],
            ["dtype.oodb", "state field 'center'", "expected a 1-D float64 array, found a 1-D float32 array"])
truncated = tmp / "truncated.oodb"
truncated.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
check_error("truncated model", [*score, "--model", truncated],
            ["truncated.oodb", "not a valid .npz archive", "expected an oodbench model", "refit"])
flipped = bytearray(model.read_bytes())
with zipfile.ZipFile(model) as archive:
    largest = max(archive.infolist(), key=lambda i: i.compress_size)
at = largest.header_offset  # past the local header (30 bytes, its name, its extra field) and into the data
at += 30 + int.from_bytes(flipped[at + 26:at + 28], "little") + int.from_bytes(flipped[at + 28:at + 30], "little")
flipped[at + largest.compress_size // 2] ^= 0x01
(tmp / "flipped.oodb").write_bytes(bytes(flipped))
check_error("a model with one byte flipped", [*score, "--model", tmp / "flipped.oodb"],
            ["flipped.oodb", largest.filename.removesuffix(".npy"), "CRC error", "the model file is damaged"])
check_error("an .npz of arrays, not a model", [*score, "--model", features],
            ["mobilenet_v2.npz", "not an oodbench model", "expected a 'model.json' member", "chestxray_train",
             "written by `oodbench fit --save`"])
np.save(tmp / "narrow.npy", np.zeros((5, 6), np.float32))
check_error("test of another width", ["score", "--model", model, "--test", tmp / "narrow.npy", "--out", "OUT/s.npy"],
            ["narrow.npy: 6 columns", f"model {model}", "1280"])
check_error("--model beside fitting options", [*score, "--model", model, "--detector", "knn", "--train", FIT[1]],
            ["--model", "--detector, --train", "drop --model to fit anew"])
check_error("neither --model nor --detector", score, ["--detector NAME --train FEATURES", "--model FILE.oodb"])
check_error("fit that fails writes no model", ["fit", "--detector", "knn", "--param", "k=100000", *FIT,
                                               "--save", "OUT/knn.oodb"], ["k = 100000", "3882"])
own_input = tmp / "own_input.npz"  # a copy: an oodbench that failed this case would replace the file
shutil.copyfile(features, own_input)
check_error("fit --save over its own input", ["fit", "--detector", "pca", "--train", f"{own_input}:{ID}_train",
                                              "--save", own_input],
            [f"--save {own_input}: is the input {own_input}:{ID}_train, which writing it would replace"])
check_error("fit into a missing folder", ["fit", "--detector", "pca", *FIT, "--save", "OUT/missing/pca.oodb"],
            ["missing/pca.oodb", "does not exist"])

shutil.rmtree(tmp)
tally.finish()
