"""`oodbench.Detector`: fit a detector on arrays, score arrays, save and load the fitted state."""
from __future__ import annotations

import os
import warnings
from typing import Any, Mapping

import numpy as np

from . import _core
from ._arrays import as_array, count, labels_array, optional_array
from ._json import plain


class OodbenchWarning(UserWarning):
    """A fit went through but something deserves a look (singular covariance, probe not converged...)."""


def detectors() -> list[dict[str, Any]]:
    """Every built-in detector: name, score (one-line definition), reference, needs_labels, needs_head,
    needs_fit_labels (labels of ID val or of ID train, either) and params (each with name, default, doc and allowed
    choices), as `oodbench detectors --json` prints them."""
    return _core.detectors()


class Detector:
    """One OOD detector, fitted on ID train embeddings, scoring any embeddings (higher = more OOD).

    The same engine as the `oodbench` command: for the same inputs `score` returns the command's scores bit for bit.

    >>> det = oodbench.Detector("knn", k=50)
    >>> det.fit(train)
    >>> s = det.score(test)                    # float32, one score per row
    """

    def __init__(self, name: str, *, device: str = "auto", **params: Any) -> None:
        """`name`: a detector of `oodbench.detectors()`. `device`: "auto" (the GPU when one is usable), "cpu" or
        "cuda". `params`: the detector's parameters (unknown names or wrong types raise ValueError)."""
        self._core = _core.Detector(name, plain(params, "params"), device)

    def fit(
        self,
        train: Any,
        labels: Any = None,
        val: Any = None,
        val_labels: Any = None,
        head: tuple[Any, Any] | None = None,
        *,
        remap_labels: bool = False,
    ) -> "Detector":
        """Fits on the ID train features (N x D, float16/32/64). `labels`: class indices 0..C-1, for class-conditional
        detectors and the linear probe. `val`: ID validation features (early stopping, validation-split fits).
        `val_labels`: class indices of the `val` rows, for fits on labelled ID val (tempscale). `head`: a supplied
        linear head (W of shape (C, D), b of shape (C,)), which replaces the probe. `remap_labels`: labels of any
        integers or str (a pandas categorical too) become 0..C-1 in sorted order, as `--remap-labels` does; `val_labels`
        are mapped the same way and `label_map` says what each class stands for. Returns self."""
        weights, bias = _split_head(head)
        messages = self._core.fit(
            as_array(train, "train"),
            None if labels is None else labels_array(labels, "labels"),
            optional_array(val, "val"),
            None if val_labels is None else labels_array(val_labels, "val_labels"),
            optional_array(weights, "head W"),
            optional_array(bias, "head b"),
            bool(remap_labels),
        )
        for message in messages:
            warnings.warn(message, OodbenchWarning, stacklevel=2)
        return self

    def score(self, x: Any) -> np.ndarray:
        """One float32 outlier score per row of `x` (same width as the train features); higher = more OOD."""
        return self._core.score(as_array(x, "x"))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes the fitted detector to `path` (a .oodb file, as `oodbench fit --save` writes): its fitted arrays,
        parameters and the hash of its training data. `oodbench.load` and `oodbench score --model` read it."""
        self._core.save(os.fspath(path))

    @property
    def name(self) -> str:
        """The registry name."""
        return self._core.name

    @property
    def params(self) -> dict[str, Any]:
        """Every parameter, defaults filled in."""
        return self._core.params

    @property
    def device(self) -> str:
        """The backend in use, e.g. "cpu (OpenBLAS, 2 threads)"."""
        return self._core.device

    @property
    def fitted(self) -> bool:
        """Whether fit() (or load) has run."""
        return self._core.fitted

    @property
    def label_map(self) -> list[Any] | None:
        """After `fit(..., remap_labels=True)`: the original label of each class (`label_map[c]`), else None. A model
        file does not keep it."""
        return self._core.label_map

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        state = "fitted" if self.fitted else "not fitted"
        return f"oodbench.Detector({self.name!r}{', ' if params else ''}{params}) [{state}, {self.device}]"


def load(path: str | os.PathLike[str], *, device: str = "auto") -> Detector:
    """A fitted detector from a .oodb file written by `Detector.save` or `oodbench fit --save`; nothing is refitted
    and its scores equal the saved detector's. A file from another version or a damaged file raises ValueError."""
    det = Detector.__new__(Detector)
    det._core = _core.load_detector(os.fspath(path), device)
    return det


def _split_head(head: tuple[Any, Any] | None) -> tuple[Any, Any]:
    if head is None:
        return None, None
    if not isinstance(head, (tuple, list)) or len(head) != 2:
        raise _core.InputError("head: expected (W, b): weights of shape (C, D) and bias of shape (C,)")
    return head[0], head[1]


def evaluate(
    id_scores: Any,
    ood_scores: Any | Mapping[str, Any],
    *,
    id_name: str = "id",
    device: str = "auto",
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, Any]:
    """The metrics of `oodbench eval --json` (fractions): AUROC, FPR@95 (ID positive, and OpenOOD's OOD positive),
    AUPR-In/Out (average precision, and OpenOOD's trapezoid), detection error, with the set sizes. Scores: higher =
    more OOD. `ood_scores` is one array (named "ood") or a mapping of OOD set names to arrays; the result has one
    entry per set under "ood". `bootstrap` > 0 (100..100000) adds each set's percentile-bootstrap 95 % intervals
    ("ci95": {"low": {...}, "high": {...}}), resampled from `seed`."""
    sets = ood_scores.items() if isinstance(ood_scores, Mapping) else [("ood", ood_scores)]
    arrays = [(str(name), as_array(scores, str(name))) for name, scores in sets]
    return _core.evaluate(as_array(id_scores, id_name), arrays, id_name, device, count(bootstrap, "bootstrap"),
                          count(seed, "seed"))



def evaluate_failure(
    scores: Any,
    correct: Any,
    *,
    name: str = "scores",
    device: str = "auto",
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, Any]:
    """Failure detection (`oodbench eval --correct`): how well `scores` (higher = more OOD), read as a confidence
    -score, rank the head's own mistakes. `correct`: whether the head classified each row correctly (bool, or 0/1),
    e.g. `predictions == labels`. Returns {"aurc", "eaurc", "augrc", "accuracy", "n", "errors"} as fractions (AURC,
    E-AURC, AUGRC: lower is better; equal scores are accepted together, see docs/methods.md); `bootstrap` > 0
    (100..100000) adds percentile-bootstrap 95 % intervals ("ci95": {"low": {...}, "high": {...}}) from `seed`."""
    return _core.evaluate_failure(as_array(scores, name), as_array(correct, "correct"), name, device,
                                  count(bootstrap, "bootstrap"), count(seed, "seed"))