#!/usr/bin/env python3
"""The LaTeX tables of every cell style, and the intervals table, compile with pdflatex in a minimal document with
booktabs. Exit 77 (ctest: skipped) where pdflatex is not installed (scripts/install_deps.sh does not install it).
Usage: test_latex_compile.py OODBENCH_BINARY DATA_DIR
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from sweep_common import Checks, run, toy_data

if shutil.which("pdflatex") is None:
    print("skipped: pdflatex is not installed")
    raise SystemExit(77)

binary = os.path.abspath(sys.argv[1])
c = Checks()
with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    config = {"name": "tex", "data_root": "data", "datasets": [toy_data(tmp / "data", dims=12)], "plots": False,
              "seeds": [0, 1], "detectors": [{"name": "knn", "params": {"k": [1, 10]}}, {"name": "mahalanobis"},
                                             {"name": "ae_l2", "params": {"epochs": 2, "hidden": 16, "bottleneck": 4}}],
              "tables": {"formats": ["tex"], "bootstrap": 100}}
    (tmp / "tex.json").write_text(json.dumps(config))
    out = tmp / "out"
    run(binary, "run", tmp / "tex.json", "--out", out, "--quiet")
    for mode in ("mean", "mean_std", "mean_ci"):
        config["tables"]["latex"] = mode
        (out / "config.json").write_text(json.dumps(config))
        run(binary, "report", out)
        tables = sorted((out / "tables").glob("*.tex"))
        doc = tmp / f"{mode}.tex"
        doc.write_text("\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n" +
                       "".join(f"\\input{{{p}}}\n" for p in tables) + "\\end{document}\n")
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", doc.name],
                              cwd=tmp, capture_output=True, text=True)
        if mode == "mean_std":
            c.check("the tables show a std to typeset", any("$\\pm$" in p.read_text() for p in tables))
        ok = proc.returncode == 0 and (tmp / f"{mode}.pdf").exists() and any(p.name.endswith("_ci.tex") for p in tables)
        c.check(f"{mode}: {len(tables)} tables compile with pdflatex", ok, "" if ok else proc.stdout[-600:])
c.exit()
