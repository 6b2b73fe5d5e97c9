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
cell per seed of the config. A hash of the class's code (its bases' too) and of its plain class attributes is part of
each cell's identity: editing a method or an attribute reruns its cells, and unchanged cells are resumed. Helpers
outside the class are not in it: give the class a `version` attribute and change it after editing one.
"""
from __future__ import annotations

import hashlib
import inspect
from typing import Any

from . import _core

_TYPES = (bool, int, float, str)


def describe(name: str, cls: type) -> dict[str, Any]:
    """What the engine needs to know of `cls`: its parameters, needs and a hash of its code."""
    if not isinstance(cls, type):
        made = type(cls).__name__
        raise _core.InputError(
            f"detectors[{name!r}]: expected a class, got an instance of {made}; pass the class itself "
            f"({{{name!r}: {made}}}), not {made}(): the sweep makes one instance per cell with the config's parameters"
        )
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
    """A hash of what the class computes with: for it and each base it inherits from, its source (or, where there is
    none, as for a class made by exec, its methods' bytecode and constants) and its plain class attributes (numbers,
    strings, tuples...), so that `SCALE = 100.0` set after the class was made counts too. Stable across processes: no
    memory address or set order enters it. Helpers outside the class do not: set a `version` attribute to rerun its
    cells after editing one."""
    h = hashlib.sha256()
    for klass in inspect.getmro(cls)[:-1]:  # every base but object
        h.update(klass.__qualname__.encode())
        try:
            h.update(inspect.getsource(klass).encode())
            with_source = True
        except (OSError, TypeError):
            with_source = False
        for attr, value in sorted(vars(klass).items()):
            if attr.startswith("__") and attr != "__init__":
                continue
            if with_source and _code_of(value) is not None:
                continue  # its source is hashed above
            h.update(attr.encode() + b"=" + _digest(value))
    return "py:" + h.hexdigest()[:16]


def _code_of(value: Any) -> Any:
    function = getattr(value, "__func__", value)  # staticmethod, classmethod
    if isinstance(value, property):
        function = value.fget
    return getattr(function, "__code__", None)


def _digest(value: Any) -> bytes:
    code = _code_of(value)
    if code is not None:
        defaults = getattr(getattr(value, "__func__", value), "__defaults__", None)
        return _code_digest(code) + _digest(defaults)
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return repr(value).encode()
    if isinstance(value, (tuple, list)):
        return b"[" + b",".join(_digest(v) for v in value) + b"]"
    if isinstance(value, (set, frozenset)):  # iteration order depends on the process's string hash seed
        return b"{" + b",".join(sorted(_digest(v) for v in value)) + b"}"
    if isinstance(value, dict):
        return b"{" + b",".join(_digest(k) + b":" + _digest(v) for k, v in value.items()) + b"}"
    return type(value).__qualname__.encode()  # another object: its type, never its address


def _code_digest(code: Any) -> bytes:
    """Bytecode, names and constants, nested code (comprehensions, lambdas, inner functions) by its own digest."""
    consts = b",".join(_code_digest(c) if inspect.iscode(c) else _digest(c) for c in code.co_consts)
    return hashlib.sha256(code.co_code + repr(code.co_names).encode() + consts).digest()
