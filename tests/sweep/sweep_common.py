"""Helpers for the sweep tests: running oodbench, reading records, comparing result folders."""
import json
import pathlib
import subprocess

VOLATILE = ("timings", "run")  # the only record fields allowed to differ between identical runs


def run(binary, *args, check=True, cwd=None):
    proc = subprocess.run([binary, "--device", "cpu", *map(str, args)], capture_output=True, text=True, cwd=cwd)
    if check and proc.returncode != 0:
        raise AssertionError(f"oodbench {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def records(folder):
    lines = (pathlib.Path(folder) / "records.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line]


def stable(record):
    return {k: v for k, v in record.items() if k not in VOLATILE}


def by_cell(folder):
    return {r["cell"]: stable(r) for r in records(folder)}


def table_files(folder):
    return {p.name: p.read_text() for p in sorted((pathlib.Path(folder) / "tables").iterdir())}


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        self.passed += bool(ok)
        self.failed += not ok
        print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))

    def exit(self):
        print(f"{self.passed} passed, {self.failed} failed")
        raise SystemExit(1 if self.failed else 0)
