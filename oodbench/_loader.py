"""Finds the compiled engine, oodbench._core.

An installed package (`pip install .`) has it in bin/ beside this file, with the modules it loads in lib/. In a
source checkout it is in the CMake build folder: `build/` of the repository, or the folder named by the environment
variable OODBENCH_BUILD_DIR.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType


def warn_if_slow_blas(core: ModuleType) -> None:
    # OpenBLAS picks its kernels when it is loaded and falls back to slow generic ones on CPUs it does not recognise
    # (some virtual machines). The command-line tool then restarts itself with OPENBLAS_CORETYPE set; a Python
    # process cannot, so say how to do it.
    better = core.better_openblas_core()
    if better:
        import warnings

        warnings.warn(
            f"OpenBLAS is using its generic kernels on this CPU; start Python with OPENBLAS_CORETYPE={better} for "
            "about 3x faster fits and the same numbers as the oodbench command",
            RuntimeWarning,
            stacklevel=3,
        )


def load_core() -> ModuleType:
    here = Path(__file__).resolve().parent
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    candidates = [here / "bin"]
    build = os.environ.get("OODBENCH_BUILD_DIR")
    candidates.append(Path(build) / "python" if build else here.parent / "build" / "python")
    for folder in candidates:
        for suffix in suffixes:
            path = folder / f"_core{suffix}"
            if path.is_file():
                spec = importlib.util.spec_from_file_location("oodbench._core", path)
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules["oodbench._core"] = module
                spec.loader.exec_module(module)
                return module
    looked = ", ".join(str(c) for c in candidates)
    raise ImportError(
        f"oodbench: the compiled engine (_core{suffixes[0]}) is not built; looked in {looked}. "
        "Install the package with `pip install --no-build-isolation .` in the repository, or build it there with "
        "scripts/build.sh (or set OODBENCH_BUILD_DIR to your CMake build folder)."
    )
