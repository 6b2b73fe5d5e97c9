#!/usr/bin/env python3
"""configs/config.schema.json documents what `oodbench run` accepts: every shipped config validates against it, and
configs that oodbench rejects for their structure are rejected by the schema too.
Usage: test_schema.py OODBENCH_BINARY DATA_DIR
"""
import copy
import json
import pathlib

import jsonschema

from sweep_common import Checks

root = pathlib.Path(__file__).resolve().parents[2]
schema = json.loads((root / "configs" / "config.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
c = Checks()

shipped = sorted(root.glob("configs/*.json")) + [root / "tests" / "sweep" / "small.json"]
for path in shipped:
    if path.name == "config.schema.json":
        continue
    errors = [e.message for e in validator.iter_errors(json.loads(path.read_text()))]
    c.check(f"{path.relative_to(root)} follows the schema", not errors, "; ".join(errors[:2]))

good = json.loads((root / "tests" / "sweep" / "small.json").read_text())
edits = {
    "unknown top-level key": lambda g: g.update(seed=[0]),
    "misspelt dataset key": lambda g: g["datasets"][0].update(trian={}),
    "OOD set without shift": lambda g: g["datasets"][0]["ood"][0].pop("shift"),
    "negative seed": lambda g: g.update(seeds=[-1]),
    "unknown metric": lambda g: g.update(metrics=["accuracy"]),
    "unknown table format": lambda g: g["tables"].update(formats=["html"]),
    "too few bootstrap resamples": lambda g: g["tables"].update(bootstrap=10),
    "unknown LaTeX cell style": lambda g: g["tables"].update(latex="mean_sem"),
    "empty grid": lambda g: g["detectors"][1]["params"].update(k=[]),
    "plots not a boolean": lambda g: g.update(plots="yes"),
}
for name, edit in edits.items():
    bad = copy.deepcopy(good)
    edit(bad)
    c.check(f"schema rejects: {name}", not validator.is_valid(bad))
c.exit()
