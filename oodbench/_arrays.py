"""Turning what a researcher has (NumPy arrays, PyTorch CPU tensors, anything with __array__ or __dlpack__, lists)
into the C-contiguous, native-byte-order NumPy arrays the engine reads in place."""
from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

from . import _core


def load_array(spec: str | os.PathLike[str]) -> Any:
    """An array named as a config or the command line names it, read by the same readers: `x.npy`, `file.npz:key`,
    `file.h5:/group/dataset`, `file.safetensors:tensor`, `file.csv[:columns]`, or a glob of shards (`train/*.npy`).
    Returns a NumPy array of the stored dtype and shape (a list of str for text labels)."""
    return _core.load_array(os.fspath(spec))


def as_array(value: Any, name: str) -> np.ndarray:
    """`value` as a NumPy array without a copy where its memory allows (a str or path is read with load_array); a
    ValueError that says what to do otherwise."""
    if isinstance(value, (str, os.PathLike)):
        value = load_array(value)
    if hasattr(value, "select_dtypes") and hasattr(value, "columns"):  # a pandas DataFrame
        value = _numeric_columns(value, name)
    if isinstance(value, np.ndarray):
        array = value
    else:
        try:
            if hasattr(value, "__array__") or not hasattr(value, "__dlpack__"):
                array = np.asarray(value)
            else:
                array = np.from_dlpack(value)
        except (TypeError, RuntimeError) as e:  # a GPU tensor, a tensor that requires grad, bfloat16
            raise _core.InputError(f"{name}: cannot be read as a NumPy array ({e}); {_remedy(value)}") from None
    if array.dtype.byteorder not in ("=", "|"):
        array = array.astype(array.dtype.newbyteorder("="))
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)  # one copy: the engine reads rows in C order
    return array


def _numeric_columns(frame: Any, name: str) -> Any:
    """A DataFrame's numeric columns (an id or a label column of str would make NumPy's array of objects), with a note
    on sys.stderr naming what it read and what it left out; none numeric is an InputError saying how to select."""
    numeric = frame.select_dtypes(include="number")
    others = [str(c) for c in frame.columns if c not in set(numeric.columns)]
    select = f"pass {name}=df[columns] (or df.drop(columns=[...]))"
    if numeric.shape[1] == 0:
        raise _core.InputError(f"{name}: a DataFrame without numeric columns ({_listed(others)}); {select}")
    if others:
        read = [str(c) for c in numeric.columns]
        span = read[0] if len(read) == 1 else f"{read[0]} .. {read[-1]}"
        print(f"oodbench: note: {name}: a DataFrame: read its {len(read)} numeric columns ({span}), left out "
              f"{len(others)} others ({_listed(others)}); to choose yourself, {select}", file=sys.stderr)
    return numeric


def _listed(names: list[str], most: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (f", ... ({len(names)} in all)" if len(names) > most else "")


def optional_array(value: Any, name: str) -> np.ndarray | None:
    return None if value is None else as_array(value, name)


def labels_array(value: Any, name: str) -> np.ndarray:
    """Labels as as_array reads them, with an object array of str (a pandas Series or categorical of str) as a str
    array, which the engine reads as text labels (remap_labels=True maps them to classes)."""
    array = as_array(value, name)
    if array.dtype == object and all(isinstance(v, str) for v in array.flat):
        array = array.astype(str)
    return array


def count(value: Any, name: str) -> int:
    """An integer >= 0 (a resample count, a seed), else an InputError naming the argument; the engine checks the
    range it needs."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise _core.InputError(f"{name}: expected an integer >= 0, got {value!r}")
    return int(value)


def _remedy(value: Any) -> str:
    """What to do about a tensor NumPy cannot read, from what it is: on a GPU, needing grad, or bfloat16."""
    device = getattr(value, "device", None)
    if device is not None and getattr(device, "type", str(device)) != "cpu":
        return "pass a CPU array, e.g. tensor.detach().cpu()"
    if getattr(value, "requires_grad", False):
        return "pass tensor.detach()"
    if "bfloat16" in str(getattr(value, "dtype", "")):
        return "NumPy has no bfloat16: pass tensor.float() (float32) or tensor.half() (float16)"
    return "pass a NumPy array, e.g. tensor.detach().cpu().numpy()"
