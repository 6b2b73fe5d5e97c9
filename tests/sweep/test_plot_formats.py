#!/usr/bin/env python3
"""PNG and PDF plots ("plots": {"formats": ["svg", "png", "pdf"]}): every SVG also as a PNG at twice its size and a
one-page PDF at its size, rendered from the same SVG by librsvg; not blank; the same bytes on a second report;
unknown formats are config errors. Usage: test_plot_formats.py OODBENCH_BINARY DATA_DIR
"""
import json
import pathlib
import re
import sys
import tempfile

import numpy as np
from PIL import Image

from sweep_common import Checks, run, toy_data

binary = sys.argv[1]
c = Checks()
with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    config = {"name": "formats", "data_root": str(tmp / "data"), "datasets": [toy_data(tmp / "data")],
              "detectors": [{"name": "knn", "params": {"k": 5}}, {"name": "msp"}],
              "plots": {"formats": ["png", "pdf"]}}
    (tmp / "config.json").write_text(json.dumps(config))
    out = tmp / "out"
    run(binary, "run", tmp / "config.json", "--out", out, "--quiet")
    plots = out / "plots"
    svgs = sorted(plots.glob("*.svg"))
    c.check("svg is always written, png and pdf beside each", svgs and all(
        p.with_suffix(".png").exists() and p.with_suffix(".pdf").exists() for p in svgs), str(sorted(plots.iterdir())))
    for svg in svgs[:4]:
        text = svg.read_text()
        w, h = (float(v) for v in re.search(r'<svg[^>]*width="([\d.]+)"[^>]*height="([\d.]+)"', text).groups())
        png = Image.open(svg.with_suffix(".png"))
        c.check(f"{svg.stem}.png: PNG at twice the SVG's {w:g} x {h:g}", png.format == "PNG" and
                png.size == (round(2 * w), round(2 * h)), f"{png.format} {png.size}")
        pixels = np.asarray(png.convert("L"))
        c.check(f"{svg.stem}.png: drawn (dark pixels: axes, text, curves)", (pixels < 128).mean() > 0.002,
                f"{(pixels < 128).mean():.4f}")
        pdf = svg.with_suffix(".pdf").read_bytes()
        box = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", pdf)
        c.check(f"{svg.stem}.pdf: one page of the SVG's size", pdf.startswith(b"%PDF-") and box and
                abs(float(box.group(1)) - w) < 1 and abs(float(box.group(2)) - h) < 1 and
                pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page\n") >= 1,
                str(box.groups() if box else pdf[:200]))
    before = {p.name: p.read_bytes() for p in plots.iterdir()}
    run(binary, "report", out)
    after = {p.name: p.read_bytes() for p in plots.iterdir()}
    c.check("a second report writes the same bytes (no dates in the PDFs)", before == after,
            str([n for n in before if before[n] != after.get(n)][:3]))

    config["plots"] = {"formats": ["svg", "gif"]}
    (tmp / "bad.json").write_text(json.dumps(config))
    proc = run(binary, "run", tmp / "bad.json", "--out", tmp / "bad", check=False)
    c.check("an unknown plot format: exit 2 naming /plots/formats", proc.returncode == 2 and
            "/plots/formats/1" in proc.stderr and "gif" in proc.stderr, proc.stderr)
c.exit()
