#!/usr/bin/env python3
"""Reruns into one folder report exactly what the current config and data give: cells are content-addressed (an
array edited in place reruns the cells that read it; touching it reruns nothing), records of cells the config no
longer has are moved aside (an OOD set added, a detector removed), `validate` reports every fault at once before
anything is created, and a folder has one writer at a time. Each edit's reused folder is compared with a fresh one.
Usage: test_trust.py OODBENCH_BINARY DATA_DIR
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
from sweep_common import Checks, run, table_files

binary = os.path.abspath(sys.argv[1])
checks = Checks()
rng = np.random.default_rng(3)

with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    data = tmp / "data"
    data.mkdir()
    np.save(data / "train.npy", rng.standard_normal((300, 8)).astype(np.float32))
    np.save(data / "labels.npy", (np.arange(300) % 3).astype(np.int32))
    np.save(data / "test.npy", rng.standard_normal((80, 8)).astype(np.float32))
    np.save(data / "far.npy", (rng.standard_normal((60, 8)) + 2).astype(np.float32))
    np.save(data / "near.npy", (rng.standard_normal((60, 8)) + 0.5).astype(np.float32))
    base = {
        "name": "trust", "data_root": "data",
        "datasets": [{"modality": "toy", "backbone": "b",
                      "train": {"features": "train.npy", "labels": "labels.npy"}, "test": {"features": "test.npy"},
                      "ood": [{"name": "far", "shift": "far", "features": "far.npy"}]}],
        "detectors": [{"name": "knn", "params": {"k": 5}}, {"name": "mahalanobis"}],
        "plots": False, "tables": {"formats": ["md", "csv"]},
    }

    def write_config(config, name="config.json"):
        path = tmp / name
        path.write_text(json.dumps(config))
        return path

    def fresh_tables(config):
        out = tmp / f"fresh{time.monotonic_ns()}"
        run(binary, "run", write_config(config, "fresh.json"), "--out", out, "--quiet")
        return table_files(out)

    reused = tmp / "reused"
    first = run(binary, "run", write_config(base), "--out", reused, "--quiet")
    checks.check("first run runs both cells", "2 cells run, 0 already done" in first.stdout, first.stdout.strip())

    # Touching a file without changing it reruns nothing.
    os.utime(data / "test.npy")
    again = run(binary, "run", write_config(base), "--out", reused, "--quiet")
    checks.check("a touched file reruns nothing", "0 cells run, 2 already done" in again.stdout, again.stdout.strip())

    # 1. Test features rewritten in place: both cells read them, both rerun; tables equal a fresh folder's.
    np.save(data / "test.npy", np.load(data / "test.npy") + 3.0)
    edited = run(binary, "run", write_config(base), "--out", reused, "--quiet")
    checks.check("data edited in place reruns the cells that read it", "2 cells run, 0 already done" in edited.stdout,
                 edited.stdout.strip())
    checks.check("... and moves the stale records aside in one line", "moved 2 records" in edited.stderr and
                 len(list(reused.glob("records.set-aside-*.jsonl"))) == 1, edited.stderr.strip())
    checks.check("... and its tables equal a fresh folder's", table_files(reused) == fresh_tables(base))

    # 2. An OOD set added: its column appears, averages cover it, as in a fresh folder.
    added = json.loads(json.dumps(base))
    added["datasets"][0]["ood"].append({"name": "near", "shift": "near", "features": "near.npy"})
    run(binary, "run", write_config(added), "--out", reused, "--quiet")
    tables = table_files(reused)
    checks.check("an added OOD set has its column", all("near" in text for name, text in tables.items()
                                                         if name.endswith(".md")))
    checks.check("... and the tables equal a fresh folder's", tables == fresh_tables(added))

    # 3. A detector removed: gone from the report, as in a fresh folder.
    removed = json.loads(json.dumps(added))
    removed["detectors"] = removed["detectors"][:1]
    run(binary, "run", write_config(removed), "--out", reused, "--quiet")
    tables = table_files(reused)
    report = (reused / "report.md").read_text()
    checks.check("a removed detector leaves the report", "mahalanobis" not in report and
                 all("mahalanobis" not in text for text in tables.values()))
    checks.check("... and the tables equal a fresh folder's", tables == fresh_tables(removed))
    proc = run(binary, "check", reused, "--write-baseline", tmp / "b.json")
    labels = {v["label"] for v in json.loads((tmp / "b.json").read_text())["values"]}
    checks.check("check sees only the current cells", labels == {"knn"}, str(labels))

    # validate: every fault in one pass, exit 2, nothing created.
    np.save(data / "nan.npy", np.full((50, 8), np.nan, dtype=np.float32))
    np.save(data / "wide.npy", np.zeros((50, 9), dtype=np.float32))
    broken = json.loads(json.dumps(base))
    broken["datasets"][0]["train"].pop("labels")
    broken["datasets"][0]["ood"] = [{"name": "missing", "shift": "far", "features": "missing.npy"},
                                    {"name": "nan", "shift": "far", "features": "nan.npy"},
                                    {"name": "wide", "shift": "far", "features": "wide.npy"}]
    broken_path = write_config(broken, "broken.json")
    for command in (["validate", broken_path], ["run", broken_path, "--out", tmp / "never"]):
        proc = run(binary, *command, check=False)
        wanted = ["4 problems", "/datasets/0/ood/0/features", "missing.npy: no such file", "/datasets/0/ood/1/features",
                  "NaN at row 0", "/datasets/0/ood/2/features", "9 columns", "/detectors/1",
                  "needs ID train class labels"]
        missing = [w for w in wanted if w not in proc.stderr]
        checks.check(f"{command[0]} reports every fault at once, exit 2", proc.returncode == 2 and not missing,
                     f"exit {proc.returncode}, missing {missing}: {proc.stderr.strip()[:400]}")
    checks.check("... and creates no output folder", not (tmp / "never").exists())
    good = run(binary, "validate", write_config(base), check=False)
    checks.check("validate passes a good config", good.returncode == 0 and "valid" in good.stdout, good.stdout.strip())

    # One writer per folder: a second run (and a merge into it) fails at once, naming the first; killing the first
    # (a crash) leaves no stale lock, since the kernel drops a dead process's flock.
    slow = json.loads(json.dumps(base))
    slow["detectors"] = [{"name": "ae_l2", "params": {"epochs": 10000000, "hidden": 8, "bottleneck": 4}}]
    busy = tmp / "busy"
    first = subprocess.Popen([binary, "--device", "cpu", "run", write_config(slow, "slow.json"), "--out", busy,
                              "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while (not (busy / ".lock").exists() or not (busy / ".lock").read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    second = run(binary, "run", write_config(slow, "slow.json"), "--out", busy, check=False)
    merge = run(binary, "merge", "--out", busy, reused, check=False)
    still_running = first.poll() is None
    for name, proc in (("a second run", second), ("a merge", merge)):
        checks.check(f"{name} on a folder in use fails at once naming the holder", still_running and
                     proc.returncode == 2 and f"pid {first.pid}" in proc.stderr and
                     "in use by another oodbench process" in proc.stderr, proc.stderr.strip())
    first.kill()
    first.wait()
    after = run(binary, "run", write_config(base), "--out", busy, check=False)
    checks.check("a killed holder leaves no stale lock", after.returncode == 0, after.stderr.strip()[-300:])

    # Two runs started together into a folder that does not exist yet: the one that finds it locked fails at once
    # and removes nothing, though it found no folder when it started (the other created it since).
    # Inputs large enough that both check for the folder long before either has validated them and created it.
    rows = 1_600_000
    np.save(data / "big.npy", rng.standard_normal((rows, 8)).astype(np.float32))
    np.save(data / "big_labels.npy", (np.arange(rows) % 3).astype(np.int32))
    big = json.loads(json.dumps(slow))
    big["datasets"][0]["train"] = {"features": "big.npy", "labels": "big_labels.npy"}
    race = tmp / "race"
    racers = [subprocess.Popen([binary, "--device", "cpu", "run", write_config(big, "big.json"), "--out", race,
                                "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
              for _ in range(2)]
    deadline = time.monotonic() + 60
    while all(r.poll() is None for r in racers) and time.monotonic() < deadline:
        time.sleep(0.02)
    losers = [r for r in racers if r.poll() is not None]
    winner = next((r for r in racers if r.poll() is None), None)
    loser_said = losers[0].stderr.read() if losers else ""
    checks.check("of two runs started together into a new folder, one fails at once", len(losers) == 1 and
                 losers[0].returncode == 2 and "in use by another oodbench process" in loser_said, loser_said.strip())
    while winner is not None and winner.poll() is None and not (race / "plan.json").exists() and \
            time.monotonic() < deadline:
        time.sleep(0.02)
    checks.check("... and the other keeps its folder and runs on", winner is not None and winner.poll() is None and
                 (race / "plan.json").exists() and (race / "config.json").exists(),
                 winner.stderr.read() if winner is not None and winner.poll() is not None else "")
    for r in racers:
        r.kill()
        r.wait()
        r.stderr.close()

checks.exit()
