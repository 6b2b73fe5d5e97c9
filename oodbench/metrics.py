"""Statistics on score arrays: `oodbench.evaluate` (the metrics of `oodbench eval`), `oodbench.evaluate_failure`
(`oodbench eval --correct`) and `oodbench.compare_scores`
(the paired bootstrap of `oodbench compare`), both computed by the engine."""
from __future__ import annotations

from typing import Any, Mapping

from . import _core
from ._arrays import as_array, count


def _named_sets(ood_scores: Any, what: str) -> list[tuple[str, Any]]:
    """One array as the set "ood", or a mapping of set names to arrays, each read as a NumPy array."""
    sets = ood_scores.items() if isinstance(ood_scores, Mapping) else [("ood", ood_scores)]
    return [(str(name), as_array(scores, f"{what}{name}")) for name, scores in sets]


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
    more OOD. With one OOD array the result is flat: `m["auroc"]`, `m["fpr95"]`, ..., `m["n_id"]`, `m["n_ood"]`.
    With a mapping of OOD set names to arrays it is the document of `oodbench eval --json`, one entry per set under
    "ood" (`m["ood"][0]["auroc"]`). `bootstrap` > 0 (100..100000) adds percentile-bootstrap 95 % intervals
    ("ci95": {"low": {...}, "high": {...}}, per set), resampled from `seed`."""
    result = _core.evaluate(as_array(id_scores, id_name), _named_sets(ood_scores, ""), id_name, device,
                            count(bootstrap, "bootstrap"), count(seed, "seed"))
    if isinstance(ood_scores, Mapping):
        return result
    return {key: value for key, value in result["ood"][0].items() if key != "name"}


def compare_scores(
    a: tuple[Any, Any | Mapping[str, Any]],
    b: tuple[Any, Any | Mapping[str, Any]],
    *,
    metric: str | tuple[str, ...] | list[str] = ("auroc", "fpr95"),
    bootstrap: int = 1000,
    seed: int = 0,
    dataset: str = "",
) -> dict[str, Any]:
    """Is detector A better than B on these rows? `a` = (id_scores, ood_scores) of A, `b` the same of B, scored on
    the same rows in the same order (higher = more OOD); `ood_scores` is one array or a mapping of OOD set names to
    arrays (the same names, in the same order, for both). For each metric: A − B ("diff"), its paired-bootstrap 95 %
    interval ("ci95_low", "ci95_high": both detectors on the same resampled rows), a two-sided "p_value", and each
    side's value ("a", "b"), as `oodbench compare` computes them (docs/methods.md, "Paired comparisons").

    With one OOD array the result is flat, `{metric: {...}}` (`c["auroc"]["p_value"]`); with a mapping, the document
    of `oodbench compare --id ... --ood ... --json`: {"sets": [{"name", "metrics"}, ..., {"name": "all", ...}], ...},
    "all" the mean over the sets when there are several. `bootstrap`: resamples (100..100000), drawn from `seed` and
    `dataset`: given the name a sweep gives a dataset ("chestxray/mobilenet_v2"), the numbers equal those of
    `oodbench compare DIR` on the scores that sweep kept."""
    sides = []
    for name, side in (("a", a), ("b", b)):
        if not isinstance(side, (tuple, list)) or len(side) != 2:
            raise _core.InputError(f"{name}: expected (id_scores, ood_scores), ood_scores one array or a mapping of "
                                   "OOD set names to arrays")
        sides.append((as_array(side[0], f"{name}: ID scores"), _named_sets(side[1], f"{name}: ")))
    if isinstance(a[1], Mapping) != isinstance(b[1], Mapping):
        raise _core.InputError("a, b: give both OOD scores as one array each, or both as mappings of the same sets")
    metrics = [metric] if isinstance(metric, str) else list(metric)  # "auroc" is one metric, not five letters
    result = _core.compare_scores(sides[0][0], sides[0][1], sides[1][0], sides[1][1], metrics,
                                  count(bootstrap, "bootstrap"), count(seed, "seed"), str(dataset))
    return result if isinstance(a[1], Mapping) else result["sets"][0]["metrics"]


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
    score, rank the head's own mistakes. `correct`: whether the head classified each row correctly (bool, or 0/1),
    e.g. `predictions == labels`. Returns {"aurc", "eaurc", "augrc", "accuracy", "n", "errors"} as fractions (AURC,
    E-AURC, AUGRC: lower is better; equal scores are accepted together, see docs/methods.md); `bootstrap` > 0
    (100..100000) adds percentile-bootstrap 95 % intervals ("ci95": {"low": {...}, "high": {...}}) from `seed`."""
    return _core.evaluate_failure(as_array(scores, name), as_array(correct, "correct"), name, device,
                                  count(bootstrap, "bootstrap"), count(seed, "seed"))
