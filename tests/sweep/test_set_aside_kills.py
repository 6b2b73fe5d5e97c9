#!/usr/bin/env python3
"""Kill safety of a set-aside, at every step: a run that sets a folder's records aside (its config changed) is killed
with SIGKILL just before each of its unlink, rename, link and rmdir calls in turn (strace injects the signal at the
chosen call), and every time:
  - a report left in the folder is never one of records the folder no longer holds (the report goes first);
  - no record is lost: each is in records.jsonl or a set-aside file;
and the run after it finishes the job: the old records in exactly one set-aside file, once each; the new records
alone in records.jsonl; the report of the new config; no temporary file anywhere.
Also: `oodbench report` takes the folder's lock, so it cannot write the old tables while a run sets records aside.
Usage: test_set_aside_kills.py OODBENCH_BINARY DATA_DIR
"""
import fcntl
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from sweep_common import Checks, run, toy_data

binary = os.path.abspath(sys.argv[1])
c = Checks()
if shutil.which("strace") is None:
    print("strace is not installed (scripts/install_deps.sh installs it)")
    sys.exit(1)
_tmp = tempfile.TemporaryDirectory()
tmp = pathlib.Path(_tmp.name)
dataset = toy_data(tmp / "data")


def config(k):
    path = tmp / f"k{k}.json"
    path.write_text(json.dumps({"name": "kills", "data_root": str(tmp / "data"), "datasets": [dataset],
                                "detectors": [{"name": "knn", "label": f"knn-{k}", "params": {"k": k}}],
                                "plots": False, "tables": {"formats": ["md"]}}))
    return path


def lines(path):
    return [line for line in path.read_text().splitlines() if line] if path.exists() else []


def labels(record_lines):
    return sorted(json.loads(line)["label"] for line in record_lines)


def temporaries(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".tmp." in p.name)


old_config, new_config = config(1), config(2)
baseline = tmp / "baseline"
run(binary, "run", old_config, "--out", baseline, "--quiet")
old_lines = lines(baseline / "records.jsonl")
c.check("the old config's folder has its record and report", labels(old_lines) == ["knn-1"] and
        "knn-1" in (baseline / "report.md").read_text())

# The report takes the lock: while another process holds it, `report` refuses instead of writing.
with open(baseline / ".lock", "a+") as held:
    fcntl.flock(held, fcntl.LOCK_EX)
    held.seek(0)
    held.truncate()
    held.write("pid 1: oodbench run elsewhere.json\n")
    held.flush()
    blocked = run(binary, "report", baseline, check=False)
    fcntl.flock(held, fcntl.LOCK_UN)
c.check("report refuses a folder another process holds, naming it", blocked.returncode == 2 and
        "in use by another oodbench process (pid 1: oodbench run elsewhere.json)" in blocked.stderr,
        blocked.stderr.strip()[-200:])

kills = 0
for syscall in ("unlink", "rename", "link", "rmdir"):
    for n in range(1, 100):
        folder = tmp / f"{syscall}-{n}"
        shutil.copytree(baseline, folder)
        killed = subprocess.run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}",
                                 "-e", f"inject={syscall}:signal=KILL:when={n}",
                                 binary, "--device", "cpu", "run", new_config, "--out", folder, "--quiet"],
                                capture_output=True, text=True)
        if killed.returncode == 0:  # fewer than n such calls: every one of them was a kill point
            c.check(f"{syscall}: killed before each of its {n - 1} calls", n > 1 or syscall == "link")
            break
        kills += 1
        where = f"killed before {syscall} #{n}"
        records = lines(folder / "records.jsonl")
        aside = [line for p in sorted(folder.glob("records.set-aside-*.jsonl")) for line in lines(p)]
        report = (folder / "report.md").read_text() if (folder / "report.md").exists() else ""
        if "knn-1" in report and "knn-1" not in labels(records):
            c.check(f"{where}: no report of records the folder no longer holds", False, labels(records))
        if not all(line in records + aside for line in old_lines):
            c.check(f"{where}: no record lost", False, f"records {labels(records)}, set aside {labels(aside)}")
        run(binary, "run", new_config, "--out", folder, "--quiet")
        files = sorted(folder.glob("records.set-aside-*.jsonl"))
        aside = [line for p in files for line in lines(p)]
        report = (folder / "report.md").read_text()
        problems = []
        if len(files) != 1 or aside != old_lines:
            problems.append(f"{len(files)} set-aside files holding {labels(aside)}")
        if labels(lines(folder / "records.jsonl")) != ["knn-2"]:
            problems.append(f"records {labels(lines(folder / 'records.jsonl'))}")
        if "knn-2" not in report or "knn-1" in report:
            problems.append("not the new config's report")
        if temporaries(folder):
            problems.append(f"temporary files {temporaries(folder)}")
        if problems:
            c.check(f"{where}, then run again: one set-aside file, the new records and report, nothing left over",
                    False, "; ".join(problems))
c.check("killed at every unlink, rename, link and rmdir of the run, each time safe", kills >= 15 and c.failed == 0,
        f"{kills} kills")
c.exit()
