#!/usr/bin/env python3
"""The report's SVG plots are readable: a sweep with 11 detectors gives ROC panels of at most 8 curves, each curve of
a panel in its own Okabe-Ito colour and dash, each legend entry with that set's AUROC (%, of the plotted lowest
seed), a square 0..1 plot area with the chance diagonal; histograms on their record's axis (log10 where the record
says so); MaRS's spectrum on exactly its groups; the same plots on a second report.
Usage: test_plots.py OODBENCH_BINARY DATA_DIR
"""
import json
import os
import pathlib
import re
import sys
import tempfile
import xml.etree.ElementTree as ET

from sweep_common import Checks, records, run, toy_data

binary = os.path.abspath(sys.argv[1])
c = Checks()
SVG = "{http://www.w3.org/2000/svg}"
OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#F0E442"}


def parse(path):
    root = ET.parse(path).getroot()
    area = root.find(f"{SVG}rect[@class='plot-area']")
    return {
        "area": {k: float(area.get(k)) for k in ("x", "y", "width", "height", "data-x-min", "data-x-max",
                                                 "data-y-min", "data-y-max")},
        "curves": [(p.get("stroke"), p.get("stroke-dasharray", "")) for p in root.iter(f"{SVG}polyline")],
        "legend": [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend"],
        "x_ticks": [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "x-tick"],
        "diagonal": root.find(f"{SVG}line[@class='diagonal']"),
        "texts": [t.text or "" for t in root.iter(f"{SVG}text")],
    }


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    config = {
        "name": "plots", "data_root": "data", "datasets": [toy_data(tmp / "data")], "seeds": [1, 0],
        "detectors": [{"name": "msp"}, {"name": "energy"}, {"name": "maxlogit"}, {"name": "entropy"},
                      {"name": "knn", "params": {"k": [1, 5, 20]}}, {"name": "mahalanobis"}, {"name": "maxcosine"},
                      {"name": "rmds"}, {"name": "mars", "params": {"epochs": 2, "hidden": 32, "bottleneck": 8}}],
        "tables": {"formats": ["md"]},
    }
    (tmp / "plots.json").write_text(json.dumps(config))
    out = tmp / "out"
    run(binary, "run", tmp / "plots.json", "--out", out, "--quiet")
    recs = records(out)
    plotted = {}  # label -> its record of the lowest seed, as the plots show it
    for r in sorted(recs, key=lambda r: -1 if r["seed"] is None else r["seed"]):
        plotted.setdefault(r["label"], r)
    names = sorted(p.name for p in (out / "plots").iterdir())
    c.check("plot file names are file-name safe", all(re.fullmatch(r"[A-Za-z0-9_-]+\.svg", n) for n in names), str(names))

    sets = [o["name"] for o in next(iter(plotted.values()))["ood"]]
    for j, set_name in enumerate(sets):
        panels = sorted(n for n in names if n.startswith(f"roc_toy_b_{set_name}_p"))
        c.check(f"{set_name}: ROC panels numbered from 1", panels == [f"roc_toy_b_{set_name}_p{k}.svg"
                                                                    for k in range(1, len(panels) + 1)], str(panels))
        shown, aurocs, problems = [], [], []
        for name in panels:
            svg = parse(out / "plots" / name)
            curves, legend, area = svg["curves"], svg["legend"], svg["area"]
            if not 0 < len(curves) <= 8:
                problems.append(f"{name}: {len(curves)} curves")
            if len(set(curves)) != len(curves) or len({s for s, _ in curves}) != len(curves) or \
                    len({d for _, d in curves}) != len(curves):
                problems.append(f"{name}: colours or dashes repeat {curves}")
            if not {s for s, _ in curves} <= OKABE_ITO:
                problems.append(f"{name}: colours outside Okabe-Ito {curves}")
            if len(legend) != len(curves):
                problems.append(f"{name}: {len(legend)} legend entries for {len(curves)} curves")
            for entry in legend:
                m = re.fullmatch(r"(.*) \((\d+\.\d)\)", entry)
                if not m or m.group(1) not in plotted:
                    problems.append(f"{name}: legend entry {entry!r}")
                    continue
                want = "%.1f" % (plotted[m.group(1)]["ood"][j]["metrics"]["auroc"] * 100)
                if m.group(2) != want:
                    problems.append(f"{name}: {entry!r}, the record says {want}")
                shown.append(m.group(1))
                aurocs.append(float(m.group(2)))
            if area["width"] != area["height"] or (area["data-x-min"], area["data-x-max"], area["data-y-min"],
                                                   area["data-y-max"]) != (0, 1, 0, 1):
                problems.append(f"{name}: plot area {area}")
            d = svg["diagonal"]
            if d is None or [float(d.get(k)) for k in ("x1", "y1", "x2", "y2")] != \
                    [area["x"], area["y"] + area["height"], area["x"] + area["width"], area["y"]]:
                problems.append(f"{name}: no chance diagonal from (0, 0) to (1, 1)")
        c.check(f"{set_name}: {len(panels)} panels of at most 8 curves, distinct Okabe-Ito colours and dashes, "
                "AUROC in every legend entry, square 0..1 area, chance diagonal", panels and not problems,
                "; ".join(problems[:3]))
        c.check(f"{set_name}: every detector in exactly one panel, best AUROC first",
                sorted(shown) == sorted(plotted) and aurocs == sorted(aurocs, reverse=True), f"{shown} {aurocs}")
    c.check("11 detectors need more than one panel", len(plotted) == 11 and
            any(n.endswith("_p2.svg") for n in names), f"{len(plotted)} detectors")

    scales, wrong = set(), []
    for label, r in plotted.items():
        svg = parse(out / "plots" / f"hist_toy_b_{re.sub(r'[^A-Za-z0-9-]', '_', label)}.svg")
        axis, area = r["histogram_axis"], svg["area"]
        scales.add(axis["scale"])
        same = abs(area["data-x-min"] - axis["low"]) <= 1e-5 * max(1, abs(axis["low"])) and \
            abs(area["data-x-max"] - axis["high"]) <= 1e-5 * max(1, abs(axis["high"]))
        logged = any(s.startswith("log10(score)") for s in svg["texts"])
        if not same or logged != (axis["scale"] == "log10") or len(svg["curves"]) != 1 + len(r["ood"]):
            wrong.append(f"{label}: axis {axis}, plot [{area['data-x-min']}, {area['data-x-max']}], log10 label {logged}")
    c.check("histograms on their record's shared axis, labelled log10 exactly where it is", not wrong, "; ".join(wrong[:2]))
    c.check("the sweep has linear and log10 histogram axes", scales == {"linear", "log10"}, str(scales))

    mars = plotted["mars"]
    groups = len(mars["ood"][0]["spectrum"]["energy_ratio"])
    svg = parse(out / "plots" / "spectrum_toy_b_mars.svg")
    c.check("spectrum x axis is exactly groups 1..G", groups == 32 and
            (svg["area"]["data-x-min"], svg["area"]["data-x-max"]) == (1, groups) and
            svg["x_ticks"][0] == "1" and svg["x_ticks"][-1] == str(groups), f"{groups} groups, {svg['area']}, {svg['x_ticks']}")

    before = {n: (out / "plots" / n).read_bytes() for n in names}
    run(binary, "report", out)
    after = {p.name: p.read_bytes() for p in (out / "plots").iterdir()}
    c.check("a second report writes the same plots byte for byte", before == after)
c.exit()
