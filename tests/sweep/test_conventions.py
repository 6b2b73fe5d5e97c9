#!/usr/bin/env python3
"""A sweep names every non-default covariance convention where its numbers are read: the record's params, every
table's note (Markdown, JSON, report.md, report.html) and the LaTeX caption; a sweep of default conventions says
nothing of them. A fit warning is printed once per cell under the cell's name, without the detector named twice.
Usage: test_conventions.py OODBENCH_BINARY DATA_DIR
"""
import json
import pathlib
import sys
import tempfile

from sweep_common import Checks, records, run

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
c = Checks()
config = {
    "name": "conventions", "data_root": str(data_dir),
    "datasets": [{"modality": "chestxray", "backbone": "mobilenet_v2",
                  "train": {"features": "{backbone}.npz:chestxray_train", "labels": "labels.npz:chestxray_train"},
                  "test": {"features": "{backbone}.npz:chestxray_test"},
                  "ood": [{"name": "blur", "shift": "covariate", "features": "{backbone}.npz:chestxray_blur"}]}],
    "detectors": [{"name": "mahalanobis", "params": {"convention": ["openood", "pytorch-ood"]}},
                  {"name": "rmds", "label": "rmds (float32)", "params": {"convention": "float32"}},
                  {"name": "knn"}],
    "tables": {"formats": ["md", "json", "tex"]}, "plots": False,
}
NAMED = "mahalanobis (convention=pytorch-ood): pytorch-ood; rmds (float32): float32;"

with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    (tmp / "config.json").write_text(json.dumps(config))
    out = tmp / "out"
    proc = run(binary, "run", tmp / "config.json", "--out", out)
    params = {r["label"]: r["params"] for r in records(out)}
    c.check("each record names a non-default convention in its params, and leaves the default out (so the cells "
            "of sweeps run before conventions existed keep their ids)",
            params["mahalanobis (convention=pytorch-ood)"]["convention"] == "pytorch-ood"
            and params["rmds (float32)"]["convention"] == "float32"
            and "convention" not in params["mahalanobis (convention=openood)"], str(params))
    table = json.loads((out / "tables" / "chestxray_mobilenet_v2_auroc.json").read_text())
    c.check("the table's note names the non-default rows and their conventions", NAMED in table["note"],
            table["note"])
    c.check("... and not the default ones", "(convention=openood): " not in table["note"] and "knn:" not in
            table["note"], table["note"])
    tex = (out / "tables" / "chestxray_mobilenet_v2_auroc.tex").read_text()
    caption = tex[tex.index("\\caption{"):tex.index("\\label")]
    c.check("the LaTeX caption names them", "pytorch-ood" in caption and "rmds (float32): float32" in caption,
            caption)
    c.check("report.md and report.html name them", NAMED in (out / "report.md").read_text()
            and NAMED in (out / "report.html").read_text())
    warnings = [line for line in proc.stderr.splitlines() if "warning:" in line]
    c.check("the default's fit warning is printed under its cell's name, the detector named once",
            any(line.startswith("oodbench: warning: chestxray/mobilenet_v2: mahalanobis (convention=openood): "
                                "inverting the class covariance") for line in warnings)
            and not any("mahalanobis: mahalanobis" in line or "rmds" in line for line in warnings), str(warnings))

    plain = dict(config, detectors=[{"name": "mahalanobis"}, {"name": "knn"}])
    (tmp / "plain.json").write_text(json.dumps(plain))
    run(binary, "run", tmp / "plain.json", "--out", tmp / "plain")
    c.check("a sweep of default conventions says nothing of them",
            "convention" not in (tmp / "plain" / "report.md").read_text())
    clash = dict(config, detectors=[{"name": "mahalanobis", "params": {"convention": "pytorch-ood",
                                                                     "rcond": [0.001, 0.01]}}])
    (tmp / "clash.json").write_text(json.dumps(clash))
    proc = run(binary, "validate", tmp / "clash.json", check=False)
    c.check("validate names an expert parameter beside a convention by its JSON Pointer, before anything runs",
            proc.returncode == 2 and "/detectors/0/params/rcond/0: mahalanobis: convention = pytorch-ood fixes"
            in proc.stderr and "/detectors/0/params/rcond/1" in proc.stderr, proc.stderr)
c.exit()
