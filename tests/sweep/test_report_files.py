#!/usr/bin/env python3
"""The report's files and a researcher's beside them, and reports that say what they lack:
- `run` and `report` replace and remove only files oodbench wrote (listed in report_files.json): a researcher's
  own files in the folder, plots/ and tables/ stay, and a report.md or report.html of theirs is refused (exit 2,
  naming the file) before any cell runs; a folder reported into before the list existed is adopted.
- A run that moves records aside (the config changed) removes the report made from them at once, saying so, even
  with --no-report or when killed later: a folder never shows numbers its config did not give.
- `report` and `merge` of part of the plan warn (how many cells, a few names) and say "incomplete: R of P cells"
  on top of report.md and report.html; exit code 0.
Usage: test_report_files.py OODBENCH_BINARY DATA_DIR
"""
import json
import os
import pathlib
import sys
import tempfile

from sweep_common import Checks, run, toy_data

binary = os.path.abspath(sys.argv[1])
c = Checks()


def config(tmp, ks, name="rf", formats=("md", "csv")):
    data = toy_data(tmp / "data")
    cfg = {"name": name, "data_root": str(tmp / "data"), "datasets": [data],
           "detectors": [{"name": "knn", "params": {"k": list(ks)}}, {"name": "mahalanobis"}],
           "tables": {"formats": list(formats)}, "plots": True, "keep_scores": True}
    path = tmp / f"{name}_{'_'.join(map(str, ks))}_{'_'.join(formats)}.json"
    path.write_text(json.dumps(cfg))
    return path


def text(path):
    """The file's text, or "" when it is missing (a check then fails instead of the script)."""
    return path.read_text() if path.exists() else ""


