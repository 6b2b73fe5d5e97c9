#!/usr/bin/env python3
"""Failure detection in a sweep: each cell's `failure` record (ID test and a labelled csid set) against a NumPy
statement of docs/methods.md's definitions on the kept scores, with the head's correctness from NumPy's argmax; the
<dataset>_failure tables in every format, report.md, report.html and the risk-coverage plot; no failure anywhere
without labels; a bad csid `labels` entry refused naming its JSON pointer; records written before cells recorded
failure left out of the table by `report` and run again by `run`.
Usage: test_failure_tables.py OODBENCH_BINARY DATA_DIR
"""
import json
import pathlib
import sys
import tempfile

import numpy as np

from sweep_common import Checks, cosine_head, records, run

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
features, labels = np.load(data_dir / "mobilenet_v2.npz"), np.load(data_dir / "labels.npz")
X, y = features["chestxray_train"].astype(np.float64), labels["chestxray_train"]
c = Checks()


def reference(scores, correct):
    """docs/methods.md, "Failure detection": confidence -score, tie groups accepted together, the risk on a grid."""
    n, wrong = len(scores), ~correct
    order = np.argsort(scores, kind="stable")
    s, e = scores[order], wrong[order]
    ends = np.r_[np.nonzero(s[1:] != s[:-1])[0], n - 1]  # the last row of each tie group
    k = ends + 1
    ek = np.cumsum(e)[ends]
    sizes = np.diff(np.r_[0, k])
    errors = int(wrong.sum())
    steps = np.arange(1, n + 1)
    ideal = np.sum(np.maximum(0, steps - (n - errors)) / steps) / n
    aurc = np.sum(sizes / n * ek / k)
    risk = ek / k
    grid = [risk[np.searchsorted(k / n, q - 1e-12)] for q in np.arange(1, 101) / 100]
    return {"aurc": aurc, "eaurc": aurc - ideal, "augrc": np.sum(sizes / n * ek / n), "accuracy": 1 - errors / n,
            "n": n, "errors": errors}, grid


def agrees(entry, scores, correct):
    """Whether a record's failure entry is the reference on these scores; what differs otherwise."""
    want, grid = reference(scores, correct)
    got = {m: entry.get(m) for m in want}
    same = all(got[m] is not None and abs(got[m] - want[m]) <= 1e-12 for m in want)
    same = same and np.allclose(entry.get("risk_coverage", []), grid, rtol=0, atol=1e-12)
    return same, "" if same else f"{got} vs {want}"


