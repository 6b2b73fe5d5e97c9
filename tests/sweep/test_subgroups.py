#!/usr/bin/env python3
"""Subgroups (a test set's "groups"): every metric per subgroup and the worst subgroup, in the records and as an
extra table, checked with scikit-learn per group on the kept scores; bad group files are config errors.
Usage: test_subgroups.py OODBENCH_BINARY DATA_DIR
"""
import copy
import json
import pathlib
import sys
import tempfile

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from sweep_common import Checks, records, run

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
features = np.load(data_dir / "mobilenet_v2.npz")
c = Checks()
rng = np.random.default_rng(3)
SITES = np.array(["site-a", "site-b", "site-c"])

with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    test_sites = SITES[rng.integers(0, 3, len(features["chestxray_test"]))]
    breast_sites = SITES[rng.integers(0, 2, len(features["breastus_test"]))]  # no site-c OOD rows
    np.savez(tmp / "meta.npz", test=test_sites, breastus=breast_sites)
    config = {
        "name": "groups", "data_root": str(data_dir), "keep_scores": True, "plots": False,
        "datasets": [{"modality": "chestxray", "backbone": "mobilenet_v2",
                      "train": {"features": "{backbone}.npz:chestxray_train", "labels": "labels.npz:chestxray_train"},
                      "test": {"features": "{backbone}.npz:chestxray_test", "groups": str(tmp / "meta.npz:test")},
                      "ood": [{"name": "breastus_test", "shift": "modality",
                               "features": "{backbone}.npz:breastus_test", "groups": str(tmp / "meta.npz:breastus")},
                              {"name": "mnist_far", "shift": "far", "features": "{backbone}.npz:mnist_far"}]}],
        "detectors": [{"name": "knn"}, {"name": "msp"}],
    }
    (tmp / "config.json").write_text(json.dumps(config))
    out = tmp / "out"
    run(binary, "run", tmp / "config.json", "--out", out)
    for r in records(out):
        kept = np.load(out / r["scores"]["file"])
        for o in r["ood"]:
            s_ood = kept["ood/" + o["name"]]
            ood_sites = breast_sites if o["name"] == "breastus_test" else None
            got = {g["group"]: g for g in o["groups"]["by_group"]}
            want_groups = [s for s in SITES if ood_sites is None or (ood_sites == s).any()]
            c.check(f"{r['label']} {o['name']}: the subgroups with ID and OOD rows", sorted(got) == want_groups
                    and o["groups"]["skipped"] == sorted(set(SITES) - set(want_groups)), f"{sorted(got)}")
            for g in want_groups:
                s_id = kept["id"][test_sites == g]
                s_o = s_ood if ood_sites is None else s_ood[ood_sites == g]
                y = np.r_[np.zeros(len(s_id)), np.ones(len(s_o))]
                s = np.r_[s_id, s_o]
                want = {"auroc": roc_auc_score(y, s), "aupr_out": average_precision_score(y, s)}
                ok = all(abs(got[g]["metrics"][m] - v) < 1e-12 for m, v in want.items())
                c.check(f"{r['label']} {o['name']} {g}: metrics as scikit-learn on the group's rows",
                        ok and got[g]["n_id"] == len(s_id) and got[g]["n_ood"] == len(s_o))
            worst = min(want_groups, key=lambda g: got[g]["metrics"]["auroc"])
            c.check(f"{r['label']} {o['name']}: the worst subgroup", o["groups"]["worst"]["auroc"] ==
                    {"group": worst, "value": got[worst]["metrics"]["auroc"]})
    t = json.loads((out / "tables" / "chestxray_mobilenet_v2_auroc_groups.json").read_text())
    c.check("group table: a column per subgroup and the worst",
            [col["name"] for col in t["columns"]] == list(SITES) + ["worst"], str(t["columns"]))
    knn = next(r for r in records(out) if r["label"] == "knn")
    per = {g: np.mean([next(x for x in o["groups"]["by_group"] if x["group"] == g)["metrics"]["auroc"]
                       for o in knn["ood"] if any(x["group"] == g for x in o["groups"]["by_group"])]) for g in SITES}
    row = next(row for row in t["rows"] if row["detector"] == "knn")["cells"]
    c.check("group table values: per-subgroup means over the OOD sets, and the worst",
            np.allclose([cell["mean"] for cell in row], [per[g] for g in SITES] + [min(per.values())], atol=1e-12))

    c.check("the note says which sets a subgroup's average leaves out",
            "Subgroup site-c is averaged over 1 of the 2 OOD sets (breastus_test has no rows of it)" in t["note"]
            and "Subgroup site-a" not in t["note"], t["note"])

    # Faults: a group file of the wrong length; OOD groups without ID test groups.
    np.savez(tmp / "short.npz", test=test_sites[:-1])
    bad = copy.deepcopy(config)
    bad["datasets"][0]["test"]["groups"] = str(tmp / "short.npz:test")
    (tmp / "bad.json").write_text(json.dumps(bad))
    proc = run(binary, "run", tmp / "bad.json", "--out", tmp / "bad", check=False)
    c.check("wrong number of group labels: exit 2 naming the pointer", proc.returncode == 2
            and "/datasets/0/test/groups" in proc.stderr and "group labels" in proc.stderr, proc.stderr)
    del bad["datasets"][0]["test"]["groups"]
    (tmp / "bad.json").write_text(json.dumps(bad))
    proc = run(binary, "run", tmp / "bad.json", "--out", tmp / "bad", check=False)
    c.check("OOD groups without ID test groups: exit 2", proc.returncode == 2 and "test/groups" in proc.stderr,
            proc.stderr)
c.exit()
