#!/usr/bin/env python3
"""Protocols for covariate shift (an OOD set's "role"): "id" sets join the ID side of every metric (full-spectrum),
"csid" sets are detected but shown apart and left out of the "all" average, and tables say which protocol made them.
Checked with scikit-learn on the kept scores of a standard run (a detector's scores do not depend on roles).
Usage: test_roles.py OODBENCH_BINARY DATA_DIR
"""
import copy
import json
import pathlib
import sys
import tempfile

import numpy as np
from sklearn.metrics import roc_auc_score

from sweep_common import Checks, records, run

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
c = Checks()
standard = {
    "name": "roles", "data_root": str(data_dir), "keep_scores": True, "plots": False,
    "datasets": [{"modality": "chestxray", "backbone": "mobilenet_v2",
                  "train": {"features": "{backbone}.npz:chestxray_train", "labels": "labels.npz:chestxray_train"},
                  "test": {"features": "{backbone}.npz:chestxray_test"},
                  "ood": [{"name": "breastus_test", "shift": "modality", "features": "{backbone}.npz:breastus_test"},
                          {"name": "mnist_far", "shift": "far", "features": "{backbone}.npz:mnist_far"},
                          {"name": "noise", "shift": "covariate", "features": "{backbone}.npz:chestxray_noise"},
                          {"name": "blur", "shift": "covariate", "features": "{backbone}.npz:chestxray_blur"}]}],
    "detectors": [{"name": "knn"}, {"name": "msp"}],
}
roles = copy.deepcopy(standard)
roles["datasets"][0]["ood"][2]["role"] = "id"
roles["datasets"][0]["ood"][3]["role"] = "csid"

with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    outs = {}
    for name, config in [("standard", standard), ("roles", roles)]:
        (tmp / f"{name}.json").write_text(json.dumps(config))
        outs[name] = tmp / name
        run(binary, "run", tmp / f"{name}.json", "--out", outs[name])
    kept = {r["label"]: np.load(outs["standard"] / r["scores"]["file"]) for r in records(outs["standard"])}
    for r in records(outs["roles"]):
        s = kept[r["label"]]
        id_side = np.r_[s["id"], s["ood/noise"]]
        c.check(f"{r['label']}: the ID side is test + noise", r["id_test"]["n"] == len(id_side)
                and r["id_test"]["sets"] == ["test", "noise"])
        c.check(f"{r['label']}: noise is no column", [o["name"] for o in r["ood"]] == ["breastus_test", "mnist_far", "blur"])
        for o in r["ood"]:
            want = roc_auc_score(np.r_[np.zeros(len(id_side)), np.ones(len(s["ood/" + o["name"]]))],
                                 np.r_[id_side, s["ood/" + o["name"]]])
            c.check(f"{r['label']} {o['name']} ({o['role']}): full-spectrum AUROC as scikit-learn",
                    abs(o["metrics"]["auroc"] - want) < 1e-12, f"{o['metrics']['auroc']} vs {want}")
    t = json.loads((outs["roles"] / "tables" / "chestxray_mobilenet_v2_auroc.json").read_text())
    c.check("csid sets have their own column group", [(col["shift"], col["name"]) for col in t["columns"]] ==
            [("modality", "breastus_test"), ("far", "mnist_far"), ("csid", "blur"), ("all", "avg")], str(t["columns"]))
    knn = next(row for row in t["rows"] if row["detector"] == "knn")
    rec = next(r for r in records(outs["roles"]) if r["label"] == "knn")
    want_all = np.mean([o["metrics"]["auroc"] for o in rec["ood"] if o["role"] == "ood"])
    c.check("the all average leaves csid out", abs(knn["cells"][-1]["mean"] - want_all) < 1e-12)
    c.check("tables name the protocol", "full-spectrum" in t["note"] and "csid" in t["note"])
    t0 = json.loads((outs["standard"] / "tables" / "chestxray_mobilenet_v2_auroc.json").read_text())
    c.check("standard tables say so", "Protocol: standard" in t0["note"])
    run(binary, "compare", outs["roles"], "knn", "msp")  # the paired test follows the same ID side

    bad = copy.deepcopy(standard)
    bad["datasets"][0]["ood"][0]["role"] = "shifted"
    (tmp / "bad.json").write_text(json.dumps(bad))
    proc = run(binary, "run", tmp / "bad.json", "--out", tmp / "bad", check=False)
    c.check("an unknown role: exit 2 naming the pointer", proc.returncode == 2 and "/datasets/0/ood/0/role" in proc.stderr,
            proc.stderr)
    for o in bad["datasets"][0]["ood"]:
        o["role"] = "id"
    (tmp / "bad.json").write_text(json.dumps(bad))
    proc = run(binary, "run", tmp / "bad.json", "--out", tmp / "bad", check=False)
    c.check("no set to detect: exit 2", proc.returncode == 2 and "role \"ood\"" in proc.stderr, proc.stderr)
c.exit()