def strip_failure(folder, cell):
    lines = []
    for r in records(folder):
        if r["cell"] == cell:
            del r["failure"]
        lines.append(json.dumps(r))
    (folder / "records.jsonl").write_text("\n".join(lines) + "\n")


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    W, b, head = cosine_head(tmp, X, y)
    bad_class = labels["chestxray_noise"].copy()
    bad_class[5] = 7
    np.save(tmp / "bad_class.npy", bad_class)

    def head_correct(key):
        return (features[key].astype(np.float64) @ W.T.astype(np.float64) + b).argmax(1) == labels[key]

    def dataset(test_labels=True, csid_labels="labels.npz:chestxray_noise", far_labels=None):
        d = {"modality": "chestxray", "backbone": "mobilenet_v2",
             "train": {"features": "{backbone}.npz:chestxray_train", "labels": "labels.npz:chestxray_train"},
             "test": {"features": "{backbone}.npz:chestxray_test"},
             "head": head,
             "ood": [{"name": "mnist_far", "shift": "far", "features": "{backbone}.npz:mnist_far"},
                     {"name": "noise", "shift": "covariate", "role": "csid",
                      "features": "{backbone}.npz:chestxray_noise"},
                     {"name": "blur", "shift": "covariate", "role": "csid", "features": "{backbone}.npz:chestxray_blur"}]}
        if test_labels:
            d["test"]["labels"] = "labels.npz:chestxray_test"
        if csid_labels:
            d["ood"][1]["labels"] = csid_labels
        if far_labels:
            d["ood"][0]["labels"] = far_labels
        return d

    def config(name, d, bootstrap=100):
        path = tmp / f"{name}.json"
        path.write_text(json.dumps({"name": name, "data_root": str(data_dir), "datasets": [d], "keep_scores": True,
                                    "detectors": [{"name": "knn", "params": {"k": 5}}, {"name": "energy"}, {"name": "msp"}],
                                    "tables": {"formats": ["md", "csv", "json", "tex"], "bootstrap": bootstrap}}))
        return path

    out = tmp / "labelled"
    run(binary, "run", config("labelled", dataset()), "--out", out)
    recs = records(out)
    n_test = len(labels["chestxray_test"])
    for r in recs:
        kept = np.load(out / r["scores"]["file"])
        f = r.get("failure", {})
        ok, detail = agrees(f.get("id_test", {}), kept["id"][:n_test], head_correct("chestxray_test"))
        c.check(f"{r['label']}: ID test failure metrics as the NumPy definitions", ok, detail)
        c.check(f"{r['label']}: its accuracy is id_accuracy", "id_test" in f and f["id_test"]["accuracy"] == r["id_accuracy"])
        csid = f.get("csid", [])
        c.check(f"{r['label']}: only the labelled csid set has failure metrics", [e["name"] for e in csid] == ["noise"],
                [e["name"] for e in csid])
        if csid:
            ok, detail = agrees(csid[0], kept["ood/noise"], head_correct("chestxray_noise"))
            c.check(f"{r['label']}: csid failure metrics as the NumPy definitions", ok, detail)
        entries = [f.get("id_test", {})] + csid
        c.check(f"{r['label']}: bootstrap intervals around each value",
                all("ci95" in e and all(e["ci95"]["low"][m] <= e["ci95"]["high"][m] for m in ("aurc", "eaurc", "augrc"))
                    for e in entries))

    again = tmp / "again"
    run(binary, "run", config("labelled", dataset()), "--out", again)
    c.check("the same config gives the same failure records, intervals included",
            [r["failure"] for r in records(again)] == [r["failure"] for r in recs])

    stem = "chestxray_mobilenet_v2_failure"
    c.check("the failure table in every format",
            all((out / "tables" / f"{stem}.{fmt}").exists() for fmt in ("md", "csv", "json", "tex")))
    table = json.loads((out / "tables" / f"{stem}.json").read_text())
    c.check("its columns: AURC, E-AURC, AUGRC of ID test, then of the labelled csid set",
            [(col["shift"], col["name"]) for col in table["columns"]] ==
            [(g, m) for g in ("ID test", "csid: noise") for m in ("AURC", "E-AURC", "AUGRC")], table["columns"])
    by_label = {r["label"]: r["failure"] for r in recs}
    c.check("its cells are the records' values (one run each)",
            all(abs(row["cells"][i]["mean"] - by_label[row["detector"]][g][k]) < 1e-15
                for row in table["rows"] for i, (g, k) in enumerate([("id_test", m) for m in ("aurc", "eaurc", "augrc")]))
            and all(abs(row["cells"][3 + i]["mean"] - by_label[row["detector"]]["csid"][0][m]) < 1e-15
                    for row in table["rows"] for i, m in enumerate(("aurc", "eaurc", "augrc"))))
    c.check("the best of a column is the lowest", all(
        row["cells"][0]["best"] == (row["cells"][0]["mean"] == min(x["cells"][0]["mean"] for x in table["rows"]))
        for row in table["rows"]))
    c.check("the caption says lower is better and what the confidence is",
            "lower is better" in table["title"] and "confidence = -score" in table["title"] and "[a, b]" in table["note"],
            table["title"] + " / " + table["note"])
    tex = (out / "tables" / f"{stem}.tex").read_text()
    c.check("the LaTeX caption too", "confidence = -score" in tex.split("\\caption{")[1].split("\n")[0], tex[:400])
    c.check("intervals in the table", all(cell["ci95"] is not None for row in table["rows"] for cell in row["cells"]))
    report_md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    c.check("report.md has the failure table and the plot", "failure detection of the head's errors" in report_md
            and "risk_coverage_chestxray_mobilenet_v2.svg" in report_md)
    c.check("report.html has the failure table, switch and plot", 'data-metric="failure"' in html and
            "failure detection (AURC" in html and 'id="risk_coverage_chestxray_mobilenet_v2.svg"' in html)
    svg = (out / "plots" / "risk_coverage_chestxray_mobilenet_v2.svg").read_text()
    c.check("the risk-coverage plot has a curve per detector", svg.count('class="curve"') == 3, svg.count('class="curve"'))

    # A record written before cells recorded failure: `report` leaves it out and says so; `run` runs it again.
    stale = recs[0]["cell"]
    strip_failure(out, stale)
    run(binary, "report", out)
    table = json.loads((out / "tables" / f"{stem}.json").read_text())
    c.check("report leaves a record without failure out and says so",
            len(table["rows"]) == 2 and "1 records of this dataset have no failure-detection metrics" in table["note"],
            table["note"])
    proc = run(binary, "run", config("labelled", dataset()), "--out", out)
    c.check("run sets it aside and runs its cell again", "moved 1 records" in proc.stderr and
            {r["cell"]: r["failure"] for r in records(out)}[stale] == recs[0]["failure"], proc.stderr)

    # Another bootstrap count: the correctness is not kept, so labelled cells run again rather than keep stale
    # intervals.
    proc = run(binary, "run", config("labelled", dataset(), bootstrap=0), "--out", out)
    now = {r["cell"]: r["failure"] for r in records(out)}
    c.check("bootstrap 0: every labelled cell runs again, its failure without intervals and otherwise the same",
            "moved 3 records" in proc.stderr and all(
                "ci95" not in now[r["cell"]]["id_test"] and now[r["cell"]]["id_test"]["aurc"] == r["failure"]["id_test"]["aurc"]
                for r in recs), proc.stderr[-300:])

    # A grid under `select`: the failure table has the selected point's row only, with its record's numbers.
    selected = dataset()
    selected["val"] = {"features": "{backbone}.npz:chestxray_val"}
    selected["ood"].append({"name": "fashion_far", "shift": "far", "features": "{backbone}.npz:fashion_far"})
    path = tmp / "select.json"
    path.write_text(json.dumps({"name": "select", "data_root": str(data_dir), "datasets": [selected],
                                "detectors": [{"name": "knn", "params": {"k": [1, 50]}}], "plots": False,
                                "select": {"metric": "auroc", "on": ["fashion_far"]}, "tables": {"formats": ["json"]}}))
    run(binary, "run", path, "--out", tmp / "select")
    table = json.loads((tmp / "select" / "tables" / f"{stem}.json").read_text())
    rows = [row["detector"] for row in table["rows"]]
    chosen = [r for r in records(tmp / "select") if r["grid"]["values"] in (rows[0] if rows else "")]
    c.check("select: one row, the selected grid point's, with its record's numbers",
            len(rows) == 1 and "selected" in rows[0] and len(chosen) == 1 and
            table["rows"][0]["cells"][0]["mean"] == chosen[0]["failure"]["id_test"]["aurc"], rows)

    # Without labels: no failure field, table or plot.
    bare = tmp / "bare"
    run(binary, "run", config("bare", dataset(test_labels=False, csid_labels=None)), "--out", bare)
    c.check("no labels: no failure in the records", all("failure" not in r for r in records(bare)))
    c.check("no labels: no failure table or risk-coverage plot",
            not list((bare / "tables").glob("*failure*")) and not list((bare / "plots").glob("risk_coverage*")))
    only_csid = tmp / "only_csid"
    run(binary, "run", config("only_csid", dataset(test_labels=False)), "--out", only_csid)
    c.check("csid labels alone: failure has csid only",
            all(list(r["failure"]) == ["csid"] for r in records(only_csid)))

    # Bad csid labels: refused before any cell, naming the JSON pointer.
    for name, d, pointer, words in [
        ("rows", dataset(csid_labels="labels.npz:breastus_test"), "/datasets/0/ood/1/labels", "156 labels for 624"),
        ("role", dataset(far_labels="labels.npz:mnist_far"), "/datasets/0/ood/0/labels", "role \"csid\""),
        ("class", dataset(csid_labels=str(tmp / "bad_class.npy")), "/datasets/0/ood/1/labels", "row 5 has class 7"),
    ]:
        proc = run(binary, "run", config(f"bad_{name}", d), "--out", tmp / f"bad_{name}", check=False)
        c.check(f"bad csid labels ({name}): exit 2 naming {pointer}",
                proc.returncode == 2 and pointer in proc.stderr and words in proc.stderr, proc.stderr[-400:])
        c.check(f"bad csid labels ({name}): no records", not (tmp / f"bad_{name}" / "records.jsonl").exists())
c.exit()
