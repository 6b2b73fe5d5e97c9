#!/usr/bin/env python3
"""`oodbench eval` against scikit-learn (the docs/methods.md definitions) to 1e-9.

Random cases with heavy ties, the smallest sets, all-equal scores, float32/float64/.npz inputs, and real scores from
the bundled embeddings. Usage: test_metrics_sklearn.py OODBENCH_BINARY DATA_DIR
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2])
TOL = 1e-9


def reference(s_id, s_ood):
    s = np.concatenate([s_id, s_ood]).astype(np.float64)
    is_ood = np.r_[np.zeros(len(s_id)), np.ones(len(s_ood))]
    is_id = 1 - is_ood

    def fpr_at_95(y, score):
        fpr, tpr, _ = roc_curve(y, score, drop_intermediate=False)
        return fpr[np.argmax(tpr >= 0.95)]

    def trapz(y, score):
        precision, recall, _ = precision_recall_curve(y, score)
        return auc(recall, precision)

    fpr_o, tpr_o, _ = roc_curve(is_ood, s, drop_intermediate=False)
    return {
        "detection_error": np.min(0.5 * (1 - tpr_o) + 0.5 * fpr_o),  # roc_curve's first point flags nothing
        "auroc": roc_auc_score(is_ood, s),
        "fpr95": fpr_at_95(is_id, -s),
        "fpr95_ood_positive": fpr_at_95(is_ood, s),
        "aupr_in": average_precision_score(is_id, -s),
        "aupr_out": average_precision_score(is_ood, s),
        "aupr_in_trapz": trapz(is_id, -s),
        "aupr_out_trapz": trapz(is_ood, s),
    }


def evaluate(tmp, s_id, s_ood, use_npz=False):
    if use_npz:
        np.savez_compressed(tmp / "scores.npz", id=s_id, ood=s_ood)
        args = ["--id", f"{tmp}/scores.npz:id", "--ood", f"{tmp}/scores.npz:ood"]
    else:
        np.save(tmp / "id.npy", s_id)
        np.save(tmp / "ood.npy", s_ood)
        args = ["--id", str(tmp / "id.npy"), "--ood", str(tmp / "ood.npy")]
    run = subprocess.run([binary, "--device", "cpu", "eval", "--json", *args], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["ood"][0]


passed = failed = 0


def check(name, s_id, s_ood, tmp, use_npz=False):
    global passed, failed
    got, want = evaluate(tmp, s_id, s_ood, use_npz), reference(s_id, s_ood)
    bad = {k: (got[k], v) for k, v in want.items() if abs(got[k] - v) > TOL}
    if bad or got["n_id"] != len(s_id) or got["n_ood"] != len(s_ood):
        failed += 1
        print(f"FAIL {name}: {bad}")
    else:
        passed += 1


rng = np.random.default_rng(20261123)
with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    for case in range(24):
        n_id, n_ood = rng.integers(1, 400, size=2)
        levels = int(rng.choice([2, 3, 5, 20, 1000]))  # few levels = heavy ties
        shift = rng.normal(0, 1)
        s_id = rng.integers(0, levels, n_id) / levels
        s_ood = np.clip(rng.integers(0, levels, n_ood) / levels + shift * 0.3, -1, 2)
        dtype = np.float32 if case % 2 else np.float64
        check(f"random {case} ({n_id} vs {n_ood}, {levels} levels)", s_id.astype(dtype), s_ood.astype(dtype), tmp,
              use_npz=case % 3 == 0)
    check("one ID, one OOD", np.array([0.3]), np.array([0.7]), tmp)
    check("one ID, one OOD, tied", np.array([0.5]), np.array([0.5]), tmp)
    check("one ID, one OOD, reversed", np.array([0.7]), np.array([0.3]), tmp)
    check("all equal", np.full(50, 2.0), np.full(70, 2.0), tmp)
    check("integer-valued, tiny", np.array([1.0, 2.0, 2.0]), np.array([2.0, 3.0]), tmp)
    check("large, continuous", rng.normal(0, 1, 20000), rng.normal(0.5, 1.3, 7000), tmp)

    # Real scores: the negative L2 norm and a max-activation score of real MobileNetV2 embeddings.
    features = np.load(data_dir / "mobilenet_v2.npz")
    id_test = features["chestxray_test"].astype(np.float32)
    for ood_set in ["breastus_test", "mnist_far", "chestxray_blur", "chestxray_noise"]:
        ood = features[ood_set].astype(np.float32)
        check(f"real -norm {ood_set}", -np.linalg.norm(id_test, axis=1), -np.linalg.norm(ood, axis=1), tmp)
        check(f"real max {ood_set}", id_test.max(axis=1), ood.max(axis=1), tmp)  # float16 values: real ties

    # A NaN score is an error naming file and row, exit code 2, nothing on stdout.
    np.save(tmp / "id.npy", np.array([0.1, 0.2]))
    np.save(tmp / "nan.npy", np.array([0.3, np.nan, 0.4]))
    run = subprocess.run([binary, "eval", "--id", str(tmp / "id.npy"), "--ood", str(tmp / "nan.npy")],
                         capture_output=True, text=True)
    if run.returncode == 2 and "nan.npy" in run.stderr and "row 1" in run.stderr and run.stdout == "":
        passed += 1
    else:
        failed += 1
        print("FAIL NaN score:", run.returncode, run.stderr)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
