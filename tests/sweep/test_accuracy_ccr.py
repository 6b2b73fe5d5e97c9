#!/usr/bin/env python3
"""ID test accuracy (records and table captions) and OpenOOD's CCR@FPR, against NumPy: OpenOOD's ccr_fpr formula
(evaluators/metrics.py) on the kept scores, and the head's argmax on the ID test features.
Usage: test_accuracy_ccr.py OODBENCH_BINARY DATA_DIR
"""
import json
import pathlib
import sys
import tempfile

import numpy as np
from sklearn.linear_model import LogisticRegression

from sweep_common import Checks, cosine_head, records, run

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
features, labels = np.load(data_dir / "mobilenet_v2.npz"), np.load(data_dir / "labels.npz")
X, y = features["chestxray_train"].astype(np.float64), labels["chestxray_train"]
X_test, y_test = features["chestxray_test"].astype(np.float64), labels["chestxray_test"]
c = Checks()


def openood_ccr(conf_id, correct, conf_ood, fpr):  # OpenOOD's ccr_fpr, with pred == label given as `correct`
    fp_num = int(np.ceil(fpr * len(conf_ood)))
    thresh = np.sort(conf_ood)[-fp_num]
    return np.sum((conf_id > thresh) * correct) / len(conf_id)


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    W, b, head = cosine_head(tmp, X, y)
    base = {"name": "acc", "data_root": str(data_dir), "keep_scores": True, "plots": False,
            "detectors": [{"name": "knn"}, {"name": "energy"}]}
    dataset = {"modality": "chestxray", "backbone": "mobilenet_v2",
               "train": {"features": "{backbone}.npz:chestxray_train", "labels": "labels.npz:chestxray_train"},
               "test": {"features": "{backbone}.npz:chestxray_test", "labels": "labels.npz:chestxray_test"},
               "ood": [{"name": "mnist_far", "shift": "far", "features": "{backbone}.npz:mnist_far"},
                       {"name": "breastus_test", "shift": "modality", "features": "{backbone}.npz:breastus_test"}]}
    with_head = dict(dataset, head=head)
    for name, d in [("head", with_head), ("probe", dataset)]:
        (tmp / f"{name}.json").write_text(json.dumps(dict(base, datasets=[d])))
        out = tmp / name
        run(binary, "run", tmp / f"{name}.json", "--out", out)
        if name == "head":
            correct = (X_test @ W.T.astype(np.float64) + b).argmax(1) == y_test
            want = correct.mean()
            tol = 1e-12
        else:  # the probe is scikit-learn's multinomial logistic regression (C = 1) to 1e-3 in probability
            sk = LogisticRegression(C=1, multi_class="multinomial", max_iter=5000, tol=1e-10).fit(X, y)
            correct = sk.predict(X_test) == y_test
            want, tol = correct.mean(), 2 / len(y_test)
        recs = records(out)
        c.check(f"{name}: ID accuracy in every record", all(abs(r["id_accuracy"] - want) <= tol for r in recs),
                f"{[r['id_accuracy'] for r in recs]} vs {want}")
        title = json.loads((out / "tables" / "chestxray_mobilenet_v2_auroc.json").read_text())["title"]
        c.check(f"{name}: the table caption gives it", f"ID test accuracy of the {name} {100 * want:.1f} %" in title, title)
        if name != "head":
            continue
        for r in recs:
            kept = np.load(out / r["scores"]["file"])
            for o in r["ood"]:
                got = [o["ccr"][k] for k in ("1e-4", "1e-3", "1e-2", "1e-1")]
                ref = [openood_ccr(-kept["id"], correct, -kept["ood/" + o["name"]], f) for f in (1e-4, 1e-3, 1e-2, 1e-1)]
                c.check(f"{r['label']} {o['name']}: CCR@FPR as OpenOOD's formula", np.allclose(got, ref, atol=1e-12),
                        f"{got} vs {ref}")
c.exit()
