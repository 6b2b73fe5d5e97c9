"""Type stubs of the compiled engine, oodbench._core. Use the `oodbench` package; these are its building blocks."""
from os import PathLike
from typing import Any

import numpy as np

__version__: str
version_string: str

class InputError(ValueError):
    """Bad input: the message names the argument, file, key or JSON Pointer, what was expected and what to do."""

def better_openblas_core() -> str | None: ...
def detectors() -> list[dict[str, Any]]: ...

class Detector:
    def __init__(self, name: str, params: dict[str, Any], device: str) -> None: ...
    def fit(
        self,
        train: np.ndarray,
        labels: np.ndarray | None,
        val: np.ndarray | None,
        val_labels: np.ndarray | None,
        head_weights: np.ndarray | None,
        head_bias: np.ndarray | None,
        remap_labels: bool,
    ) -> list[str]: ...
    def score(self, x: np.ndarray) -> np.ndarray: ...
    def save(self, path: str) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def params(self) -> dict[str, Any]: ...
    @property
    def device(self) -> str: ...
    @property
    def fitted(self) -> bool: ...
    @property
    def label_map(self) -> list[Any] | None: ...

def load_detector(path: str, device: str) -> Detector: ...
def load_array(spec: str) -> np.ndarray | list[str]: ...
def evaluate(
    id_scores: np.ndarray,
    ood_sets: list[tuple[str, np.ndarray]],
    id_name: str,
    device: str,
    bootstrap: int,
    seed: int,
) -> dict[str, Any]:
    """The document of `oodbench eval --json`; oodbench.evaluate flattens it for one OOD array."""
def compare_scores(
    id_a: np.ndarray,
    ood_a: list[tuple[str, np.ndarray]],
    id_b: np.ndarray,
    ood_b: list[tuple[str, np.ndarray]],
    metrics: list[str],
    bootstrap: int,
    seed: int,
    dataset: str,
) -> dict[str, Any]:
    """The document of `oodbench compare --id ... --ood ... --json`; oodbench.compare_scores flattens it for one OOD
    array."""
def evaluate_failure(
    scores: np.ndarray,
    correct: np.ndarray,
    name: str,
    device: str,
    bootstrap: int,
    seed: int,
) -> dict[str, Any]: ...

class FitData:
    """What a user-defined detector's fit(data) sees; NumPy copies it may keep. Valid only during fit()."""
    @property
    def train(self) -> np.ndarray: ...
    @property
    def labels(self) -> np.ndarray | None: ...
    @property
    def val(self) -> np.ndarray | None: ...
    @property
    def head(self) -> tuple[np.ndarray, np.ndarray]: ...
    @property
    def classes(self) -> int: ...
    @property
    def dims(self) -> int: ...
    @property
    def device(self) -> str: ...

def add_user_detector(description: dict[str, Any], cls: type) -> None: ...
def remove_user_detector(name: str) -> None: ...
def run(
    config: str | dict[str, Any],
    user_detectors: list[str],
    out: str | PathLike[str] | None,
    device: str,
    shard: str,
    quiet: bool,
    report: bool,
) -> dict[str, Any]: ...
def read_records(dir: str | PathLike[str]) -> tuple[list[dict[str, Any]], list[str]]: ...
def read_kept_scores(dir: str | PathLike[str], record: dict[str, Any]) -> dict[str, np.ndarray]: ...
def frame_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]: ...
def ranks(dir: str, metric: str) -> dict[str, Any]: ...
def compare(
    dir: str | PathLike[str], a: str, b: str, metrics: list[str], resamples: int, seed: int
) -> dict[str, Any]: ...
def report(dir: str | PathLike[str]) -> dict[str, Any]: ...
