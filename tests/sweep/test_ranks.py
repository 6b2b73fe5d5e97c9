#!/usr/bin/env python3
"""`oodbench ranks` (and oodbench.ranks) against SciPy on the committed paper sweep: the blocks' seed means recomputed
from records.jsonl, average ranks (scipy.stats.rankdata), Friedman (scipy.stats.friedmanchisquare), Iman-Davenport
(scipy.stats.f), the Nemenyi critical difference (scipy.stats.studentized_range), and Holm against the best, in
both metric directions; then a folder with a selected grid ranks the chosen point once. Usage: test_ranks.py
OODBENCH DATA_DIR
"""
import collections
import json
import pathlib
import shutil
import sys
import tempfile

import numpy as np
from scipy import stats

from sweep_common import Checks, records, run

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2])
paper = pathlib.Path(__file__).resolve().parents[2] / "results" / "paper"
checks = Checks()


def expected(folder, metric, higher_is_better):
    """Seed means per (dataset, OOD set) block and detector label, then the statistics, all from SciPy."""
    sums = collections.defaultdict(list)
    for r in records(folder):
        for o in r["ood"]:
            if o.get("role", "ood") != "csid":
                sums[(r["dataset"]["name"], o["name"], r["label"])].append(o["metrics"][metric])
    blocks = sorted({(d, s) for d, s, _ in sums})
    labels = sorted({label for _, _, label in sums})
    x = np.array([[np.mean(sums[(d, s, label)]) for label in labels] for d, s in blocks])
    ranks = np.array([stats.rankdata(-row if higher_is_better else row) for row in x])
    average = ranks.mean(axis=0)
    b, k = x.shape
    chi2, p = stats.friedmanchisquare(*(x.T))
    f = (b - 1) * chi2 / (b * (k - 1) - chi2)
    se = np.sqrt(k * (k + 1) / (6 * b))
    cd = stats.studentized_range.ppf(0.95, k, np.inf) / np.sqrt(2) * se
    best = int(np.argmin(average))
    others = [j for j in range(k) if j != best]
    z = (average[others] - average[best]) / se
    p_raw = 2 * stats.norm.sf(np.abs(z))
    order = np.argsort(p_raw, kind="stable")
    holm = np.empty(len(p_raw))
    running = 0.0
    for i, j in enumerate(order):  # Holm's step-down, adjusted
        running = max(running, min(1.0, (len(p_raw) - i) * p_raw[j]))
        holm[j] = running
    return {"labels": labels, "average": dict(zip(labels, average)), "chi2": chi2, "p": p, "f": f,
            "f_p": stats.f.sf(f, k - 1, (k - 1) * (b - 1)), "cd": cd, "best": labels[best],
            "holm": {labels[j]: h for j, h in zip(others, holm)}, "blocks": len(blocks)}


def close(a, b, tol=1e-9):
    return abs(a - b) <= tol * max(1.0, abs(b))


for metric, higher in (("auroc", True), ("fpr95", False)):
    got = json.loads(run(binary, "ranks", paper, "--metric", metric, "--json").stdout)
    want = expected(paper, metric, higher)
    ranks = {d["label"]: d["average_rank"] for d in got["detectors"]}
    checks.check(f"{metric}: every detector ranked", sorted(ranks) == want["labels"], sorted(ranks))
    checks.check(f"{metric}: blocks", len(got["blocks"]) == want["blocks"], len(got["blocks"]))
    checks.check(f"{metric}: average ranks equal rankdata's",
                 all(close(ranks[label], want["average"][label], 1e-12) for label in want["labels"]))
    checks.check(f"{metric}: Friedman", close(got["friedman"]["statistic"], want["chi2"]) and
                 close(got["friedman"]["p_value"], want["p"], 1e-6), (got["friedman"], want["chi2"], want["p"]))
    checks.check(f"{metric}: Iman-Davenport", close(got["iman_davenport"]["statistic"], want["f"]) and
                 close(got["iman_davenport"]["p_value"], want["f_p"], 1e-6), (got["iman_davenport"], want["f"]))
    checks.check(f"{metric}: Nemenyi CD", close(got["nemenyi_cd"], want["cd"], 1e-8), (got["nemenyi_cd"], want["cd"]))
    checks.check(f"{metric}: best", got["best"] == want["best"], got["best"])
    holm = {d["label"]: d["p_holm"] for d in got["detectors"] if "p_holm" in d}
    checks.check(f"{metric}: Holm against the best",
                 set(holm) == set(want["holm"]) and all(close(holm[l], want["holm"][l], 1e-9) for l in holm))
    checks.check(f"{metric}: significant = p_holm <= 0.05",
                 all(d["significant"] == (d["p_holm"] <= 0.05) for d in got["detectors"] if "p_holm" in d))
text = run(binary, "ranks", paper).stdout
checks.check("table names the tests", "Friedman χ²" in text and "Nemenyi critical difference" in text, text[-400:])

# A grid with a selection ranks once, at its chosen point, under the tables' label.
with tempfile.TemporaryDirectory() as d:
    tmp = pathlib.Path(d)
    from sweep_common import toy_data
    dataset = toy_data(tmp)
    shutil.copy(tmp / "test.npy", tmp / "val.npy")
    dataset["val"] = {"features": "val.npy"}
    config = {"name": "ranks", "datasets": [dataset],
              "detectors": [{"name": "knn", "params": {"k": [1, 5]}}, {"name": "mahalanobis"}, {"name": "msp"},
                            {"name": "maxcosine"}],
              "select": {"metric": "auroc", "on": ["near"]}, "plots": False}
    (tmp / "c.json").write_text(json.dumps(config))
    run(binary, "run", tmp / "c.json", "--out", tmp / "out", "--quiet")
    got = json.loads(run(binary, "ranks", tmp / "out", "--json").stdout)
    labels = [d["label"] for d in got["detectors"]]
    checks.check("selected grid ranked once", sum("knn" in l for l in labels) == 1 and
                 any(l.endswith(", selected)") for l in labels), labels)
    checks.check("validation set is no block", all(b["ood_set"] != "near" for b in got["blocks"]), got["blocks"])
    missing = run(binary, "ranks", tmp / "nowhere", check=False)
    checks.check("missing folder exit 2", missing.returncode == 2, missing.stderr)

checks.exit()
