#!/usr/bin/env python3
"""docs/record.schema.json states the record of a sweep cell (docs/records.md): every committed record validates
against it, and so does a fresh record of each optional part (subgroups, CS-ID failure detection, /select's
validation sides, kept scores, MaRS's spectrum) written by `oodbench run`; a record with a renamed, a missing or an
extra field is rejected, so the schema cannot drift from the writer unnoticed.
Usage: test_record_schema.py OODBENCH_BINARY DATA_DIR
"""
import copy
import json
import pathlib
import sys
import tempfile

import jsonschema
import numpy as np

from sweep_common import Checks, records, run

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
root = pathlib.Path(__file__).resolve().parents[2]
schema = json.loads((root / "docs" / "record.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
c = Checks()


def errors(record):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(record)]


committed = sorted(p for p in root.glob("**/records.jsonl") if "build" not in p.relative_to(root).parts[0])
c.check("the committed records are found", root / "results" / "paper" / "records.jsonl" in committed,
        str(committed))
for path in committed:
    bad = [(i, e) for i, line in enumerate(path.read_text().splitlines()) if (e := errors(json.loads(line)))]
    c.check(f"{path.relative_to(root)} follows the schema", not bad, str(bad[:2]))

with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    n_test = len(np.load(data_dir / "mobilenet_v2.npz")["chestxray_test"])
    np.savez(tmp / "meta.npz", test=np.array(["site-a", "site-b"])[np.arange(n_test) % 2])
    config = {
        "name": "schema", "data_root": str(data_dir), "keep_scores": True, "plots": True,
        "datasets": [{"modality": "chestxray", "backbone": "mobilenet_v2",
                      "train": {"features": "{backbone}.npz:chestxray_train", "labels": "labels.npz:chestxray_train"},
                      "val": {"features": "{backbone}.npz:chestxray_val"},
                      "test": {"features": "{backbone}.npz:chestxray_test", "labels": "labels.npz:chestxray_test",
                               "groups": str(tmp / "meta.npz:test")},
                      "ood": [{"name": "breastus_test", "shift": "modality", "features": "{backbone}.npz:breastus_test"},
                              {"name": "mnist_far", "shift": "far", "features": "{backbone}.npz:mnist_far"},
                              {"name": "noise", "shift": "covariate", "role": "csid",
                               "features": "{backbone}.npz:chestxray_noise", "labels": "labels.npz:chestxray_noise"}]}],
        "detectors": [{"name": "knn", "params": {"k": [1, 5]}},
                      {"name": "mars", "params": {"epochs": 1, "hidden": 16, "bottleneck": 4}}],
        "seeds": [0],
        "select": {"metric": "auroc", "on": ["breastus_test"]},
        "tables": {"bootstrap": 100},
    }
    (tmp / "config.json").write_text(json.dumps(config))
    run(binary, "run", tmp / "config.json", "--out", tmp / "out")
    fresh = records(tmp / "out")
    for r in fresh:
        c.check(f"a fresh record ({r['label']}) follows the schema", not errors(r), str(errors(r)[:2]))
    parts = {"groups": any("groups" in o for r in fresh for o in r["ood"]),
             "spectrum": any("spectrum" in o for r in fresh for o in r["ood"]),
             "id_side": any("id_side" in o for r in fresh for o in r["ood"]),
             "ccr": any("ccr" in o for r in fresh for o in r["ood"]),
             "failure/csid": any("csid" in r.get("failure", {}) for r in fresh),
             "scores/id_val": any(r.get("scores", {}).get("id_val") for r in fresh),
             "grid": any("grid" in r for r in fresh), "seed": any(r["seed"] is not None for r in fresh)}
    c.check("the fresh records hold every optional part", all(parts.values()), str(parts))

    def edited(change):
        r = copy.deepcopy(fresh[0])
        change(r)
        return r
    renames = {
        "a renamed top-level field": lambda r: r.update(histogram_axes=r.pop("histogram_axis")),
        "a renamed metric": lambda r: r["ood"][0]["metrics"].update(au_roc=r["ood"][0]["metrics"].pop("auroc")),
        "a renamed failure field": lambda r: r["failure"]["id_test"].update(rc=r["failure"]["id_test"].pop(
            "risk_coverage")),
        "a renamed kept-scores field": lambda r: r["scores"].update(path=r["scores"].pop("file")),
        "a missing required field": lambda r: r.pop("cell"),
        "an unknown field": lambda r: r.update(notes="x"),
        "a count as a string": lambda r: r["ood"][0].update(n=str(r["ood"][0]["n"])),
    }
    for name, change in renames.items():
        c.check(f"{name} is rejected", errors(edited(change)))
c.exit()
