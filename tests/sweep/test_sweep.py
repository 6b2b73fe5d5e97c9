#!/usr/bin/env python3
"""`oodbench run` / `report` / `merge` on tests/sweep/small.json, against independent references:
every metric equals scikit-learn's on scores from `oodbench score`; the stored ROC samples equal sklearn's roc_curve;
table means and sample stds equal NumPy's over the records; bootstrap intervals agree with a NumPy bootstrap; a rerun
runs nothing; two runs give identical records apart from timings; three shards run as local processes by
scripts/slurm_sweep.sh and merged give the unsharded tables byte for byte.
Usage: test_sweep.py OODBENCH_BINARY DATA_DIR
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from sweep_common import Checks, by_cell, records, run, table_files

binary, data = os.path.abspath(sys.argv[1]), pathlib.Path(sys.argv[2]).resolve()
root = pathlib.Path(__file__).resolve().parents[2]
config = root / "tests" / "sweep" / "small.json"
features = data / "mobilenet_v2.npz"
sets = {"breastus_test": "breastus_test", "mnist_far": "mnist_far", "fashion_far": "fashion_far", "blur": "chestxray_blur"}
c = Checks()

with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    out = tmp / "full"
    first = run(binary, "run", config, "--out", out)
    recs = records(out)
    c.check("one record per cell (msp, knn x2, mahalanobis, ae_l2 x2 seeds, mars x2 seeds)", len(recs) == 8,
            f"{len(recs)} records")
    c.check("progress is plain log lines when not a terminal", "[8/8] 100%" in first.stderr and "\r" not in first.stderr)

    # Metrics and ROC samples against sklearn on scores from `oodbench score` (an independent path to the scores).
    worst_auroc = worst_fpr = worst_roc = 0.0
    for r in recs:
        if r["detector"] not in ("msp", "knn", "mahalanobis"):
            continue
        params = [a for k, v in r["params"].items() for a in ("--param", f"{k}={json.dumps(v) if not isinstance(v, str) else v}")]
        tests = ["chestxray_test", *sets.values()]
        args = ["score", "--detector", r["detector"], *params, "--train", f"{features}:chestxray_train",
                "--train-labels", f"{data / 'labels.npz'}:chestxray_train"]
        for name in tests:
            args += ["--test", f"{features}:{name}", "--out", tmp / f"{name}.npy"]
        run(binary, *args)
        s_id = np.load(tmp / "chestxray_test.npy").astype(np.float64)
        for entry in r["ood"]:
            s_ood = np.load(tmp / f"{sets[entry['name']]}.npy").astype(np.float64)
            y = np.r_[np.zeros(len(s_id)), np.ones(len(s_ood))]
            s = np.r_[s_id, s_ood]
            worst_auroc = max(worst_auroc, abs(roc_auc_score(y, s) - entry["metrics"]["auroc"]))
            fpr, tpr, _ = roc_curve(1 - y, -s, drop_intermediate=False)
            worst_fpr = max(worst_fpr, abs(fpr[np.argmax(tpr >= 0.95)] - entry["metrics"]["fpr95"]))
            fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
            grid = np.linspace(0, 1, len(entry["roc_tpr"]))
            expected = [tpr[fpr <= x + 1e-12].max() for x in grid]
            worst_roc = max(worst_roc, np.abs(np.array(expected) - entry["roc_tpr"]).max())
            c.check(f"{r['label']} {entry['name']}: histogram holds every score",
                    sum(entry["histogram"]) == len(s_ood) and sum(r["id_test"]["histogram"]) == len(s_id))
    c.check("AUROC equals sklearn's on `oodbench score` scores", worst_auroc < 1e-9, f"max diff {worst_auroc:.2e}")
    c.check("FPR@95 equals sklearn's", worst_fpr < 1e-9, f"max diff {worst_fpr:.2e}")
    c.check("ROC samples equal sklearn's roc_curve", worst_roc < 1e-9, f"max diff {worst_roc:.2e}")

    # Table cells: mean and sample std over seeds, group averages, best in bold.
    table = json.loads((out / "tables" / "chestxray_mobilenet_v2_auroc.json").read_text())
    columns = [(col["shift"], col["name"]) for col in table["columns"]]
    c.check("columns grouped by shift type with averages",
            columns == [("modality", "breastus_test"), ("far", "mnist_far"), ("far", "fashion_far"), ("far", "avg"),
                        ("covariate", "blur"), ("all", "avg")], str(columns))
    worst = 0.0
    for row in table["rows"]:
        mine = [r for r in recs if r["label"] == row["detector"]]
        for (shift, name), cell in zip(columns, row["cells"]):
            if name == "avg":
                per_seed = [np.mean([o["metrics"]["auroc"] for o in r["ood"] if shift in ("all", o["shift"])]) for r in mine]
            else:
                per_seed = [next(o["metrics"]["auroc"] for o in r["ood"] if o["name"] == name) for r in mine]
            worst = max(worst, abs(cell["mean"] - np.mean(per_seed)))
            if len(per_seed) > 1:
                worst = max(worst, abs(cell["std"] - np.std(per_seed, ddof=1)))
            else:
                worst = max(worst, 0 if cell["std"] is None else 1)
    c.check("table means and sample stds equal NumPy's", worst < 1e-12, f"max diff {worst:.2e}")
    best_ok = all(
        cell["best"] == (round(cell["mean"] * 1000) == max(round(r["cells"][j]["mean"] * 1000) for r in table["rows"]))
        for j in range(len(columns)) for cell in (row["cells"][j] for row in table["rows"]))
    c.check("best per column marked", best_ok)
    md = (out / "tables" / "chestxray_mobilenet_v2_auroc.md").read_text()
    tex = (out / "tables" / "chestxray_mobilenet_v2_auroc.tex").read_text()
    c.check("Markdown and LaTeX tables written", "**" in md and "\\toprule" in tex and "\\textbf{" in tex)
    plots = sorted(p.name for p in (out / "plots").iterdir())
    c.check("ROC, histogram and MaRS spectrum plots", "roc_chestxray_mobilenet_v2_blur_p1.svg" in plots and
            "hist_chestxray_mobilenet_v2_knn__k_1_.svg" in plots and "spectrum_chestxray_mobilenet_v2_mars.svg" in plots,
            f"{len(plots)} plots")

    # Bootstrap intervals against a NumPy percentile bootstrap of the same scores (different random draws).
    run(binary, "score", "--detector", "mahalanobis", "--train", f"{features}:chestxray_train", "--train-labels",
        f"{data / 'labels.npz'}:chestxray_train", "--test", f"{features}:chestxray_test", "--out", tmp / "id.npy",
        "--test", f"{features}:chestxray_blur", "--out", tmp / "blur.npy")
    s_id, s_ood = np.load(tmp / "id.npy").astype(np.float64), np.load(tmp / "blur.npy").astype(np.float64)
    rng = np.random.default_rng(1)
    boot = [roc_auc_score(np.r_[np.zeros(len(s_id)), np.ones(len(s_ood))],
                          np.r_[rng.choice(s_id, len(s_id)), rng.choice(s_ood, len(s_ood))]) for _ in range(1000)]
    lo, hi = np.percentile(boot, [2.5, 97.5])
    maha = next(r for r in recs if r["detector"] == "mahalanobis")
    ci = next(o["ci95"] for o in maha["ood"] if o["name"] == "blur")
    point = next(o["metrics"]["auroc"] for o in maha["ood"] if o["name"] == "blur")
    c.check("bootstrap interval brackets the estimate", ci["low"]["auroc"] < point < ci["high"]["auroc"])
    c.check("bootstrap interval matches NumPy's within 0.01",
            abs(ci["low"]["auroc"] - lo) < 0.01 and abs(ci["high"]["auroc"] - hi) < 0.01,
            f"ours [{ci['low']['auroc']:.4f}, {ci['high']['auroc']:.4f}], numpy [{lo:.4f}, {hi:.4f}]")

    # On a terminal (a pseudo-terminal from util-linux's `script`): one line rewritten in place, with an ETA.
    tty = subprocess.run(["script", "-qec", f"{binary} --device cpu run {config} --out {tmp / 'tty'} --no-report",
                          "/dev/null"], capture_output=True)  # bytes: text mode would turn \r into \n
    shown = tty.stdout.decode(errors="replace")
    c.check("progress on a terminal is one line rewritten in place with an ETA",
            tty.returncode == 0 and "\r\033[K[8/8] 100%" in shown and "ETA" in shown and "oodbench: [1/8]" not in shown,
            repr(shown[-120:]))

    # Resume: a rerun finds every cell done.
    again = run(binary, "run", config, "--out", out)
    c.check("rerun skips finished cells", "0 cells run, 8 already done" in again.stdout, again.stdout.strip())
    c.check("rerun adds no record", len(records(out)) == 8)

    # Determinism: a second run from scratch gives the same records apart from timings.
    run(binary, "run", config, "--out", tmp / "second")
    c.check("two runs give identical records apart from timings", by_cell(out) == by_cell(tmp / "second"))

    # Precision: "fp32" is the default's cell; "tf32" makes a new one (one cell of each is enough to see).
    cell_of = {}
    for precision in ("default", "fp32", "tf32"):
        doc = dict(json.loads(config.read_text()), data_root=str(data))
        if precision != "default":
            doc["precision"] = precision
        (tmp / f"{precision}.json").write_text(json.dumps(doc))
        run(binary, "run", tmp / f"{precision}.json", "--out", tmp / precision, "--shard", "0/8", "--no-report")
        cell_of[precision] = records(tmp / precision)[0]["cell"]
    c.check("precision fp32 keeps the default's cell ids and tf32 changes them",
            cell_of["default"] == cell_of["fp32"] != cell_of["tf32"], str(cell_of))

    # Shards as local processes, with the same commands a Slurm array runs, then merge.
    env = dict(os.environ, OODBENCH=binary, OODBENCH_DEVICE="cpu")
    proc = subprocess.run([root / "scripts" / "slurm_sweep.sh", config, tmp / "sharded", "3", "--local"],
                          capture_output=True, text=True, env=env)
    c.check("slurm_sweep.sh --local runs and merges", proc.returncode == 0, proc.stderr.strip()[-300:])
    shard_counts = [len(records(tmp / "sharded" / f"shard-{i}")) for i in range(3)]
    c.check("each shard ran its part", shard_counts == [3, 3, 2], str(shard_counts))
    c.check("merged records equal the unsharded run's", by_cell(tmp / "sharded") == by_cell(out))
    c.check("merged tables equal the unsharded run's byte for byte", table_files(tmp / "sharded") == table_files(out))
    bad = run(binary, "run", config, "--out", tmp / "x", "--shard", "3/3", check=False)
    c.check("--shard out of range is exit 2", bad.returncode == 2 and "--shard 3/3" in bad.stderr, bad.stderr.strip())

c.exit()
