#!/usr/bin/env python3
"""A sweep with "remap_labels" prints each dataset's label mapping on stderr once, as `score --remap-labels` does.
Usage: test_label_map_output.py OODBENCH_BINARY DATA_DIR
"""
import json
import pathlib
import sys
import tempfile

import numpy as np

from sweep_common import Checks, records, run, toy_data

binary = sys.argv[1]
_tmp = tempfile.TemporaryDirectory()
tmp = pathlib.Path(_tmp.name)
c = Checks()
dataset = toy_data(tmp / "data")
np.save(tmp / "data" / "labels.npy", np.load(tmp / "data" / "labels.npy") * 10 + 7)  # classes 7, 17, 27
path = tmp / "remap.json"
path.write_text(json.dumps({"name": "remap", "data_root": str(tmp / "data"), "datasets": [dataset],
                            "detectors": [{"name": "mahalanobis"}, {"name": "msp"}], "plots": False,
                            "remap_labels": True}))
proc = run(binary, "run", path, "--out", tmp / "out", "--no-report")
line = "toy/b: train labels remapped to 0..2: 0 <- 7, 1 <- 17, 2 <- 27"
c.check("run prints the mapping", line in proc.stderr, proc.stderr)
c.check("once for the dataset", proc.stderr.count("remapped") == 1, proc.stderr)
c.check("the records carry it too", all(r.get("label_map") == [7, 17, 27] for r in records(tmp / "out")),
        [r.get("label_map") for r in records(tmp / "out")])
c.exit()
