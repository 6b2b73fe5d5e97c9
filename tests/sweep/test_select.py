#!/usr/bin/env python3
"""Hyperparameters chosen without touching test (a config's "select"): the validation optimum of every grid is
chosen, validation sets are ranked against ID val (never ID test, as OpenOOD's hyperparameter search), test tables
and `compare` show only the chosen point and never the validation sets, test values never change the choice, ties
go to the grid's first point, and bad selections are config errors.
Usage: test_select.py OODBENCH_BINARY DATA_DIR
"""
import json
import pathlib
import sys
import tempfile

import numpy as np

from sweep_common import Checks, records, run

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
c = Checks()
VALIDATION, TEST = ["breastus_test"], ["mnist_far", "blur"]
KS = [5, 1, 50, 200]  # not sorted: ties must go to the grid order, not to the label order
config = {
    "name": "select", "data_root": str(data_dir),
    "datasets": [{"modality": "chestxray", "backbone": "mobilenet_v2",
                  "train": {"features": "{backbone}.npz:chestxray_train", "labels": "labels.npz:chestxray_train"},
                  "val": {"features": "{backbone}.npz:chestxray_val"},
                  "test": {"features": "{backbone}.npz:chestxray_test"},
                  "ood": [{"name": "breastus_test", "shift": "modality", "features": "{backbone}.npz:breastus_test"},
                          {"name": "mnist_far", "shift": "far", "features": "{backbone}.npz:mnist_far"},
                          {"name": "blur", "shift": "covariate", "features": "{backbone}.npz:chestxray_blur"}]}],
    "detectors": [{"name": "msp"}, {"name": "knn", "params": {"k": KS}}],
    "select": {"metric": "auroc", "on": VALIDATION},
    "plots": False, "keep_scores": True,
}


def table(out, name):
    return json.loads((out / "tables" / name).read_text())


