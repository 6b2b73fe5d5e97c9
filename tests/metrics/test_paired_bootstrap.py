#!/usr/bin/env python3
"""Paired comparisons (`oodbench compare`), kept scores and `eval --bootstrap` against an independent NumPy and
scikit-learn implementation of docs/methods.md "Paired comparisons".

The reference shares only the resampling generator with oodbench (tests/seeded_random.py, a port of splitmix64), so
that it draws the same rows; every metric is recomputed by scikit-learn with the draws as sample weights. Usage: SCRIPT OODBENCH DATA_DIR
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from seeded_random import M64, SeededRandom, replicate_seed  # noqa: E402

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
passed = failed = 0


def record(ok, message):
    global passed, failed
    passed += bool(ok)
    failed += not ok
    print(("ok   " if ok else "FAIL ") + message)


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & M64
    return h


def metric(name, s_id, s_ood, w_id=None, w_ood=None):
    s = np.r_[s_id, s_ood]
    is_ood = np.r_[np.zeros(len(s_id)), np.ones(len(s_ood))]
    w = None if w_id is None else np.r_[w_id, w_ood].astype(np.float64)
    if name == "auroc":
        return roc_auc_score(is_ood, s, sample_weight=w)
    fpr, tpr, _ = roc_curve(1 - is_ood, -s, sample_weight=w, drop_intermediate=False)  # fpr95: ID positive
    return fpr[np.argmax(tpr >= 0.95)]


def paired_reference(a, b, metric_name, resamples, seed):
    """a, b: (id scores, [ood scores per set]); the columns are each set, then the mean over all sets."""
    n_sets = len(a[1])
    observed = lambda x, w=None: [metric(metric_name, x[0], x[1][j], *(w[j] if w else (None, None)))
                                  for j in range(n_sets)]
    columns = lambda v: v + ([np.mean(v)] if n_sets > 1 else [])
    diff = np.subtract(columns(observed(a)), columns(observed(b)))
    d = []
    for r in range(resamples):
        rng = SeededRandom(replicate_seed(seed, r))
        w_id = rng.counts(len(a[0]))
        w = [(w_id, rng.counts(len(o))) for o in a[1]]
        d.append(np.subtract(columns(observed(a, w)), columns(observed(b, w))))
    d = np.array(d)
    low, high = np.percentile(d, [2.5, 97.5], axis=0)
    p = np.minimum(1, 2 * (1 + np.minimum((d <= 0).sum(0), (d >= 0).sum(0))) / (resamples + 1))
    return diff, low, high, p


def run(*args):
    return subprocess.run([binary, "--device", "cpu", *args], capture_output=True, text=True)


features = np.load(data_dir / "mobilenet_v2.npz")
rng = np.random.default_rng(7)
SETS = ["mnist_far", "breastus_test"]
n_id, n_ood = len(features["chestxray_test"]), [len(features[s]) for s in SETS]
# A separates clearly (OOD shifted up), B barely; C is B's scores exactly; ties in D (two levels).
scores = {
    "A": (rng.normal(0, 1, n_id), [rng.normal(1.5, 1, n) for n in n_ood]),
    "B": (rng.normal(0, 1, n_id), [rng.normal(0.1, 1, n) for n in n_ood]),
}
scores["C"] = scores["B"]
scores["D"] = (rng.integers(0, 2, n_id).astype(float), [rng.integers(0, 2, n).astype(float) for n in n_ood])
# E: A with a little noise, as good as A within the resampling error.
scores["E"] = (scores["A"][0] + rng.normal(0, 0.01, n_id), [s + rng.normal(0, 0.01, len(s)) for s in scores["A"][1]])

with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    for label, (s_id, s_ood) in scores.items():
        np.save(tmp / f"{label}_test.npy", s_id)
        for name, s in zip(SETS, s_ood):
            np.save(tmp / f"{label}_{name}.npy", s)
    config = {
        "name": "paired", "data_root": str(data_dir), "keep_scores": True,
        "datasets": [{"modality": "chestxray", "backbone": "mobilenet_v2",
                      "train": {"features": "{backbone}.npz:chestxray_train"},
                      "test": {"features": "{backbone}.npz:chestxray_test"},
                      "ood": [{"name": s, "shift": "far", "features": "{backbone}.npz:" + s} for s in SETS]}],
        "detectors": [{"name": "scores", "label": label, "params": {"files": str(tmp / (label + "_{set}.npy"))}}
                      for label in scores],
        "plots": False,
    }
    (tmp / "config.json").write_text(json.dumps(config))
    out = tmp / "out"
    r = run("run", str(tmp / "config.json"), "--out", str(out))
    record(r.returncode == 0, f"sweep with keep_scores runs: {r.stderr[-300:]}")

    # Kept scores: one .npz per cell, the exact values, named by the record.
    records = [json.loads(line) for line in (out / "records.jsonl").read_text().splitlines()]
    for rec in records:
        kept = np.load(out / rec["scores"]["file"])
        s_id, s_ood = scores[rec["label"]]
        same = np.array_equal(kept["id"], s_id) and all(np.array_equal(kept["ood/" + n], s) for n, s in zip(SETS, s_ood))
        record(same, f"kept scores of {rec['label']} are the scores")

    B, SEED = 200, 11
    dataset_seed = SEED ^ fnv1a64("chestxray/mobilenet_v2")
    for a, b in [("A", "B"), ("B", "C"), ("D", "B")]:
        r = run("compare", str(out), a, b, "--json", "--bootstrap", str(B), "--seed", str(SEED))
        record(r.returncode == 0, f"compare {a} {b}: {r.stderr}")
        if r.returncode:
            continue
        sets = json.loads(r.stdout)["datasets"][0]["sets"]
        record([s["name"] for s in sets] == SETS + ["all"], f"compare {a} {b}: columns {[s['name'] for s in sets]}")
        for m in ["auroc", "fpr95"]:
            diff, low, high, p = paired_reference(scores[a], scores[b], m, B, dataset_seed)
            got = np.array([[s["metrics"][m][k] for k in ("diff", "ci95_low", "ci95_high", "p_value")] for s in sets])
            want = np.array([diff, low, high, p]).T
            record(np.allclose(got, want, atol=1e-12), f"compare {a} {b} {m}: got {got.tolist()} want {want.tolist()}")
            if (a, b) == ("A", "B"):
                record(all(s["metrics"][m]["p_value"] < 0.01 for s in sets), f"A vs B {m} is significant")
            if (a, b) == ("B", "C"):
                record(all(s["metrics"][m]["p_value"] == 1 and s["metrics"][m]["diff"] == 0 for s in sets),
                       f"identical detectors {m}: p = 1, diff = 0")

    # Same seed, same intervals; another seed, other intervals.
    again = run("compare", str(out), "A", "B", "--json", "--bootstrap", str(B), "--seed", str(SEED)).stdout
    other = run("compare", str(out), "A", "B", "--json", "--bootstrap", str(B), "--seed", str(SEED + 1)).stdout
    first = run("compare", str(out), "A", "B", "--json", "--bootstrap", str(B), "--seed", str(SEED)).stdout
    record(again == first and other != first, "compare: deterministic per seed")

    # Tables mark what is not significantly worse than the best: A and E are (one best, the other marked), B, C
    # and D are far behind.
    table = json.loads((out / "tables" / "chestxray_mobilenet_v2_auroc.json").read_text())
    marks = {row["detector"]: [(c["best"], c["near_best"]) for c in row["cells"]] for row in table["rows"]}
    top = all((ba or na) and (be or ne) and (ba or be) for (ba, na), (be, ne) in zip(marks["A"], marks["E"]))
    rest = not any(best or near for label in "BCD" for best, near in marks[label])
    record(top and rest, f"table marks: {marks}")
    md = (out / "tables" / "chestxray_mobilenet_v2_auroc.md").read_text()
    record("†" in md and "paired bootstrap" in md, "the Markdown table shows the marks and says what they mean")

    # Errors: an unknown label, and a folder without kept scores.
    r = run("compare", str(out), "A", "nope")
    record(r.returncode == 2 and '"nope"' in r.stderr and '"A"' in r.stderr, f"unknown label: {r.stderr}")
    config["keep_scores"] = False
    (tmp / "config.json").write_text(json.dumps(config))
    run("run", str(tmp / "config.json"), "--out", str(tmp / "plain"))
    r = run("compare", str(tmp / "plain"), "A", "B")
    record(r.returncode == 2 and "keep_scores" in r.stderr, f"no kept scores: {r.stderr}")

    # A tampered score file is refused, not compared.
    victim = out / records[0]["scores"]["file"]
    data = dict(np.load(victim))
    data["id"] = data["id"] + 1
    np.savez_compressed(victim, **data)
    r = run("compare", str(out), records[0]["label"], "B" if records[0]["label"] != "B" else "A")
    record(r.returncode == 2 and "does not hold the scores" in r.stderr, f"tampered scores: {r.stderr}")

    # Over seeds: seeded detectors are paired seed by seed; each seed's difference is that seed's metric difference on
    # the rows as they are, and the seed-averaged difference is their mean.
    seeded = dict(config, name="seeded", seeds=[0, 1], keep_scores=True, detectors=[
        {"name": name, "params": {"epochs": 2, "hidden": 32, "bottleneck": 8}} for name in ("ae_l2", "mars")])
    (tmp / "seeded.json").write_text(json.dumps(seeded))
    r = run("run", str(tmp / "seeded.json"), "--out", str(tmp / "seeded"))
    record(r.returncode == 0, f"seeded sweep runs: {r.stderr[-300:]}")
    r = run("compare", str(tmp / "seeded"), "mars", "ae_l2", "--json", "--bootstrap", "100", "--metric", "auroc")
    record(r.returncode == 0, f"compare seeded: {r.stderr}")
    d = json.loads(r.stdout)["datasets"][0]
    kept = {(rec["label"], rec["seed"]): np.load(tmp / "seeded" / rec["scores"]["file"])
            for rec in (json.loads(line) for line in (tmp / "seeded" / "records.jsonl").read_text().splitlines())}
    record(d["seeds"] == [0, 1], f"paired seeds {d['seeds']}")
    for s in d["sets"][:-1]:
        e = s["metrics"]["auroc"]
        want = [metric("auroc", kept["mars", k]["id"], kept["mars", k]["ood/" + s["name"]]) -
                metric("auroc", kept["ae_l2", k]["id"], kept["ae_l2", k]["ood/" + s["name"]]) for k in (0, 1)]
        got = [x["diff"] for x in e["per_seed"]]
        record(np.allclose(got, want, atol=1e-12) and abs(e["diff"] - np.mean(want)) < 1e-12,
               f"{s['name']}: per-seed differences {got} vs {want}, mean {e['diff']}")

    # eval --bootstrap: the same percentile bootstrap as the tables (one stream: ID draws, then OOD draws).
    s_id, s_ood = scores["A"][0], scores["A"][1][1]
    np.save(tmp / "id.npy", s_id)
    np.save(tmp / "ood.npy", s_ood)
    r = run("eval", "--id", str(tmp / "id.npy"), "--ood", str(tmp / "ood.npy"), "--json", "--bootstrap", "100",
            "--seed", "5")
    ci = json.loads(r.stdout)["ood"][0]["ci95"]
    gen = SeededRandom(5)
    values = {"auroc": [], "fpr95": []}
    for _ in range(100):
        w_id, w_ood = gen.counts(len(s_id)), gen.counts(len(s_ood))
        for m in values:
            values[m].append(metric(m, s_id, s_ood, w_id, w_ood))
    for m in values:
        want = np.percentile(values[m], [2.5, 97.5])
        record(np.allclose([ci["low"][m], ci["high"][m]], want, atol=1e-12), f"eval --bootstrap {m}: {want}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
