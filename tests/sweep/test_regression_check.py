#!/usr/bin/env python3
"""The CI regression check: configs/regression.json run on the CPU matches results/baselines/regression.json within
its tolerances (`oodbench check` exit 0); a deliberately perturbed baseline makes the check fail (exit 1) and its
table names the number that moved, by how much and against which tolerance; --tolerance overrides the default;
a baseline written from a run and checked against the same run moves nothing.
Usage: test_regression_check.py OODBENCH_BINARY DATA_DIR
"""
import json
import os
import pathlib
import sys
import tempfile

from sweep_common import Checks, run

binary = os.path.abspath(sys.argv[1])
root = pathlib.Path(__file__).resolve().parents[2]
baseline = root / "results" / "baselines" / "regression.json"
c = Checks()

with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    out = tmp / "run"
    run(binary, "run", root / "configs" / "regression.json", "--out", out, "--quiet")

    check = run(binary, "check", out, "--baseline", baseline, check=False)
    print(check.stdout)
    c.check("the run matches the committed baseline", check.returncode == 0, check.stdout.strip().splitlines()[-1])

    golden = json.loads(baseline.read_text())
    perturbed = json.loads(baseline.read_text())
    target = next(v for v in perturbed["values"] if v["detector"] == "knn" and v["metric"] == "auroc")
    target["value"] += 0.05
    (tmp / "perturbed.json").write_text(json.dumps(perturbed))
    bad = run(binary, "check", out, "--baseline", tmp / "perturbed.json", check=False)
    row = next((line for line in bad.stdout.splitlines() if "DRIFT" in line), "")
    c.check("a perturbed baseline fails the check with exit 1", bad.returncode == 1, f"exit {bad.returncode}")
    c.check("the drift table names dataset, detector, set, metric, change and tolerance",
            all(s in row for s in (target["dataset"], "knn", target["ood"], "auroc", "-5.00e-02", "1.0e-04")), row)

    small = json.loads(baseline.read_text())
    entry = next(v for v in small["values"] if v["detector"] == "msp" and v["metric"] == "fpr95")
    entry["value"] += 1e-3
    (tmp / "small.json").write_text(json.dumps(small))
    loose = run(binary, "check", out, "--baseline", tmp / "small.json", "--tolerance", "0.01", check=False)
    strict = run(binary, "check", out, "--baseline", tmp / "small.json", check=False)
    c.check("--tolerance loosens the default tolerance", loose.returncode == 0 and strict.returncode == 1,
            f"loose exit {loose.returncode}, strict exit {strict.returncode}")
    negative = run(binary, "check", out, "--baseline", tmp / "small.json", "--tolerance", "-1", check=False)
    c.check("a negative --tolerance is exit 2, saying what is expected",
            negative.returncode == 2 and "--tolerance" in negative.stderr and ">= 0" in negative.stderr,
            negative.stderr.strip())
    own = run(binary, "check", out, "--baseline", tmp / "small.json", "--detector-tolerance", "msp=0.01", check=False)
    other = run(binary, "check", out, "--baseline", tmp / "small.json", "--detector-tolerance", "knn=0.01", check=False)
    c.check("--detector-tolerance loosens that detector alone when checking",
            own.returncode == 0 and other.returncode == 1, f"msp exit {own.returncode}, knn exit {other.returncode}")

    missing = json.loads(baseline.read_text())
    missing["values"][0]["label"] = "a detector that did not run"
    (tmp / "missing.json").write_text(json.dumps(missing))
    gone = run(binary, "check", out, "--baseline", tmp / "missing.json", check=False)
    c.check("a number missing from the run is drift", gone.returncode == 1 and "missing" in gone.stdout)

    run(binary, "check", out, "--write-baseline", tmp / "fresh.json", "--detector-tolerance", "mars=0.02")
    same = run(binary, "check", out, "--baseline", tmp / "fresh.json", check=False)
    c.check("a baseline written from a run matches it exactly", same.returncode == 0 and "0 numbers moved" in same.stdout)
    c.check("written baselines keep per-detector tolerances",
            json.loads((tmp / "fresh.json").read_text())["tolerance"]["per_detector"] == {"mars": 0.02})
    broken = run(binary, "check", out, "--baseline", tmp / "perturbed.json", "--tolerance", "x", check=False)
    c.check("a bad --tolerance is exit 2", broken.returncode == 2)

c.exit()
