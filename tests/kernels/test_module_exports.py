#!/usr/bin/env python3
"""Each oodbench module (liboodbench_cuda.so, _hdf5, _render: kernels/module_loader.h) exports its entry function and
nothing else, as `nm -D --defined-only` reads its dynamic symbol table: hidden visibility and cmake/module.map keep the
code linked into it (the CPU backend, the residency registry, template instantiations) from clashing with the
process's own copies.
Usage: test_module_exports.py MODULE_PATH...
"""
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from script_checks import finish, report  # noqa: E402

for path in map(pathlib.Path, sys.argv[1:]):
    entry = path.name.removeprefix("lib").removesuffix(".so") + "_module"  # liboodbench_cuda.so: oodbench_cuda_module
    listing = subprocess.run(["nm", "-D", "--defined-only", path], capture_output=True, text=True, check=True).stdout
    symbols = [line.split()[-1] for line in listing.splitlines() if line.strip()]
    report(f"{path.name} exports {entry} only", symbols == [entry], f"exports {len(symbols)}: {symbols[:8]}")
finish()
