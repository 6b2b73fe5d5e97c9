#!/usr/bin/env python3
"""Records set aside (cells a config no longer has) are never lost: a set-aside file whose name is taken (a second
set-aside in the same UTC second) is not replaced; the new one gets the suffix -2, -3, ...
Usage: test_set_aside.py OODBENCH_BINARY DATA_DIR
"""
import datetime
import json
import pathlib
import sys
import tempfile

from sweep_common import Checks, records, run, toy_data

binary = sys.argv[1]
_tmp = tempfile.TemporaryDirectory()
tmp = pathlib.Path(_tmp.name)
c = Checks()
dataset = toy_data(tmp / "data")


def config(k):
    path = tmp / f"k{k}.json"
    path.write_text(json.dumps({"name": "set_aside", "data_root": str(tmp / "data"), "datasets": [dataset],
                                "detectors": [{"name": "knn", "params": {"k": k}}], "plots": False}))
    return path


out = tmp / "out"
run(binary, "run", config(1), "--out", out, "--no-report")
# Every name the next two set-asides could take within the next minute is taken already, as when runs follow each
# other within a second.
now = datetime.datetime.now(datetime.timezone.utc)
taken = {}
for s in range(60):
    name = "records.set-aside-" + (now + datetime.timedelta(seconds=s)).strftime("%Y%m%dT%H%M%SZ") + ".jsonl"
    taken[name] = f'{{"cell": "sentinel {s}"}}\n'
    (out / name).write_text(taken[name])
run(binary, "run", config(2), "--out", out, "--no-report")
run(binary, "run", config(3), "--out", out, "--no-report")
files = {p.name: p.read_text() for p in out.glob("records.set-aside-*")}
c.check("no existing set-aside file was replaced", all(files.get(n) == t for n, t in taken.items()))
new = {n: t for n, t in files.items() if n not in taken}
c.check("two new set-aside files, with a suffix", len(new) == 2 and all(n.endswith(("-2.jsonl", "-3.jsonl"))
                                                                       for n in new), sorted(new))
aside = sorted(json.loads(line)["params"]["k"] for t in new.values() for line in t.splitlines())
c.check("the k=1 and k=2 records are both kept", aside == [1, 2], aside)
c.check("the folder holds the k=3 record", [r["params"]["k"] for r in records(out)] == [3])
c.exit()
