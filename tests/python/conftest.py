"""What the Python package's tests share: the package (from OODBENCH_BUILD_DIR's build), the command-line binary
(OODBENCH_CLI) to compare against, and the bundled real embeddings with a fixed linear head written to files."""
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest

import oodbench

CLI = os.environ["OODBENCH_CLI"]
DATA = pathlib.Path(os.environ["OODBENCH_DATA"])

# Fast settings for the detectors that train (the autoencoder); every other detector runs with its defaults.
FAST = {"ae_l2": {"epochs": 2}, "mars": {"epochs": 2}}


def cli(*args, check=True):
    """Runs the oodbench binary on the CPU; returns the CompletedProcess."""
    result = subprocess.run([CLI, "--device", "cpu", *map(str, args)], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"oodbench {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result


class Data:
    """Chest X-ray (mobilenet_v2) as ID: a third of train (quick fits), val, test and two OOD sets, as arrays and
    as .npy files, with a fixed head (nearest class mean as a linear classifier) so no probe is trained."""

    def __init__(self, folder: pathlib.Path):
        features = np.load(DATA / "mobilenet_v2.npz")
        labels = np.load(DATA / "labels.npz")
        self.train = np.ascontiguousarray(features["chestxray_train"][::3])
        self.labels = labels["chestxray_train"][::3].astype(np.int64)
        self.val = features["chestxray_val"]
        self.test = features["chestxray_test"]
        self.far = features["mnist_far"]
        means = np.stack([self.train[self.labels == c].mean(0) for c in range(2)]).astype(np.float64)
        self.W = (4 * means / np.linalg.norm(means, axis=1).mean()).astype(np.float32)
        self.b = (-0.5 * (self.W * means).sum(1)).astype(np.float32)
        self.files = {}
        for name in ("train", "labels", "val", "test", "far", "W", "b"):
            path = folder / f"{name}.npy"
            np.save(path, getattr(self, name))
            self.files[name] = str(path)

    def fit_args(self):
        """The command line's fitting options for these files."""
        f = self.files
        return ["--train", f["train"], "--train-labels", f["labels"], "--val", f["val"], "--head", f["W"],
                "--bias", f["b"]]


@pytest.fixture(scope="session")
def data(tmp_path_factory):
    return Data(tmp_path_factory.mktemp("data"))


def detector_names():
    return [d["name"] for d in oodbench.detectors() if d["name"] != "scores"]


def small_config(folder: pathlib.Path, detectors):
    """A one-dataset sweep config (dict) over the bundled data."""
    return {
        "name": "pytest",
        "data_root": str(DATA),
        "datasets": [{
            "modality": "chestxray",
            "backbone": "mobilenet_v2",
            "train": {"features": "{backbone}.npz:chestxray_train", "labels": "labels.npz:chestxray_train"},
            "test": {"features": "{backbone}.npz:chestxray_test"},
            "ood": [
                {"name": "breastus_test", "shift": "modality", "features": "{backbone}.npz:breastus_test"},
                {"name": "mnist_far", "shift": "far", "features": "{backbone}.npz:mnist_far"},
            ],
        }],
        "detectors": detectors,
        "seeds": [0, 1],
        "tables": {"bootstrap": 100},
    }


def write_json(path: pathlib.Path, document) -> pathlib.Path:
    path.write_text(json.dumps(document))
    return path
