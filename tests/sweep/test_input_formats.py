#!/usr/bin/env python3
"""Sweeps over every input format: a config naming its arrays in HDF5, safetensors, CSV and shards gives the metrics
and input hashes of the same config over .npy; "remap_labels" maps string labels to 0..C-1 with the mapping in
every record and in the report; "detectors": "all" runs every detector the data allows and skips the others with
one line each, in `validate` and `run`.
Usage: test_input_formats.py OODBENCH_BINARY DATA_DIR
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import pandas as pd

binary = os.path.abspath(sys.argv[1])
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from script_checks import finish, report, write_safetensors  # noqa: E402


def run(tmp, *args):
    return subprocess.run([binary, "--device", "cpu", *map(str, args)], capture_output=True, text=True, cwd=tmp)


def records(folder):
    return [json.loads(line) for line in (folder / "records.jsonl").read_text().splitlines()]


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    rng = np.random.default_rng(3)
    train = rng.normal(size=(60, 5)).astype(np.float32)
    test = rng.normal(size=(20, 5)).astype(np.float32)
    ood = rng.normal(loc=1.5, size=(25, 5)).astype(np.float32)
    labels = np.repeat([0, 1, 2], 20)
    words = np.choose(labels, ["benign", "malignant", "normal"])
    np.save(tmp / "train.npy", train)
    np.save(tmp / "test.npy", test)
    np.save(tmp / "ood.npy", ood)
    np.save(tmp / "labels.npy", labels.astype(np.int64))
    with h5py.File(tmp / "emb.h5", "w") as f:
        f.create_dataset("/id/train", data=train, chunks=(16, 5), compression="gzip")
        f["/id/labels"] = words.astype(object)
    text = b""
    write_safetensors(tmp / "test.safetensors", {"test": ("F32", test)}, pad=False)
    (tmp / "ood").mkdir()
    for i, part in enumerate(np.array_split(ood, 3)):
        pd.DataFrame(part, columns=[f"d{j}" for j in range(5)]).to_csv(tmp / "ood" / f"part{i}.csv", index=False)

    def config(name, train_spec, labels_spec, test_spec, ood_spec, **extra):
        c = {"name": name, "datasets": [{
            "modality": "toy", "backbone": "b",
            "train": {"features": train_spec, **({"labels": labels_spec} if labels_spec else {})},
            "test": {"features": test_spec},
            "ood": [{"name": "shifted", "shift": "far", "features": ood_spec}]}],
            "detectors": [{"name": "knn", "params": {"k": 3}}, {"name": "mahalanobis"}, {"name": "msp"}],
            "plots": False, **extra}
        path = tmp / f"{name}.json"
        path.write_text(json.dumps(c))
        return path

    npy = config("npy", "train.npy", "labels.npy", "test.npy", "ood.npy")
    mixed = config("mixed", "emb.h5:/id/train", "emb.h5:/id/labels", "test.safetensors:test", "ood/part*.csv",
                   remap_labels=True)
    a, b = run(tmp, "run", npy, "--out", tmp / "out_npy"), run(tmp, "run", mixed, "--out", tmp / "out_mixed")
    report("both sweeps run", a.returncode == 0 and b.returncode == 0, (a.stderr + b.stderr).strip()[-300:])
    if a.returncode == 0 and b.returncode == 0:
        ra, rb = records(tmp / "out_npy"), records(tmp / "out_mixed")
        metrics = lambda rs: {r["label"]: r["ood"][0]["metrics"] for r in rs}
        report("same metrics from every format", metrics(ra) == metrics(rb) and len(ra) == 3,
               json.dumps(metrics(rb))[:200])
        hashes = lambda rs, k: rs[0]["inputs"][k]["hash"]
        report("same feature hashes (shards hashed as the concatenation)",
               all(hashes(ra, k) == hashes(rb, k) for k in ("train", "test", "ood/shifted")))
        expected = ["benign", "malignant", "normal"]
        report("label_map in every record", all(r.get("label_map") == expected for r in rb) and
               all("label_map" not in r for r in ra), str(rb[0].get("label_map")))
        md = (tmp / "out_mixed" / "report.md").read_text()
        report("report names the mapping", '0 <- "benign", 1 <- "malignant", 2 <- "normal"' in md,
               md[md.find("## Remapped"):][:200])

    # "detectors": "all" without labels: label-needing detectors are skipped, one line each, the rest run.
    c = json.loads(npy.read_text())
    c["name"] = "all"
    c["datasets"][0]["train"].pop("labels")
    c["detectors"] = "all"
    (tmp / "all.json").write_text(json.dumps(c))
    v = run(tmp, "validate", tmp / "all.json")
    skipped = [line for line in v.stdout.splitlines() if line.startswith("skipped ")]
    report("validate lists the skipped detectors", v.returncode == 0 and
           any(line.startswith("skipped mahalanobis on toy/b: detector 'mahalanobis' needs ID train class labels")
               for line in skipped) and any(line.startswith("skipped msp on toy/b") for line in skipped),
           (v.stdout + v.stderr).strip()[-300:])
    report("all is every detector, not precomputed scores (a method that needs its files named)",
           not any(line.startswith("skipped scores") for line in skipped), "\n".join(skipped))
    r = run(tmp, "run", tmp / "all.json", "--out", tmp / "out_all", "--no-report")
    ran = {rec["detector"] for rec in records(tmp / "out_all")} if r.returncode == 0 else set()
    report("run: label-free detectors ran, the others skipped with a line",
           r.returncode == 0 and {"knn", "mars", "pca"} <= ran and "mahalanobis" not in ran and "msp" not in ran and
           "oodbench: skipped msp on toy/b" in r.stderr, r.stderr.strip()[-300:])

finish()
