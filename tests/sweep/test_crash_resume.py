#!/usr/bin/env python3
"""Crash safety: a sweep killed with SIGKILL at random moments and resumed each time ends with the same records
(apart from timings) and byte-identical tables as an uninterrupted run, with no duplicate or partial record.
A torn last line (what a power cut mid-append could leave) is cut off by the next run and its cell is redone.
Usage: test_crash_resume.py OODBENCH_BINARY DATA_DIR
"""
import os
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import time

from sweep_common import Checks, by_cell, records, run, table_files

binary = os.path.abspath(sys.argv[1])
config = pathlib.Path(__file__).resolve().parent / "small.json"
c = Checks()
rng = random.Random(7)

with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    reference = tmp / "reference"
    run(binary, "run", config, "--out", reference, "--quiet")

    out = tmp / "killed"
    kills = 0

    def lines():
        path = out / "records.jsonl"
        return path.read_text().count("\n") if path.exists() else 0

    for attempt in range(8):
        before = lines()
        proc = subprocess.Popen([binary, "--device", "cpu", "run", config, "--out", out, "--quiet", "--no-report"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Once early, then each time a little after the run made progress. The waits are short and absolute, not
        # fractions of a reference run's time: a reference slowed by a busy machine let later runs finish unkilled.
        if attempt == 0:
            time.sleep(rng.uniform(0.02, 0.2))
        else:
            while proc.poll() is None and lines() == before:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.1))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        if proc.returncode == 0:
            break
        text = (out / "records.jsonl").read_text() if (out / "records.jsonl").exists() else ""
        c.check(f"after kill {kills}: whole records only ({lines()} so far)", not text or text.endswith("\n"))
    c.check("the sweep was killed at several moments with records already written", kills >= 3 and lines() > 0,
            f"{kills} kills, {lines()} records")

    # A torn line, as a power cut mid-append would leave it.
    with open(out / "records.jsonl", "a") as f:
        f.write('{"cell": "torn", "config": "sm')
    resumed = run(binary, "run", config, "--out", out)
    c.check("the resumed run reports the torn line it cut off", "ignoring a torn last line" in resumed.stderr,
            resumed.stderr.strip()[:200])
    ids = [r["cell"] for r in records(out)]
    c.check("no duplicate records", len(ids) == len(set(ids)), f"{len(ids)} records")
    c.check("the torn line is gone", "torn" not in ids and (out / "records.jsonl").read_text().endswith("\n"))
    c.check("same records as the uninterrupted run (apart from timings)", by_cell(out) == by_cell(reference))
    c.check("same tables byte for byte", table_files(out) == table_files(reference))

c.exit()
