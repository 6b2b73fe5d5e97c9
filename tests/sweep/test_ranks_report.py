#!/usr/bin/env python3
"""A config's "tables": {"ranks": true} puts the rankings (by AUROC) and the critical-difference diagram in report.md
and report.html with the numbers `oodbench ranks --json` gives, as files listed in report_files.json that a report
without ranks removes; "tables": {"correction": "holm"} makes the † marks Holm-corrected within each column, checked
against a NumPy Holm over the p-values `oodbench compare` gives for the same pairs; bad values are exit 2 naming
their JSON pointer. Usage: test_ranks_report.py OODBENCH DATA_DIR
"""
import html
import json
import pathlib
import re
import shutil
import sys
import tempfile

import numpy as np

from sweep_common import Checks, run, toy_data

binary = sys.argv[1]
checks = Checks()
DETECTORS = ["knn", "mahalanobis", "msp", "energy", "maxcosine", "vim"]


def holm(p):
    """Holm's step-down adjusted p-values, in input order."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, (len(p) - np.arange(len(p))) * p[order])
    out = np.empty(len(p))
    out[order] = np.maximum.accumulate(adjusted)
    return out


def report(folder, **tables):
    """Rewrites the folder's config.json with these tables keys and reports again."""
    config = json.loads((folder / "config.json").read_text())
    config["tables"] = tables
    (folder / "config.json").write_text(json.dumps(config))
    run(binary, "report", folder)


def marks(folder):
    """{(column, detector): near_best} of the dataset's AUROC table, and its note."""
    table = json.loads((folder / "tables" / "toy_b_auroc.json").read_text())
    out = {}
    for row in table["rows"]:
        for column, cell in zip(table["columns"], row["cells"]):
            if cell is not None and column["name"] != "avg":
                out[(column["name"], row["detector"])] = (cell["best"], cell["near_best"])
    return out, table["note"]


