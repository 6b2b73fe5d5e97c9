"""A researcher's own detector class as a detector of the sweep.

The class needs `fit(self, data)` and `score(self, x)`:

    class FeatureNorm:
        \"\"\"s = -||x||: ID embeddings have larger norms here.\"\"\"
        def __init__(self, power: float = 1.0):      # parameters: keyword defaults (bool, int, float or str)
            self.power = power
        def fit(self, data):                          # data.train, .labels, .val, .head, .classes, .dims
            pass
        def score(self, x):                           # x: float32 (n, D); one score per row, higher = more OOD
            return -np.linalg.norm(x, axis=1) ** self.power

Class attributes `needs_labels` / `needs_head` (default False) say what the fit uses; a `seed` parameter makes one
cell per seed of the config. A hash of the class's code is part of each cell's identity: editing the method reruns
its cells, and unchanged cells are resumed.
"""
from __future__ import annotations

import hashlib
import inspect
from typing import Any

from . import _core

_TYPES = (bool, int, float, str)


def describe(name: str, cls: type) -> dict[str, Any]:
    """What the engine needs to know of `cls`: its parameters, needs and a hash of its code."""
    for method in ("fit", "score"):
        if not callable(getattr(cls, method, None)):
            raise _core.InputError(
                f"detectors[{name!r}]: {cls!r} has no {method}() method; see help(oodbench.user_detectors)"
            )
    params = []
    for p in inspect.signature(cls).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is p.empty or not isinstance(p.default, _TYPES):
            raise _core.InputError(
                f"detectors[{name!r}]: parameter {p.name!r} of {cls.__name__}.__init__ needs a default of type bool, "
                "int, float or str (its type is what a config may give)"
            )
        params.append({"name": p.name, "default": p.default, "doc": ""})
    doc = inspect.getdoc(cls) or cls.__name__
    return {
        "name": name,
        "summary": doc.splitlines()[0],
        "reference": getattr(cls, "reference", f"user-defined: {cls.__module__}.{cls.__qualname__}"),
        "needs_labels": bool(getattr(cls, "needs_labels", False)),
        "needs_head": bool(getattr(cls, "needs_head", False)),
        "params": params,
        "code_version": code_hash(cls),
    }


def code_hash(cls: type) -> str:
    """A hash of the class's source (or, where there is none, of its methods' bytecode and constants)."""
    h = hashlib.sha256()
    try:
        h.update(inspect.getsource(cls).encode())
    except (OSError, TypeError):
        for attr in sorted(vars(cls)):
            code = getattr(vars(cls)[attr], "__code__", None)
            if code is not None:
                h.update(attr.encode() + code.co_code + repr(code.co_consts).encode())
    h.update(repr(getattr(cls, "version", "")).encode())
    return "py:" + h.hexdigest()[:16]
