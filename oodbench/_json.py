"""Python values as the JSON the engine takes: NumPy scalars and arrays (a grid from np.arange, a seed list) and
paths are converted; anything JSON cannot hold is a ValueError naming where it sits."""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np


def plain(value: Any, where: str) -> Any:
    """`value` with NumPy scalars as Python numbers, arrays as lists and paths as str, recursively. `where`: the
    JSON pointer of `value`, for the error."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [plain(v, f"{where}/{i}") for i, v in enumerate(value.tolist())]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v, f"{where}/{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, f"{where}/{i}") for i, v in enumerate(value)]
    raise ValueError(f"{where or '/'}: expected a JSON value (number, string, bool, None, list or dict), got "
                     f"{type(value).__name__}")