def knn_rows(t):
    return [row for row in t["rows"] if row["detector"].startswith("knn")]


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    (tmp / "config.json").write_text(json.dumps(config))
    out = tmp / "out"
    run(binary, "run", tmp / "config.json", "--out", out)

    recs = {r["label"]: r for r in records(out)}
    val_auroc = {k: next(o for o in recs[f"knn (k={k})"]["ood"] if o["name"] == "breastus_test")["metrics"]["auroc"]
                 for k in KS}
    best_k = KS[int(np.argmax([val_auroc[k] for k in KS]))]  # argmax: the first of equal values, as documented
    t = table(out, "chestxray_mobilenet_v2_auroc.json")
    rows = knn_rows(t)
    c.check("test table: one knn row, the validation optimum, labelled as selected",
            [r["detector"] for r in rows] == [f"knn (k={best_k}, selected)"], f"{[r['detector'] for r in rows]}, "
            f"validation AUROC {val_auroc}")
    c.check("test table: no validation set among its columns",
            [col["name"] for col in t["columns"]] == ["mnist_far", "blur", "avg"], str(t["columns"]))
    chosen = recs[f"knn (k={best_k})"]
    want_avg = np.mean([o["metrics"]["auroc"] for o in chosen["ood"] if o["name"] in TEST])
    c.check("test average over the test sets only", abs(rows[0]["cells"][-1]["mean"] - want_avg) < 1e-12)
    v = table(out, "chestxray_mobilenet_v2_auroc_validation.json")
    c.check("validation table: every grid point, validation sets only",
            len(knn_rows(v)) == len(KS) and [col["name"] for col in v["columns"]] == VALIDATION)
    c.check("report.md says what was chosen", f"knn (k={best_k}) chosen among {len(KS)}" in (out / "report.md").read_text())
    cells = len(records(out))  # msp and every grid point
    c.check("report.html's summary counts every cell, as report.md does",
            cells == 1 + len(KS) and (out / "report.md").read_text().startswith(f"# Results\n\n{cells} cells;")
            and f"<tr><th>cells</th><td>{cells}</td></tr>" in (out / "report.html").read_text())

    # The validation sets are ranked against ID val: another ID test set (its first 400 rows) leaves every
    # validation entry, and so the choice, as it was.
    features = np.load(data_dir / "mobilenet_v2.npz")
    np.save(tmp / "test400.npy", features["chestxray_test"][:400])
    fewer = json.loads(json.dumps(config))
    fewer["datasets"][0]["test"] = {"features": str(tmp / "test400.npy")}
    (tmp / "fewer.json").write_text(json.dumps(fewer))
    run(binary, "run", tmp / "fewer.json", "--out", tmp / "fewer")
    entries = lambda folder: sorted(json.dumps({k: o[k] for k in ("name", "id_side", "metrics")}) + r["label"]  # noqa
                                    for r in records(folder) for o in r["ood"] if o["name"] in VALIDATION)
    c.check("validation sets are ranked against ID val, whatever the ID test set",
            entries(out) == entries(tmp / "fewer") and '"id_side": "val"' in entries(out)[0], entries(out)[:1])
    from sklearn.metrics import roc_auc_score  # the oracle: the kept ID val scores against the validation set's
    kept = np.load(out / chosen["scores"]["file"])
    entry = next(o for o in chosen["ood"] if o["name"] == VALIDATION[0])
    oracle = roc_auc_score(np.r_[np.zeros(len(kept["id_val"])), np.ones(len(kept[f"ood/{VALIDATION[0]}"]))],
                           np.r_[kept["id_val"], kept[f"ood/{VALIDATION[0]}"]])
    c.check("the validation AUROC is that of the kept ID val scores (scikit-learn)",
            len(kept["id_val"]) == len(features["chestxray_val"]) and abs(entry["metrics"]["auroc"] - oracle) < 1e-12,
            f"{entry['metrics']['auroc']} vs {oracle}")
    c.check("... and the choice stays", [r["detector"] for r in knn_rows(table(tmp / "fewer",
                                        "chestxray_mobilenet_v2_auroc.json"))] == [f"knn (k={best_k}, selected)"])
    compared = json.loads(run(binary, "compare", out, f"knn (k={best_k}, selected)", "msp", "--json").stdout)
    names = [s["name"] for d in compared["datasets"] for s in d["sets"]]
    c.check("compare takes the tables' label of the chosen point and leaves the validation sets out",
            names == [*TEST, "all"], str(names))

    # Test values never change the choice: make another point perfect on every test set and the chosen one useless.
    lines = (out / "records.jsonl").read_text().splitlines()
    other_k = next(k for k in KS if k != best_k)

    def edited(rewrite):
        new = []
        for line in lines:
            r = json.loads(line)
            rewrite(r)
            new.append(json.dumps(r))
        (out / "records.jsonl").write_text("\n".join(new) + "\n")
        run(binary, "report", out)
        return [row["detector"] for row in knn_rows(table(out, "chestxray_mobilenet_v2_auroc.json"))]

    def flip_test(r):
        for o in r["ood"]:
            if o["name"] in TEST and r["label"] in (f"knn (k={other_k})", f"knn (k={best_k})"):
                o["metrics"]["auroc"] = 1.0 if r["label"] == f"knn (k={other_k})" else 0.0

    c.check("test values never change the choice", edited(flip_test) == [f"knn (k={best_k}, selected)"])

    def tie(r):  # every point equal on validation: the grid's first point
        for o in r["ood"]:
            if o["name"] in VALIDATION:
                o["metrics"]["auroc"] = 0.9

    c.check("ties go to the grid's first point", edited(tie) == [f"knn (k={KS[0]}, selected)"])
    c.check("... and report.md says it was a tie", f"knn (k={KS[0]}) chosen among {len(KS)} grid points (auroc 0.9000 "
            "on the validation sets; tied with 3 other points, the grid's first taken)" in (out / "report.md").read_text())

    # A selection naming a set the dataset lacks, or leaving no test set, is a config error naming /select/on.
    no_val = json.loads(json.dumps(config))
    del no_val["datasets"][0]["val"]
    for on, why, bad in [(["nope"], '"nope" is not an OOD set', config),
                         (["breastus_test", "mnist_far", "blur"], "every OOD set", config),
                         (VALIDATION, "ranked against ID val features, never ID test", no_val)]:
        bad = dict(bad, select={"on": on})
        (tmp / "bad.json").write_text(json.dumps(bad))
        proc = run(binary, "run", tmp / "bad.json", "--out", tmp / "bad", check=False)
        c.check(f"select on {on}: exit 2 naming /select/on", proc.returncode == 2 and "/select/on" in proc.stderr
                and why in proc.stderr and not (tmp / "bad").exists(), proc.stderr)
c.exit()
