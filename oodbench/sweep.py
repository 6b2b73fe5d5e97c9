"""Sweeps from Python: `run` a config, `read_records` of a result folder (and its kept scores), `to_frame` for
pandas, `compare` two detectors, `report` again."""
from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

from . import _core
from ._arrays import count
from ._json import plain
from .user_detectors import describe


class Records(list):
    """The records of a result folder: one dict per cell (dataset, detector, label, params, seed, per-OOD-set
    metrics with intervals, timings...), as `records.jsonl` holds them. `to_frame()` makes a pandas DataFrame."""

    out: Path | None = None
    """The result folder they came from."""

    def to_frame(self) -> Any:
        """One row per (cell, OOD set) with the metrics as columns; see `oodbench.to_frame`."""
        return to_frame(self)

    def scores(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The per-sample scores one record kept ("keep_scores": true): {"id": ID side, <OOD set name>: scores}, and
        with `select` "id_val" (the ID val scores its validation sets are ranked against), as float64 arrays,
        checked against the hash in the record. Without kept scores: an InputError saying what to do."""
        if self.out is None:
            raise ValueError("these records have no result folder (read them with oodbench.read_records)")
        return _core.read_kept_scores(os.fspath(self.out), dict(record))


def run(
    config: str | os.PathLike[str] | Mapping[str, Any],
    out: str | os.PathLike[str] | None = None,
    *,
    device: str = "auto",
    detectors: Mapping[str, type] | None = None,
    shard: str = "0/1",
    quiet: bool = False,
    report: bool = True,
) -> Records:
    """Runs the sweep of `config` (a JSON file, or the same as a dict, whose relative paths start at the working
    folder) into `out` (default results/<name>), as `oodbench run` does: resumable, cell by cell, then the tables and
    plots unless `report=False`. Progress, notes and cell warnings go to sys.stderr. `detectors`: your own classes (see
    oodbench.user_detectors); a config that does not name one gets it with its defaults. Returns the records."""
    source: Any = plain(config, "") if isinstance(config, Mapping) else os.fspath(config)
    with _registered(detectors or {}):
        summary = _core.run(source, list(detectors or {}), None if out is None else os.fspath(out), device, shard,
                            quiet, report)
    return read_records(summary["out"])


def read_records(out: str | os.PathLike[str]) -> Records:
    """The records of the cells of a result folder's current plan (records of other plans are set aside)."""
    records, messages = _core.read_records(os.fspath(out))
    for message in messages:
        warnings.warn(message, RuntimeWarning, stacklevel=2)
    result = Records(records)
    result.out = Path(out)
    return result


def compare(
    out: str | os.PathLike[str],
    a: str,
    b: str,
    *,
    metrics: str | tuple[str, ...] | list[str] = ("auroc", "fpr95"),
    resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """`oodbench compare --json`: detector A − detector B (labels as in the tables) on every dataset both ran on, per
    OOD set and over all sets, for each metric: "diff", "ci95_low", "ci95_high" (paired bootstrap on the same
    resampled rows) and a two-sided "p_value". Needs the folder's kept scores ("keep_scores": true)."""
    names = [metrics] if isinstance(metrics, str) else list(metrics)  # "auroc" is one metric, not five letters
    return _core.compare(os.fspath(out), a, b, names, count(resamples, "resamples"), count(seed, "seed"))


def report(out: str | os.PathLike[str]) -> dict[str, Any]:
    """Writes the tables and plots of a result folder again (`oodbench report`); returns what was written."""
    return _core.report(os.fspath(out))


def ranks(out: str | os.PathLike[str], metric: str = "auroc") -> dict[str, Any]:
    """`oodbench ranks --json`: the folder's detector rows ranked in every block (a dataset x an OOD set, the metric
    averaged over seeds as the tables show it; ties share their mean rank; 1 = best): "detectors" with each
    "average_rank" and, against the "best", "z", "p_value" and Holm's "p_holm" and "significant"; "friedman" and
    "iman_davenport" ({"statistic", "p_value"}), "nemenyi_cd" (alpha 0.05), "blocks" with their values, and the
    rows "left_out" for missing from some block."""
    return _core.ranks(os.fspath(out), metric)


def to_frame(records: list[dict[str, Any]]) -> Any:
    """A pandas DataFrame with one row per (cell, OOD set): modality, backbone, detector, label, seed, params, ood,
    shift, n_id, n_ood, every metric, and its 95 % interval (`<metric>_low`, `<metric>_high`) when bootstrapped; the
    cell's failure-detection metrics on the ID test set (`failure_aurc`, `failure_eaurc`, `failure_augrc`,
    `failure_accuracy`; None without ID test labels) and, on a labelled csid set's row, that set's (`csid_failure_*`),
    with `_low`/`_high` bounds when bootstrapped."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("to_frame needs pandas (Debian: apt install python3-pandas)") from None
    return pd.DataFrame(_core.frame_rows([dict(r) for r in records]))


@contextmanager
def _registered(classes: Mapping[str, type]) -> Iterator[None]:
    descriptions = [describe(name, cls) for name, cls in classes.items()]
    added: list[str] = []
    try:
        for description, cls in zip(descriptions, classes.values()):
            _core.add_user_detector(description, cls)
            added.append(description["name"])
        yield
    finally:
        for name in added:
            _core.remove_user_detector(name)
