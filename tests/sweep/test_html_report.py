#!/usr/bin/env python3
"""report.html in a real browser: headless Chromium (Debian's chromium) opens the page of a small sweep offline,
driven through the DevTools protocol over a pipe. No console message or exception; every table and plot rendered;
the metric switch shows the other metric's tables only; a header click sorts the rows; a screenshot is drawn. The
page is also checked without a browser: self-contained (no URL to fetch), one section per table, every plot inline.
Skips (exit 77) where Chromium is absent. Usage: test_html_report.py OODBENCH_BINARY DATA_DIR
"""
import base64
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

from sweep_common import Checks, run, toy_data

binary = sys.argv[1]
c = Checks()


class Browser:
    """Chromium with --remote-debugging-pipe: DevTools messages are NUL-terminated JSON on its fds 3 (in) and 4 (out)."""

    def __init__(self, executable):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def wire():  # the child's fd 3 reads our commands, fd 4 writes its answers
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--window-size=1400,1000", "about:blank"],
            pass_fds=(3, 4, to_chrome_r, from_chrome_w), preexec_fn=wire, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.reader = os.fdopen(self.from_chrome, "rb")
        self.next_id, self.buffer, self.events = 0, b"", []

    def _message(self):
        while b"\0" not in self.buffer:
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method, session=None, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._message()
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def wait_for(self, method, session):
        for i, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            e = self._message()
            if e.get("method") == method and e.get("sessionId") == session:
                return e
            self.events.append(e)

    def close(self):
        self.proc.kill()
        self.proc.wait()


with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    config = {"name": "html", "data_root": str(tmp / "data"), "datasets": [toy_data(tmp / "data")], "seeds": [0, 1],
              "keep_scores": True, "metrics": ["auroc", "fpr95"],
              "detectors": [{"name": "knn", "params": {"k": [1, 5]}}, {"name": "msp"}, {"name": "mahalanobis"},
                            {"name": "mars", "params": {"epochs": 2, "hidden": 16, "bottleneck": 4}}]}
    (tmp / "config.json").write_text(json.dumps(config))
    out = tmp / "out"
    run(binary, "run", tmp / "config.json", "--out", out, "--quiet")
    page = (out / "report.html").read_text()
    tables = sorted((out / "tables").glob("*.json"))
    plots = sorted((out / "plots").glob("*.svg"))
    c.check("self-contained: nothing to fetch (no src or href, no URL but the SVG namespace)",
            not re.search(r"\b(src|href)\s*=", page) and
            set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {"http://www.w3.org/2000/svg"},
            str(set(re.findall(r"https?://[^\s\"'<>]+", page))))
    c.check("one section per table", page.count('<section class="result"') == len(tables), f"{len(tables)} tables")
    c.check("every plot inline", page.count("<figure") == len(plots) and page.count("<svg") == len(plots))

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("skipped: no chromium (Debian: apt install chromium); the static checks above ran")
        c.exit() if c.failed else sys.exit(77)
    browser = Browser(chromium)
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            browser.send(f"{domain}.enable", session)
        browser.send("Page.navigate", session, url=(out / "report.html").as_uri())
        browser.wait_for("Page.loadEventFired", session)

        def evaluate(expression):
            result = browser.send("Runtime.evaluate", session, expression=expression, returnByValue=True)
            if "exceptionDetails" in result:
                raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
            return result["result"].get("value")

        visible = "Array.from(document.querySelectorAll('section.result')).filter(s => !s.hidden)" \
                  ".map(s => s.dataset.metric)"
        counts = evaluate("({tables: document.querySelectorAll('section.result table').length,"
                          " svgs: document.querySelectorAll('figure svg').length,"
                          " drawn: Array.from(document.querySelectorAll('details[open] figure svg')).filter("
                          "   s => s.getBoundingClientRect().width > 100).length})")
        roc = len([p for p in plots if p.name.startswith("roc_")])
        c.check("the browser rendered every table and plot (the ROC plots, unfolded, drawn at full size)",
                counts == {"tables": len(tables), "svgs": len(plots), "drawn": roc}, f"{counts}, {roc} ROC plots")
        before = evaluate(visible)
        c.check("at first only the first metric's tables show", set(before) == {"auroc"}, str(before))
        # The switch as a user works it: pick the option, which fires its change event.
        evaluate("(() => { const s = document.getElementById('metric'); s.value = 'fpr95';"
                 " s.dispatchEvent(new Event('change', {bubbles: true})); })()")
        after = evaluate(visible)
        c.check("the metric switch shows the other metric's tables only", set(after) == {"fpr95"}, str(after))
        # A click on a column header sorts the rows by it: by the all-average column, descending, then ascending.
        column = "document.querySelector('section.result:not([hidden]) table')"
        read = (f"Array.from({column}.tBodies[0].rows).map(r => r.cells[r.cells.length - 1].dataset.value)"
                ".filter(v => v !== '').map(Number)")
        evaluate(f"{column}.tHead.rows[0].lastElementChild.click()")
        first = evaluate(read)
        evaluate(f"{column}.tHead.rows[0].lastElementChild.click()")
        second = evaluate(read)
        c.check("a header click sorts (descending, then ascending)", first == sorted(first, reverse=True) and
                second == sorted(second) and len(first) > 2, f"{first} / {second}")
        shot = browser.send("Page.captureScreenshot", session, format="png")["data"]
        image = Image.open(io.BytesIO(base64.b64decode(shot))).convert("L")
        (tmp / "report.png").write_bytes(base64.b64decode(shot))
        c.check("the screenshot shows a drawn page", (np.asarray(image) < 128).mean() > 0.005, str(image.size))
        problems = [e for e in browser.events if e.get("method") in ("Runtime.exceptionThrown",
                                                                      "Runtime.consoleAPICalled", "Log.entryAdded")]
        c.check("no console message or exception", not problems, json.dumps(problems)[:600])
    finally:
        browser.close()
c.exit()
