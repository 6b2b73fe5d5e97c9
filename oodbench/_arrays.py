"""Turning what a researcher has (NumPy arrays, PyTorch CPU tensors, anything with __array__ or __dlpack__, lists)
into the C-contiguous, native-byte-order NumPy arrays the engine reads in place."""
from __future__ import annotations

import os
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
    if isinstance(value, np.ndarray):
        array = value
    else:
        try:
            if hasattr(value, "__array__") or not hasattr(value, "__dlpack__"):
                array = np.asarray(value)
            else:
                array = np.from_dlpack(value)
        except (TypeError, RuntimeError) as e:  # a GPU tensor, a tensor that requires grad
            raise _core.InputError(
                f"{name}: cannot be read as a NumPy array ({e}); pass a CPU array, e.g. tensor.detach().cpu()"
            ) from None
    if array.dtype.byteorder not in ("=", "|"):
        array = array.astype(array.dtype.newbyteorder("="))
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)  # one copy: the engine reads rows in C order
    return array


def optional_array(value: Any, name: str) -> np.ndarray | None:
    return None if value is None else as_array(value, name)
