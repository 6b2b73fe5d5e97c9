"""What every detector reference test shares: the bundled real embeddings, a fixed linear head, running
`oodbench score`, and comparing its scores with a float64 reference within docs/methods.md's tolerances
(‖s - s_ref‖ / ‖s_ref‖ <= 1e-4 per test set, AUROC within 1e-4).

A test script imports this module and is run as: SCRIPT OODBENCH_BINARY DATA_DIR
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from check_counter import Checks  # noqa: E402
from seeded_random import SeededRandom  # noqa: E402

binary, data_dir = sys.argv[1], pathlib.Path(sys.argv[2])
features = np.load(data_dir / "mobilenet_v2.npz")
labels = np.load(data_dir / "labels.npz")
ID, TEST_SETS = "chestxray", ["chestxray_test", "breastus_test", "mnist_far", "chestxray_blur"]
X = features[f"{ID}_train"].astype(np.float64)
y = labels[f"{ID}_train"]
X_val = features[f"{ID}_val"].astype(np.float64)  # ID val, for detectors whose reference fits on it
y_val = labels[f"{ID}_val"]
tests = {name: features[name].astype(np.float64) for name in TEST_SETS}
N, D = X.shape
C = y.max() + 1
RCOND = D * np.finfo(np.float64).eps  # the default pseudo-inverse cut: scipy's pinvh of a float64 matrix

# A fixed head for the logit-based detectors: nearest class mean as a linear classifier, scaled to O(10) logits.
means = np.stack([X[y == c].mean(0) for c in range(C)])
# Rounded to float32, the precision `--head/--bias` files carry, so the reference sees exactly the same head.
W_head = (4 * means / np.linalg.norm(means, axis=1).mean()).astype(np.float32).astype(np.float64)
b_head = (-0.5 * (W_head * means).sum(1)).astype(np.float32).astype(np.float64)
_tmp = tempfile.TemporaryDirectory()
tmp = pathlib.Path(_tmp.name)


def logits(x, W=W_head, b=b_head):
    return x @ W.T + b


def run_score(detector, params=(), head=True, train_labels=True, val=False, val_labels=False):
    """Scores every TEST_SETS entry with `oodbench score`; returns {set name: float32 scores}. `val` / `val_labels`
    also pass the ID val features / labels."""
    args = [binary, "--device", "cpu", "score", "--detector", detector,
            "--train", str(data_dir / f"mobilenet_v2.npz:{ID}_train")]
    if train_labels:
        args += ["--train-labels", str(data_dir / f"labels.npz:{ID}_train")]
    if head:
        np.save(tmp / "W.npy", W_head.astype(np.float32))
        np.save(tmp / "b.npy", b_head.astype(np.float32))
        args += ["--head", str(tmp / "W.npy"), "--bias", str(tmp / "b.npy")]
    if val:
        args += ["--val", str(data_dir / f"mobilenet_v2.npz:{ID}_val")]
    if val_labels:
        args += ["--val-labels", str(data_dir / f"labels.npz:{ID}_val")]
    for key, value in params:
        args += ["--param", f"{key}={json.dumps(value)}"]
    for name in TEST_SETS:
        args += ["--test", str(data_dir / f"mobilenet_v2.npz:{name}"), "--out", str(tmp / f"{name}.npy")]
    run = subprocess.run(args, capture_output=True, text=True)
    assert run.returncode == 0, f"{detector} {params}: {run.stderr}"
    return {name: np.load(tmp / f"{name}.npy") for name in TEST_SETS}


def run_case(folder, detector, params, train, test, labels=None, head=None, val=None, val_labels=None):
    """Runs `oodbench score` on a tiny case written into `folder`; returns (the finished process, the scores path)."""
    case = tmp / folder
    case.mkdir(exist_ok=True)
    np.save(case / "train.npy", np.asarray(train, dtype=np.float32))
    np.save(case / "test.npy", np.asarray(test, dtype=np.float32))
    args = [binary, "--device", "cpu", "score", "--detector", detector, "--train", str(case / "train.npy"),
            "--test", str(case / "test.npy"), "--out", str(case / "s.npy")]
    arrays = [("--train-labels", "labels", labels, np.int32), ("--val", "val", val, np.float32),
              ("--val-labels", "val_labels", val_labels, np.int32)]
    if head is not None:
        arrays += [("--head", "W", head[0], np.float32), ("--bias", "b", head[1], np.float32)]
    for option, name, values, dtype in arrays:
        if values is not None:
            np.save(case / f"{name}.npy", np.asarray(values, dtype=dtype))
            args += [option, str(case / f"{name}.npy")]
    for key, value in params:
        args += ["--param", f"{key}={json.dumps(value)}"]
    return subprocess.run(args, capture_output=True, text=True), case / "s.npy"


def refused(detector, params, train, test, labels=None, head=None, val=None):
    """Runs a tiny case that `oodbench score` must refuse as an input error; returns its stderr when it exits with
    code 2, else None (it ran, or failed otherwise)."""
    run, _ = run_case("refused", detector, params, train, test, labels=labels, head=head, val=val)
    return run.stderr if run.returncode == 2 else None


class Tally(Checks):
    """Counts checks (check_counter.Checks) and compares detectors with their references."""

    def record(self, ok, message):
        self.check(message, ok)

    def compare(self, detector, params, reference, **run_options):
        """Runs the detector and checks it against `reference(x) -> scores` on every test set."""
        got = run_score(detector, params, **run_options)
        ref = {name: reference(x) for name, x in tests.items()}
        label = f"{detector} {dict(params)}"
        for name in TEST_SETS:
            err = np.linalg.norm(got[name] - ref[name]) / np.linalg.norm(ref[name])
            self.record(got[name].dtype == np.float32 and err <= 1e-4, f"{label} {name}: rel err {err:.2e}")
        for name in TEST_SETS[1:]:
            def auroc(s):
                return roc_auc_score(np.r_[np.zeros(len(s[TEST_SETS[0]])), np.ones(len(s[name]))],
                                     np.r_[s[TEST_SETS[0]], s[name]])
            self.record(abs(auroc(got) - auroc(ref)) <= 1e-4,
                        f"{label} AUROC {name}: {auroc(got):.4f} vs {auroc(ref):.4f}")
        return got

    def hand_case(self, detector, params, train, test, expected, labels=None, head=None, tol=1e-5, val=None,
                  val_labels=None):
        """Scores a tiny hand-made case (`head` = (W, b); optional ID `val` rows and `val_labels`) and checks it
        against hand-computed `expected` values."""
        run, scores = run_case("hand", detector, params, train, test, labels=labels, head=head, val=val,
                               val_labels=val_labels)
        got = np.load(scores) if run.returncode == 0 else None
        ok = got is not None and np.allclose(got, expected, rtol=tol, atol=tol)
        self.record(ok, f"{detector} {dict(params)} hand case: got {got}, expected {np.asarray(expected)} {run.stderr}")

    def compare_case(self, detector, params, reference, train, test_sets, labels=None, head=None):
        """Scores each of `test_sets` ({name: rows}) of a case given as arrays (fitted on `train`, `labels`, `head` =
        (W, b)) and checks it against `reference(rows)` as compare() does: ‖s - s_ref‖ / ‖s_ref‖ <= 1e-4."""
        for name, rows in test_sets.items():
            run, scores = run_case("case", detector, params, train, rows, labels=labels, head=head)
            if run.returncode != 0:
                self.record(False, f"{detector} {dict(params)} {name}: {run.stderr}")
                continue
            got, ref = np.load(scores), reference(rows)
            err = np.linalg.norm(got - ref) / np.linalg.norm(ref)
            self.record(err <= 1e-4, f"{detector} {dict(params)} {name}: rel err {err:.2e}")

    def finish(self):
        self.exit()


def seeded_permutation(seed, n):
    """harness/fit/seeded_random.h's SeededRandom(seed).permutation(n), for references that subsample the train rows
    as a seeded detector does."""
    return SeededRandom(seed).permutation(n)


def ten_class_case():
    """A 10-class head built as the fixed head above (nearest class mean, scaled) from the first 600 labelled
    fashion_far rows; returns those rows and labels (train), W, b, and the other 400 fashion rows followed by 300
    mnist_far rows (test), all float64."""
    fashion, fashion_y = features["fashion_far"].astype(np.float64), labels["fashion_far"]
    train, train_y = fashion[:600], fashion_y[:600]
    m = np.stack([train[train_y == c].mean(0) for c in range(10)])
    W = (4 * m / np.linalg.norm(m, axis=1).mean()).astype(np.float32).astype(np.float64)
    b = (-0.5 * (W * m).sum(1)).astype(np.float32).astype(np.float64)
    return train, train_y, W, b, np.r_[fashion[600:], features["mnist_far"][:300].astype(np.float64)]


def multi_tile_case(seed):
    """A synthetic head (3 classes, D = 8) with 4500 train and 1100 test rows, float32 values in float64: more than
    one tile on both sides (row_tiles.h: 1024 queries x 4096 train rows), which the bundled data never reach."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(3, 8)).astype(np.float32).astype(np.float64)
    b = rng.normal(size=3).astype(np.float32).astype(np.float64)
    train = rng.normal(size=(4500, 8)).astype(np.float32).astype(np.float64)
    test = rng.normal(size=(1100, 8)).astype(np.float32).astype(np.float64)
    return W, b, train, test


def multiclass_case():
    """A 10-class problem from the bundled data, for detectors whose C = 2 chest X-ray case hides what they do over
    classes: the first 600 rows of the labelled fashion_far set as train, a nearest-class-mean head fitted on them as
    reference_common's, and {name: rows} of the remaining fashion rows and mnist_far as test sets, all float32 values
    in float64. Returns (W, b, train, labels, test sets)."""
    fashion = features["fashion_far"].astype(np.float64)
    train, train_y = fashion[:600], labels["fashion_far"][:600]
    class_means = np.stack([train[train_y == c].mean(0) for c in range(train_y.max() + 1)])
    W = (4 * class_means / np.linalg.norm(class_means, axis=1).mean()).astype(np.float32).astype(np.float64)
    b = (-0.5 * (W * class_means).sum(1)).astype(np.float32).astype(np.float64)
    return W, b, train, train_y, {"fashion_rest": fashion[600:], "mnist_far": features["mnist_far"].astype(np.float64)}