def report_files(folder):
    """The report's own files (never report_files.json's word for it: what is on disk)."""
    folder = pathlib.Path(folder)
    out = {p.relative_to(folder).as_posix() for sub in ("tables", "plots") if (folder / sub).is_dir()
           for p in (folder / sub).iterdir()}
    return out | {n for n in ("report.md", "report.html") if (folder / n).exists()}


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    cfg = config(tmp, [1, 5])

    # 1. A researcher's folder: their report.md is refused up front, their other files survive every report.
    own = tmp / "own"
    (own / "plots").mkdir(parents=True)
    (own / "tables").mkdir()
    (own / "plots" / "my_figure.svg").write_text("<svg/>")
    (own / "tables" / "notes.md").write_text("mine")
    (own / "report.md").write_text("# my notes\n")
    p = run(binary, "run", cfg, "--out", own, "--quiet", check=False)
    c.check("run refuses to replace a report.md oodbench did not write: exit 2, naming it and --out",
            p.returncode == 2 and "report.md" in p.stderr and "--out" in p.stderr, f"rc {p.returncode}: {p.stderr}")
    c.check("... before any cell ran", not (own / "records.jsonl").exists())
    c.check("... leaving the researcher's report.md as it was", text(own / "report.md") == "# my notes\n")
    (own / "report.md").rename(tmp / "my_notes.md")
    p = run(binary, "run", cfg, "--out", own, "--quiet", check=False)
    c.check("with it moved away, run writes its report", p.returncode == 0 and (own / "report.md").exists(), p.stderr)
    c.check("the researcher's plots/ and tables/ files are untouched by the report",
            text(own / "plots" / "my_figure.svg") == "<svg/>" and
            text(own / "tables" / "notes.md") == "mine")
    listed = set(json.loads(text(own / "report_files.json") or "{}").get("files", []))
    c.check("report_files.json lists exactly the report's own files",
            listed == report_files(own) - {"plots/my_figure.svg", "tables/notes.md"}, f"{sorted(listed)}")
    before = report_files(own)
    run(binary, "run", config(tmp, [1, 5], formats=("md",)), "--out", own, "--quiet")
    csv = {f for f in before if f.endswith(".csv")}
    c.check("a report without CSV removes its own earlier CSV files, and only them",
            csv and report_files(own) == before - csv, f"{sorted(before ^ report_files(own))}")

    # The same refusal at report time, for files in tables/ and for report.html; nothing is written then.
    late = tmp / "late"
    run(binary, "run", cfg, "--out", late, "--quiet", "--no-report")
    (late / "report.html").write_text("<p>mine</p>")
    p = run(binary, "report", late, check=False)
    c.check("report refuses to replace a report.html oodbench did not write (exit 2, naming it), writing nothing",
            p.returncode == 2 and "report.html" in p.stderr and not (late / "report.md").exists() and
            text(late / "report.html") == "<p>mine</p>", f"rc {p.returncode}: {p.stderr}")

    # A folder reported into by an oodbench without the list: adopted, its reports replaced, nothing else removed.
    (own / "report_files.json").unlink(missing_ok=True)
    (own / "plots" / "later.svg").write_text("<svg/>")
    p = run(binary, "report", own, check=False)
    c.check("a folder reported into before report_files.json existed is reported into again",
            p.returncode == 0 and (own / "report_files.json").exists(), p.stderr)
    c.check("... keeping every file it does not write", (own / "plots" / "later.svg").exists() and
            (own / "plots" / "my_figure.svg").exists() and (own / "tables" / "notes.md").exists())

    # ... also when a rerun first sets records aside, which removes its report.md: tables and plots it then writes
    # were the old oodbench's (they exist, unlisted) and are replaced.
    legacy = tmp / "legacy"
    run(binary, "run", cfg, "--out", legacy, "--quiet")
    (legacy / "report_files.json").unlink()
    p = run(binary, "run", config(tmp, [1, 2]), "--out", legacy, "--quiet", check=False)
    c.check("an unlisted folder whose records are set aside is reported into again", p.returncode == 0 and
            "(k=2)" in text(legacy / "report.md") and (legacy / "report_files.json").exists(), p.stderr)

    # 2. A changed grid (k=5 -> k=2) moves the k=5 records aside; the report made from them goes at once.
    stale = tmp / "stale"
    run(binary, "run", cfg, "--out", stale, "--quiet")
    (stale / "tables" / "notes.md").write_text("mine")
    c.check("the first report shows knn (k=5)", "(k=5)" in text(stale / "report.md"))
    p = run(binary, "run", config(tmp, [1, 2]), "--out", stale, "--quiet", "--no-report")
    c.check("records of the old grid were moved aside", "moved 1 records" in p.stderr, p.stderr)
    removed = [line for line in p.stderr.splitlines() if "removed the report" in line]
    c.check("the run says in one line that it removed the report made from them", len(removed) == 1, p.stderr)
    c.check("report.md, report.html, tables and plots of the old records are gone (with --no-report too)",
            report_files(stale) == {"tables/notes.md"}, f"{sorted(report_files(stale))}")
    c.check("... and the researcher's file in tables/ stays", text(stale / "tables" / "notes.md") == "mine")
    run(binary, "report", stale)
    c.check("the next report shows the new grid only",
            "(k=2)" in text(stale / "report.md") and "(k=5)" not in text(stale / "report.md"))

    # 3. Part of the plan: shards merged without one, a shard's own folder.
    cfg5 = config(tmp, [1, 2, 3, 5])  # 5 cells: knn x 4, mahalanobis
    for i in range(5):
        run(binary, "run", cfg5, "--out", tmp / f"sh{i}", "--shard", f"{i}/5", "--quiet", "--no-report")
    p = run(binary, "merge", "--out", tmp / "m4", *[tmp / f"sh{i}" for i in range(4)], check=False)
    warning = [line for line in p.stderr.splitlines() if "incomplete: 4 of 5 cells" in line]
    c.check("merge of 4 of 5 shards: exit 0, a warning saying 4 of 5 cells",
            p.returncode == 0 and len(warning) == 1, f"rc {p.returncode}: {p.stderr}")
    c.check("... naming the missing cell", warning and "toy/b: " in warning[0], p.stderr)
    for name in ("report.md", "report.html"):
        page = text(tmp / "m4" / name)
        top = page[max(page.find("<body>"), 0):][:600]  # the page's visible beginning (its style and script come first)
        c.check(f"{name} says incomplete: 4 of 5 cells near the top", "incomplete: 4 of 5 cells" in top)
    p = run(binary, "report", tmp / "sh0", check=False)
    c.check("a shard's own report names 3 missing cells and how many more",
            p.returncode == 0 and "incomplete: 1 of 5 cells" in p.stderr and " and 1 more" in p.stderr, p.stderr)
    p = run(binary, "merge", "--out", tmp / "m5", *[tmp / f"sh{i}" for i in range(5)])
    c.check("a complete merge says nothing of incompleteness", "incomplete" not in p.stderr and
            "incomplete" not in text(tmp / "m5" / "report.md") and
            "incomplete" not in text(tmp / "m5" / "report.html"), p.stderr)

c.exit()
