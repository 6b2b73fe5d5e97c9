#!/usr/bin/env python3
"""`oodbench eval --correct` (failure detection) against a NumPy statement of docs/methods.md's definitions, and the
measured differences to FD-Shifts' formulas (IML-DKFZ/fd-shifts, commit c4467ae, fd_shifts/analysis/rc_stats.py).

Random cases with and without ties, all correct, all wrong, a single row, and real scores from the bundled
embeddings (MSP of a scikit-learn probe on chest X-ray, raw and rounded so that scores tie).
Usage: test_failure_metrics.py OODBENCH_BINARY DATA_DIR
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.linear_model import LogisticRegression

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2])
TOL = 1e-12


def ours(scores, correct):
    """docs/methods.md: accept the most confident (lowest score) first, a group of equal scores at once; after each
    group, k accepted with e_k errors: AURC += (size/n) e_k/k, AUGRC += (size/n) e_k/n."""
    scores, wrong = np.asarray(scores, float), ~np.asarray(correct, bool)
    n, e = len(scores), int(wrong.sum())
    aurc = augrc = 0.0
    for value in np.unique(scores):  # ascending: most confident first
        accepted = scores <= value
        k, e_k = accepted.sum(), wrong[accepted].sum()
        size = (scores == value).sum()
        aurc += size / n * e_k / k
        augrc += size / n * e_k / n
    ideal = sum(max(0, k - (n - e)) / k for k in range(1, n + 1)) / n
    return {"aurc": aurc, "eaurc": aurc - ideal, "augrc": augrc, "accuracy": 1 - e / n, "n": n, "errors": e}


def fd_shifts(scores, correct):
    """FD-Shifts' current RiskCoverageStatsMixin, on our 0..1 scale (it reports x1000): one risk-coverage point per
    tie-group boundary plus coverage 1, joined by trapezoids; the selective curve ends flat at coverage 0, the
    generalised one at risk 0; E-AURC subtracts the continuous limit err + (1 - err) ln(1 - err)."""
    confidence, wrong = -np.asarray(scores, float), 1.0 - np.asarray(correct, float)
    order = np.argsort(confidence, kind="stable")
    c, r, n = confidence[order], wrong[order], len(wrong)
    boundary = np.nonzero(c[:-1] != c[1:])[0]
    kept, errors = n - 1 - boundary, r.sum() - np.cumsum(r)[boundary]
    coverage = np.r_[1.0, kept / n, 0.0]
    selective = np.r_[r.sum() / n, errors / kept]
    selective = np.r_[selective, selective[-1]]
    generalised = np.r_[r.sum() / n, errors / n, 0.0]
    area = lambda risk: float(np.sum((coverage[:-1] - coverage[1:]) * (risk[:-1] + risk[1:]) / 2))
    err = r.mean()
    return {"aurc": area(selective), "augrc": area(generalised),
            "eaurc": area(selective) - (err + (1 - err) * np.log(1 - err + np.finfo(float).eps))}


def evaluate(tmp, scores, correct, dtype=bool):
    np.save(tmp / "s.npy", np.asarray(scores))
    np.save(tmp / "c.npy", np.asarray(correct).astype(dtype))
    run = subprocess.run([binary, "--device", "cpu", "eval", "--json", "--id", str(tmp / "s.npy"), "--correct",
                          str(tmp / "c.npy")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["failure"]


passed = failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def agrees(name, got, want):
    for key in ("aurc", "eaurc", "augrc", "accuracy"):
        check(f"{name} {key}", abs(got[key] - want[key]) <= TOL, f"{got[key]} vs {want[key]}")
    check(f"{name} counts", (got["n"], got["errors"]) == (want["n"], want["errors"]), f"{got} vs {want}")


rng = np.random.default_rng(0)
with tempfile.TemporaryDirectory() as d:
    tmp = pathlib.Path(d)
    cases = []
    for n in (1, 2, 7, 50, 400):
        for levels in (None, 3, 20):  # None: distinct scores; else heavy ties
            s = rng.normal(size=n) if levels is None else rng.integers(0, levels, size=n).astype(float)
            cases.append((f"n={n} levels={levels}", s, rng.random(n) < 0.7))
    s = rng.normal(size=30)
    cases += [("all correct", s, np.ones(30, bool)), ("all wrong", s, np.zeros(30, bool)),
              ("all tied", np.zeros(30), rng.random(30) < 0.5)]
    for name, s, c in cases:
        agrees(name, evaluate(tmp, s, c), ours(s, c))
    # 0/1 integers and floats read as flags too
    s, c = rng.normal(size=60), rng.random(60) < 0.6
    agrees("int8 flags", evaluate(tmp, s, c, np.int8), ours(s, c))
    agrees("float flags", evaluate(tmp, s, c, np.float32), ours(s, c))

    # Real scores: a multinomial probe on chest X-ray, its MSP as the outlier score.
    feats, labels = np.load(data_dir / "mobilenet_v2.npz"), np.load(data_dir / "labels.npz")
    probe = LogisticRegression(C=1, max_iter=2000).fit(feats["chestxray_train"].astype(np.float64),
                                                       labels["chestxray_train"])
    x, y = feats["chestxray_test"].astype(np.float64), labels["chestxray_test"]
    msp = -probe.predict_proba(x).max(axis=1)
    correct = probe.predict(x) == y
    distinct = msp + 1e-9 * np.arange(len(msp)) / len(msp)  # saturated probabilities tie at 1: part them
    for name, s in (("real MSP", msp), ("real MSP, ties parted", distinct), ("real MSP, 2 decimals", np.round(msp, 2))):
        got = evaluate(tmp, s, correct)
        agrees(name, got, ours(s, correct))
        # docs/methods.md's comparison with FD-Shifts: it joins the groups' risks by trapezoids where we take each
        # group at its end, so AURC differs by sum_{j>=2} s_j (r_{j-1} - r_j) / (2n) and AUGRC by
        # -sum_j s_j f_j / (2n^2) (s_j rows and f_j errors in group j, r_j the risk after it); without ties these
        # are (w_1 - err) / (2n) and -err / (2n).
        fd, n = fd_shifts(s, correct), len(s)
        values = np.unique(s)
        sizes = np.array([(s == v).sum() for v in values])
        group_errors = np.array([(~correct[s == v]).sum() for v in values])
        risks = np.cumsum(group_errors) / np.cumsum(sizes)
        aurc_gap = np.sum(sizes[1:] * (risks[:-1] - risks[1:])) / (2 * n)
        augrc_gap = -np.sum(sizes * group_errors) / (2 * n * n)
        check(f"{name} FD-Shifts AURC gap", abs(fd["aurc"] - got["aurc"] - aurc_gap) < TOL,
              f"{fd['aurc'] - got['aurc']} vs {aurc_gap}")
        check(f"{name} FD-Shifts AUGRC gap", abs(fd["augrc"] - got["augrc"] - augrc_gap) < TOL,
              f"{fd['augrc'] - got['augrc']} vs {augrc_gap}")
        print(f"{name}: n={n}, accuracy {got['accuracy']:.4f}; ours AURC {got['aurc']:.6f} AUGRC {got['augrc']:.6f} "
              f"E-AURC {got['eaurc']:.6f}; FD-Shifts {fd['aurc']:.6f} {fd['augrc']:.6f} {fd['eaurc']:.6f}")

    # Bad input: a flag that is not 0 or 1 names its row; a count mismatch names both files.
    np.save(tmp / "s.npy", np.zeros(3))
    np.save(tmp / "c.npy", np.array([1, 2, 0]))
    run = subprocess.run([binary, "eval", "--id", str(tmp / "s.npy"), "--correct", str(tmp / "c.npy")],
                         capture_output=True, text=True)
    check("bad flag exit 2", run.returncode == 2 and "row 1 is 2" in run.stderr, run.stderr)
    np.save(tmp / "c.npy", np.array([True, False]))
    run = subprocess.run([binary, "eval", "--id", str(tmp / "s.npy"), "--correct", str(tmp / "c.npy")],
                         capture_output=True, text=True)
    check("count mismatch exit 2", run.returncode == 2 and "2 correctness flags" in run.stderr, run.stderr)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
