#!/usr/bin/env python3
"""Copy the medood-mini embeddings from ../shared into data/ as compressed .npz (run once by a developer).

Checks every file against SHA256SUMS.json first, keeps float16, and writes one archive per backbone
(keys = set names) plus labels.npz. oodbench never reads ../shared at run time.
Usage: python3 scripts/bundle_medood_mini.py [SRC] [DST] [BACKBONE...]
"""
import hashlib
import json
import pathlib
import sys

import numpy as np

src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/medood-mini")
dst = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "data/medood-mini")
backbones = sys.argv[3:] or ["mobilenet_v2", "mobilenet_v2_mid", "inception_v3"]

sums = json.loads((src / "SHA256SUMS.json").read_text())


def checked_load(rel):
    path = src / rel
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    expected = sums.get(rel) or sums.get(str(rel))
    if expected is not None and digest != expected:
        sys.exit(f"{path}: checksum mismatch")
    return np.load(path)


dst.mkdir(parents=True, exist_ok=True)
sets = sorted(p.stem for p in (src / "labels").glob("*.npy"))
np.savez_compressed(dst / "labels.npz", **{s: checked_load(f"labels/{s}.npy") for s in sets})
for backbone in backbones:
    arrays = {s: checked_load(f"{backbone}/{s}.npy") for s in sets}
    assert all(a.dtype == np.float16 for a in arrays.values())
    np.savez_compressed(dst / f"{backbone}.npz", **arrays)
    print(backbone, (dst / f"{backbone}.npz").stat().st_size // 1024, "KiB")
