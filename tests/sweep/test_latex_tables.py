#!/usr/bin/env python3
"""LaTeX tables follow "tables": {"latex": "mean" | "mean_std" | "mean_ci"} (default mean_std): each cell's text
against the table's JSON (bold best, dagger near-best kept), and <table>_ci.tex with the intervals alone exists
exactly when the records have intervals and tex is a format; a bad value is refused with its JSON pointer.
Usage: test_latex_tables.py OODBENCH_BINARY DATA_DIR
"""
import json
import os
import pathlib
import sys
import tempfile

from sweep_common import Checks, run, toy_data

binary = os.path.abspath(sys.argv[1])
c = Checks()


def pct(v):
    return "%.1f" % (v * 100)


def expected_cell(cell, mode):
    if cell is None:
        return "--"
    text = pct(cell["mean"])
    if mode == "mean_std" and cell["std"] is not None:
        text += " $\\pm$ " + pct(cell["std"])
    if mode == "mean_ci" and cell["ci95"] is not None:
        text += " [%s, %s]" % (pct(cell["ci95"][0]), pct(cell["ci95"][1]))
    return "\\textbf{%s}" % text if cell["best"] else text + "$^\\dagger$" if cell["near_best"] else text


def body_cells(tex):
    """The cells of each body row (between \\midrule and \\bottomrule), detector name dropped."""
    body = tex.split("\\midrule\n")[1].split("\\bottomrule")[0]
    return [line.removesuffix(" \\\\").split(" & ")[1:] for line in body.splitlines()]


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    base = {"name": "latex", "data_root": "data", "datasets": [toy_data(tmp / "data", dims=12)], "seeds": [0, 1],
            "keep_scores": True, "plots": False,
            "detectors": [{"name": "knn", "params": {"k": [1, 10]}}, {"name": "mahalanobis"},
                          {"name": "ae_l2", "params": {"epochs": 2, "hidden": 16, "bottleneck": 4}}],
            "tables": {"formats": ["json", "tex"], "bootstrap": 200}}
    (tmp / "boot.json").write_text(json.dumps(base))
    out = tmp / "boot"
    run(binary, "run", tmp / "boot.json", "--out", out, "--quiet")
    table = json.loads((out / "tables" / "toy_b_auroc.json").read_text())
    c.check("the sweep has stds, intervals, a best and a near-best cell to show",
            all(any(cell and cell[k] for row in table["rows"] for cell in row["cells"])
                for k in ("std", "ci95", "best", "near_best")))

    for mode in (None, "mean", "mean_std", "mean_ci"):
        doc = json.loads(json.dumps(base))
        if mode:
            doc["tables"]["latex"] = mode
        (out / "config.json").write_text(json.dumps(doc))  # `report` reads the settings from here
        run(binary, "report", out)
        tex = (out / "tables" / "toy_b_auroc.tex").read_text()
        want = [[expected_cell(cell, mode or "mean_std") for cell in row["cells"]] for row in table["rows"]]
        got = body_cells(tex)
        diff = [(g, w) for gr, wr in zip(got, want) for g, w in zip(gr, wr) if g != w]
        c.check(f"latex {mode or 'default (mean_std)'}: every cell's text", got == want, str(diff[:2] or got[:1]))
        c.check(f"latex {mode or 'default'}: the caption says what bold and the dagger mean",
                "Bold: the best of a column; $^\\dagger$: not significantly worse than it" in tex.split("\\label")[0])
        c.check(f"latex {mode or 'default'}: caption points to the intervals table unless the cells hold them",
                ("\\ref{tab:toy_b_auroc_ci}" in tex) == (mode != "mean_ci"))
        ci = (out / "tables" / "toy_b_auroc_ci.tex").read_text()
        ci_want = [["[%s, %s]" % (pct(cell["ci95"][0]), pct(cell["ci95"][1])) if cell and cell["ci95"] else "--"
                    for cell in row["cells"]] for row in table["rows"]]
        c.check(f"latex {mode or 'default'}: _ci table holds the intervals alone",
                body_cells(ci) == ci_want and "\\label{tab:toy_b_auroc_ci}" in ci, str(body_cells(ci)[:1]))
    ci_files = sorted(p.name for p in (out / "tables").glob("*_ci.tex"))
    tex_files = sorted(p.name for p in (out / "tables").glob("*.tex") if not p.name.endswith("_ci.tex"))
    c.check("one _ci table per LaTeX table with intervals", ci_files == [n[:-4] + "_ci.tex" for n in tex_files],
            f"{ci_files} for {tex_files}")

    no_tex = json.loads(json.dumps(base))
    no_tex["tables"]["formats"] = ["json"]
    (out / "config.json").write_text(json.dumps(no_tex))
    run(binary, "report", out)
    c.check("no _ci table without the tex format", not list((out / "tables").glob("*.tex")))

    plain = dict(base, tables={"formats": ["tex"]}, keep_scores=False)
    (tmp / "plain.json").write_text(json.dumps(plain))
    run(binary, "run", tmp / "plain.json", "--out", tmp / "plain", "--quiet")
    files = sorted(p.name for p in (tmp / "plain" / "tables").iterdir())
    c.check("no _ci table without intervals", files and not any(n.endswith("_ci.tex") for n in files), str(files))

    # A label and a set name with characters Markdown and LaTeX would read as markup are shown as written.
    odd = json.loads(json.dumps(base))
    odd["datasets"][0]["ood"][0]["name"] = "ood|a<b>&_%"
    odd["detectors"] = [{"name": "knn", "label": "knn <b>|x & y_z% #1 *a* `c` ~^\\", "params": {"k": 1}}]
    odd.update(seeds=[0], keep_scores=False, tables={"formats": ["md", "tex"]})
    (tmp / "odd.json").write_text(json.dumps(odd))
    run(binary, "run", tmp / "odd.json", "--out", tmp / "odd", "--quiet")
    md = (tmp / "odd" / "tables" / "toy_b_auroc.md").read_text().splitlines()
    header, row = md[2], next(line for line in md if line.startswith("| knn"))
    unescaped = lambda line: len(line.replace("\\|", "")) - len(line.replace("\\|", "").replace("|", ""))  # noqa: E731
    c.check("Markdown: a | in a label or set name does not split the table", unescaped(header) == unescaped(row)
            == unescaped(md[3]) and "knn &lt;b&gt;\\|x & y_z% #1 \\*a\\* \\`c\\` ~^\\\\ |" in row
            and "ood\\|a&lt;b&gt;&_%" in header, f"{header}\n{row}")
    tex = (tmp / "odd" / "tables" / "toy_b_auroc.tex").read_text()
    c.check("LaTeX: the same characters are escaped or spelt as text",
            "knn \\textless{}b\\textgreater{}\\textbar{}x \\& y\\_z\\% \\#1 *a* `c` \\textasciitilde{}"
            "\\textasciicircum{}\\textbackslash{} &" in tex and
            "ood\\textbar{}a\\textless{}b\\textgreater{}\\&\\_\\%" in tex, tex[:900])

    bad = dict(base, tables={"latex": "mean_sem"})
    (tmp / "bad.json").write_text(json.dumps(bad))
    proc = run(binary, "run", tmp / "bad.json", "--out", tmp / "bad", check=False)
    c.check("a bad latex value is exit 2 naming the file and /tables/latex",
            proc.returncode == 2 and "bad.json" in proc.stderr and "/tables/latex" in proc.stderr
            and "mean_std" in proc.stderr, proc.stderr.strip())
c.exit()