with tempfile.TemporaryDirectory() as d:
    tmp = pathlib.Path(d)
    dataset = toy_data(tmp, dims=16, seed=1)  # a near set where Holm takes three † marks away (checked below)
    config = {"name": "ranks_report", "datasets": [dataset], "detectors": [{"name": n} for n in DETECTORS],
              "keep_scores": True, "tables": {"ranks": True, "formats": ["md", "json"]},
              "plots": {"formats": ["svg", "png"]}}
    (tmp / "c.json").write_text(json.dumps(config))
    out = tmp / "out"
    run(binary, "run", tmp / "c.json", "--out", out, "--quiet")

    # The table and the diagram, with the numbers of `oodbench ranks --json`.
    want = json.loads(run(binary, "ranks", out, "--json").stdout)
    got = json.loads((out / "tables" / "ranks_auroc.json").read_text())
    checks.check("tables/ranks_auroc.json is `ranks --json`", got == want)
    text = (out / "report.md").read_text()
    section = text[text.index("## Rankings"):]
    rows = re.findall(r"^\| ([^|]+) \| ([0-9.]+) \| ([^|]+) \|$", section, re.M)
    ranks = {label: float(rank) for label, rank, _ in rows}
    checks.check("report.md ranks every detector", sorted(ranks) == sorted(d["label"] for d in want["detectors"]))
    checks.check("report.md's average ranks", all(abs(ranks[d["label"]] - d["average_rank"]) <= 0.005
                                                    for d in want["detectors"]), ranks)
    for label, _, p in rows:
        entry = next(d for d in want["detectors"] if d["label"] == label)
        if label == want["best"]:
            checks.check("report.md: the best row says so", p.strip() == "best", p)
        else:
            checks.check(f"report.md: {label}'s Holm p", abs(float(p.split()[0]) - entry["p_holm"]) <=
                         max(5e-4, 0.05 * entry["p_holm"]) and p.strip().endswith("*") == entry["significant"], p)
    checks.check("report.md: Friedman, Iman-Davenport, CD",
                 f"Friedman χ² = {want['friedman']['statistic']:.3f}" in section and
                 f"Iman-Davenport F = {want['iman_davenport']['statistic']:.3f}" in section and
                 f"{want['nemenyi_cd']:.3f}" in section, want["friedman"])
    checks.check("caption: blocks, seeds, csid",
                 f"over {len(want['blocks'])} blocks (a dataset x an OOD set, each value the mean over seeds" in section
                 and "Covariate-shifted ID sets (role csid) are no blocks" in section)
    checks.check("report.md links the diagram", "(plots/cd_auroc.svg)" in section)
    checks.check("tables/ranks_auroc.md is the section's table",
                 (out / "tables" / "ranks_auroc.md").read_text().strip() in section)
    page = (out / "report.html").read_text()
    body = page[page.index("<h2>Rankings</h2>"):]
    cells = re.findall(r"<tr><td>([^<]*)</td><td>([0-9.]+)</td>", body[:body.index("</table>")])
    checks.check("report.html's ranking table", {html.unescape(l): float(r) for l, r in cells} == ranks, cells)
    checks.check("report.html's caption", f"{want['nemenyi_cd']:.3f}" in body and "Friedman" in body)
    svg = (out / "plots" / "cd_auroc.svg").read_text()
    checks.check("report.html inlines the diagram", '<figure id="cd_auroc.svg">' + svg in body)
    drawn = re.findall(r'data-rank="([0-9.e+-]+)"', svg)
    checks.check("the diagram draws every average rank",
                 np.allclose(sorted(map(float, drawn)), sorted(d["average_rank"] for d in want["detectors"]),
                             rtol=1e-5),
                 drawn)
    checks.check("PNG as plots/formats asks", (out / "plots" / "cd_auroc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n")
    new_files = {"tables/ranks_auroc.md", "tables/ranks_auroc.json", "plots/cd_auroc.svg", "plots/cd_auroc.png"}
    listed = set(json.loads((out / "report_files.json").read_text())["files"])
    checks.check("report_files.json lists the new files", new_files <= listed, sorted(listed))

    # A report without ranks takes them away again; one with one detector says why there are none.
    report(out, formats=["md", "json"])
    listed = set(json.loads((out / "report_files.json").read_text())["files"])
    checks.check("without ranks: files removed",
                 not any((out / f).exists() for f in new_files) and not new_files & listed)
    checks.check("without ranks: no section", "## Rankings" not in (out / "report.md").read_text() and
                 "<h2>Rankings</h2>" not in (out / "report.html").read_text())

    # Holm: the marks equal a NumPy Holm over compare's p-values, column by column; uncorrected, p >= 0.05 alone.
    uncorrected, note = marks(out)
    checks.check("uncorrected note", "no multiplicity correction" in note, note)
    checks.check("uncorrected HTML", "paired bootstrap, uncorrected)" in (out / "report.html").read_text())
    columns = sorted({c for c, _ in uncorrected})
    best = {c: next(l for (cc, l), (b, _) in uncorrected.items() if cc == c and b) for c in columns}
    compared = {}
    for label in DETECTORS:
        for c in columns:
            if label == best[c]:
                continue
            key = (best[c], label)
            if key not in compared:
                result = json.loads(run(binary, "compare", out, best[c], label, "--json").stdout)
                compared[key] = {s["name"]: s["metrics"]["auroc"]["p_value"] for s in result["datasets"][0]["sets"]}
    expected_plain, expected_holm = {}, {}
    for c in columns:
        others = [l for l in DETECTORS if l != best[c] and not uncorrected[(c, l)][0]]
        p = [compared[(best[c], l)][c] for l in others]
        for l, raw, adjusted in zip(others, p, holm(p)):
            expected_plain[(c, l)], expected_holm[(c, l)] = raw >= 0.05, adjusted >= 0.05
    checks.check("uncorrected marks: p >= 0.05",
                 all(uncorrected[k][1] == v for k, v in expected_plain.items()), expected_plain)
    report(out, formats=["md", "json", "tex"], correction="holm")
    corrected, note = marks(out)
    checks.check("Holm marks equal NumPy's Holm", all(corrected[k][1] == v for k, v in expected_holm.items()),
                 {k: (corrected[k][1], v) for k, v in expected_holm.items()})
    checks.check("Holm changes some mark here", any(expected_plain[k] != expected_holm[k] for k in expected_holm),
                 {k: compared[(best[k[0]], k[1])][k[0]] for k in expected_holm})
    checks.check("Holm note", "Holm-corrected over the column's comparisons" in note, note)
    checks.check("Holm HTML",
                 "paired bootstrap, Holm-corrected within each column)" in (out / "report.html").read_text())
    checks.check("Holm LaTeX caption", "Holm-corrected within the column)" in
                 (out / "tables" / "toy_b_auroc.tex").read_text())

    # A selected grid counts once, at its chosen point, and the caption says so.
    shutil.copy(tmp / "test.npy", tmp / "val.npy")
    selected = dict(config, datasets=[dict(dataset, val={"features": "val.npy"})], keep_scores=False, plots=False,
                    detectors=[{"name": "knn", "params": {"k": [1, 5]}}, {"name": "mahalanobis"}, {"name": "msp"}],
                    select={"metric": "auroc", "on": ["near"]})
    (tmp / "select.json").write_text(json.dumps(selected))
    run(binary, "run", tmp / "select.json", "--out", tmp / "select", "--quiet")
    section = (tmp / "select" / "report.md").read_text().split("## Rankings")[1]
    labels = re.findall(r"^\| ([^|]+) \| [0-9.]+ \|", section, re.M)
    checks.check("selected grid: one knn row, the chosen one", sum("knn" in l for l in labels) == 1 and
                 any(l.endswith(", selected)") for l in labels), labels)
    checks.check("selected grid: the caption says so", "counts once, at the grid point chosen" in section and
                 "over 2 blocks" in section, section[-600:])

    # One detector: no rankings, said in the report and as a warning; the rest of the report stands.
    (tmp / "one.json").write_text(json.dumps(dict(config, detectors=[{"name": "knn"}], keep_scores=False)))
    proc = run(binary, "run", tmp / "one.json", "--out", tmp / "one")
    checks.check("one detector: the report says why there are no rankings",
                 "no rankings: ranks: fewer than two detectors" in (tmp / "one" / "report.md").read_text() and
                 "no rankings" in proc.stderr and not (tmp / "one" / "tables" / "ranks_auroc.json").exists(),
                 proc.stderr)

    # Bad values: exit 2 naming the JSON pointer, no folder written.
    for key, value in (("ranks", "yes"), ("correction", "bonferoni")):
        bad = dict(config, tables={key: value})
        (tmp / "bad.json").write_text(json.dumps(bad))
        proc = run(binary, "run", tmp / "bad.json", "--out", tmp / f"bad_{key}", check=False)
        checks.check(f"tables.{key} = {value!r}: exit 2 naming /tables/{key}",
                     proc.returncode == 2 and f"/tables/{key}" in proc.stderr and not (tmp / f"bad_{key}").exists(),
                     proc.stderr)

checks.exit()
