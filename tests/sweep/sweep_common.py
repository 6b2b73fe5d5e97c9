"""Helpers for the sweep tests: running oodbench, reading records, comparing result folders."""
import json
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from check_counter import Checks  # noqa: E402,F401  (the sweep tests import it from here)

VOLATILE = ("timings", "run")  # the only record fields allowed to differ between identical runs


def run(binary, *args, check=True, cwd=None):
    proc = subprocess.run([binary, "--device", "cpu", *map(str, args)], capture_output=True, text=True, cwd=cwd)
    if check and proc.returncode != 0:
        raise AssertionError(f"oodbench {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def records(folder):
    lines = (pathlib.Path(folder) / "records.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line]


def stable(record):
    return {k: v for k, v in record.items() if k not in VOLATILE}


def by_cell(folder):
    return {r["cell"]: stable(r) for r in records(folder)}


def table_files(folder):
    return {p.name: p.read_text() for p in sorted((pathlib.Path(folder) / "tables").iterdir())}


def cosine_head(folder, X, y):
    """A two-class linear head in `folder` (W.npy, b.npy): the rows of W are the unit-length class means of the train
    features X (labels y), b = (0.3, -0.3). Returns (W, b, its "head" entry for a dataset)."""
    import numpy as np
    folder = pathlib.Path(folder)
    means = np.stack([X[y == k].mean(0) for k in range(2)])
    W = (means / np.linalg.norm(means, axis=1, keepdims=True)).astype(np.float32)
    b = np.array([0.3, -0.3], dtype=np.float32)
    np.save(folder / "W.npy", W)
    np.save(folder / "b.npy", b)
    return W, b, {"weights": str(folder / "W.npy"), "bias": str(folder / "b.npy")}


def toy_data(folder, dims=40, seed=3):
    """A small labelled toy dataset (3 classes) with a near, a mid and a far OOD set, as .npy files in `folder`;
    returns its "datasets" entry. The far set's distances span decades, so distance detectors get a log10 axis."""
    import numpy as np
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((3, dims)) * 2

    def sample(n, shift=0.0):
        labels = np.arange(n) % 3
        return (centers[labels] + rng.standard_normal((n, dims)) + shift).astype(np.float32), labels.astype(np.int32)

    train, labels = sample(300)
    np.save(folder / "train.npy", train)
    np.save(folder / "labels.npy", labels)
    np.save(folder / "test.npy", sample(90)[0])
    for name, shift in (("near", 0.4), ("mid", 1.0), ("far", 300.0)):
        np.save(folder / f"{name}.npy", sample(60, shift)[0])
    return {"modality": "toy", "backbone": "b",
            "train": {"features": "train.npy", "labels": "labels.npy"}, "test": {"features": "test.npy"},
            "ood": [{"name": n, "shift": s, "features": f"{n}.npy"}
                    for n, s in (("near", "near"), ("mid", "near"), ("far", "far"))]}
