#!/usr/bin/env python3
"""Changing tables.bootstrap for a folder's finished cells: records say how many resamples their intervals used
("bootstrap"), and a folder never mixes counts. Cells with kept scores have their intervals recomputed from them
without running (the same numbers as a fresh run with the new count); cells without are set aside and run again.
Usage: test_bootstrap_change.py OODBENCH_BINARY DATA_DIR
"""
import json
import pathlib
import sys
import tempfile

from sweep_common import Checks, records, run, stable, toy_data

binary = sys.argv[1]
_tmp = tempfile.TemporaryDirectory()
tmp = pathlib.Path(_tmp.name)
c = Checks()
dataset = toy_data(tmp / "data")


def config(name, bootstrap, keep_scores=False):
    doc = {"name": "bootstrap_change", "data_root": str(tmp / "data"), "datasets": [dataset],
           "detectors": [{"name": "knn", "params": {"k": 1}}, {"name": "mahalanobis"}],
           "tables": {"formats": ["md"], "bootstrap": bootstrap}, "plots": False, "keep_scores": keep_scores}
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


def ood_by_cell(folder):
    return {r["cell"]: r["ood"] for r in records(folder)}


def counts(folder):
    return sorted({r.get("bootstrap", -1) for r in records(folder)})


def has_intervals(folder):
    return [all("ci95" in o for o in r["ood"]) for r in records(folder)]


# Without kept scores: 0 -> 200 runs every cell again; the 0-resample records are set aside, not lost.
out = tmp / "plain"
run(binary, "run", config("b0", 0), "--out", out, "--no-report")
c.check("records say they have no intervals", counts(out) == [0] and not any(has_intervals(out)), counts(out))
second = run(binary, "run", config("b200", 200), "--out", out)
c.check("a bootstrap change reruns cells without kept scores", "0 already done, 2 to run" in second.stderr,
        second.stderr)
c.check("every record now has 200-resample intervals", counts(out) == [200] and all(has_intervals(out)), counts(out))
aside = [json.loads(line) for f in out.glob("records.set-aside-*") for line in f.read_text().splitlines()]
c.check("the 0-resample records are set aside", sorted(r.get("bootstrap", -1) for r in aside) == [0, 0], len(aside))
fresh = tmp / "fresh200"
run(binary, "run", config("b200", 200), "--out", fresh, "--no-report")
c.check("the rerun cells equal a fresh run's", {r["cell"]: stable(r) for r in records(out)} ==
        {r["cell"]: stable(r) for r in records(fresh)})
report = (out / "report.md").read_text()
c.check("report.md shows intervals", "[" in report.split("knn")[1].splitlines()[0], report[:400])

# With kept scores: 100 -> 300 -> 0 recomputes the intervals from the scores, running nothing.
kept = tmp / "kept"
run(binary, "run", config("k100", 100, True), "--out", kept, "--no-report")
scores_before = {p.name: p.read_bytes() for p in (kept / "scores").iterdir()}
third = run(binary, "run", config("k300", 300, True), "--out", kept, "--no-report")
c.check("kept scores: no cell runs", "2 already done, 0 to run" in third.stderr, third.stderr)
c.check("kept scores: it says the intervals were recomputed", "recomputed the intervals of 2 records" in third.stderr,
        third.stderr)
c.check("kept scores: records say 300", counts(kept) == [300], counts(kept))
fresh = tmp / "fresh300"
run(binary, "run", config("k300", 300, True), "--out", fresh, "--no-report")
c.check("recomputed intervals equal a fresh 300-resample run's", ood_by_cell(kept) == ood_by_cell(fresh))
c.check("the score files are untouched", scores_before == {p.name: p.read_bytes() for p in (kept / "scores").iterdir()})
c.check("nothing was set aside", not list(kept.glob("records.set-aside-*")))
run(binary, "run", config("k0", 0, True), "--out", kept, "--no-report")
c.check("back to 0: the intervals are removed", counts(kept) == [0] and not any(has_intervals(kept)), counts(kept))
again = run(binary, "run", config("k0", 0, True), "--out", kept, "--no-report")
c.check("the same count again changes nothing", "recomputed" not in again.stderr and "moved" not in again.stderr,
        again.stderr)

# A record written before records stored the count: with intervals its count is unknown, so it is brought in line.
expected = ood_by_cell(fresh)
legacy = [dict(r) for r in records(fresh)]
for r in legacy:
    del r["bootstrap"]
(fresh / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in legacy))
fourth = run(binary, "run", config("k300", 300, True), "--out", fresh, "--no-report")
c.check("records without a count are recomputed", "recomputed the intervals of 2 records" in fourth.stderr and
        counts(fresh) == [300] and ood_by_cell(fresh) == expected, fourth.stderr)
c.exit()
