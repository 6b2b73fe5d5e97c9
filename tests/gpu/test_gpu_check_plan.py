#!/usr/bin/env python3
"""scripts/gpu_check.sh fits a GPU session: its default steps, each under its own limit, add up to at most 8 minutes
(--plan), every step it names has a function that runs it, and a full run leaves at most 8 files in $OUT (the
summary and one log per step), the most a device run gives back.
Usage: test_gpu_check_plan.py
"""
import pathlib
import re
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(root / "tests"))
from script_checks import finish, report  # noqa: E402

script = root / "scripts" / "gpu_check.sh"
plan = subprocess.run(["bash", str(script), "--plan"], capture_output=True, text=True)
rows = [line.split() for line in plan.stdout.splitlines()]
steps = {r[0]: int(r[1]) for r in rows if len(r) > 2 and r[2] == "s" and r[0] not in ("total",)}
default = [name for name, _ in steps.items() if name not in ("setup", "bench")]
total = next((int(r[1]) for r in rows if r and r[0] == "total"), None)
ok = plan.returncode == 0 and len(default) >= 7
report("--plan exits 0 and lists the steps with their limits", ok, "" if ok else plan.stdout + plan.stderr)
report("the default steps add up to the total, at most 480 s",
       total == sum(v for k, v in steps.items() if k != "bench") and total <= 480, f"total {total}: {steps}")
text = script.read_text()
for name in list(steps):
    if name != "setup":
        report(f"step {name} has its function", f"step_{name.replace('-', '_')}()" in text)
report("a full run writes at most 8 files to $OUT", len(default) + 1 <= 8, f"{len(default)} steps + the summary")
for order, name in enumerate(["gpu-tests", "sanitizer", "quickstart", "paper", "python", "model", "multi-gpu"]):
    report(f"step {order + 1} is {name}", default[order:order + 1] == [name], " ".join(default))
unknown = subprocess.run(["bash", str(script), "nonsense"], capture_output=True, text=True)
report("an unknown step is refused (exit 2) before anything runs", unknown.returncode == 2 and
       "unknown step 'nonsense'" in unknown.stderr, unknown.stderr)
finish()
