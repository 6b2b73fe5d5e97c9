"""`pip install --no-build-isolation .`: the package with its compiled engine, built by CMake.

The engine is built in the repository's build/ when it is configured (scripts/build.sh, the quickstart: only what
the package needs is brought up to date, so a built tree installs in seconds), else in build-pip/ (configured
without tests and benchmarks), or in the folder OODBENCH_BUILD_DIR names. The package then holds:

    oodbench/*.py              the Python face
    oodbench/bin/oodbench      the command (a launcher on the environment's PATH runs it)
    oodbench/bin/_core*.so     the engine as a Python module
    oodbench/lib/*.so          the modules both load when needed (CUDA, HDF5, PNG/PDF), found from bin/ as ../lib
"""
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def engine_build_dir() -> Path:
    if os.environ.get("OODBENCH_BUILD_DIR"):
        return Path(os.environ["OODBENCH_BUILD_DIR"]).resolve()
    return ROOT / "build" if (ROOT / "build" / "CMakeCache.txt").exists() else ROOT / "build-pip"


def version() -> str:
    found = re.search(r"project\(oodbench VERSION ([0-9.]+)", (ROOT / "CMakeLists.txt").read_text())
    assert found, "CMakeLists.txt: project(oodbench VERSION x.y.z) not found"
    return found.group(1)


def fail(message: str) -> None:
    sys.exit(f"oodbench: {message}")


class BuildWithEngine(build_py):
    """Copies the Python files, then builds the engine's `oodbench_package` target and copies what it made."""

    def run(self) -> None:
        super().run()
        build = engine_build_dir()
        cache = build / "CMakeCache.txt"
        if not cache.exists():
            subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                            "-DOODBENCH_BUILD_TESTS=OFF", "-DOODBENCH_BUILD_BENCH=OFF",
                            f"-DPython_EXECUTABLE={sys.executable}"], check=True, stdout=subprocess.DEVNULL)
        if "OODBENCH_BUILD_PYTHON:BOOL=OFF" in cache.read_text():
            fail(f"{build} is configured without the Python module (OODBENCH_BUILD_PYTHON=OFF); set "
                 "OODBENCH_BUILD_DIR to another folder")
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        command = ["cmake", "--build", str(build), "--target", "oodbench_package", "--parallel", jobs]
        if subprocess.run(command, capture_output=True).returncode != 0:
            # A folder configured before the target existed learns it from a new configuration; any other failure
            # repeats, with its output this time.
            subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build)], check=True, stdout=subprocess.DEVNULL)
            subprocess.run(command, check=True)
        core = build / "python" / f"_core{sysconfig.get_config_var('EXT_SUFFIX')}"
        if not core.exists():
            built = ", ".join(p.name for p in (build / "python").glob("_core*")) or "nothing"
            fail(f"{build} builds the engine for another Python ({built}), not {sys.executable} (needs {core.name}); "
                 "set OODBENCH_BUILD_DIR to a new folder to build one for it")
        package = Path(self.build_lib) / "oodbench"
        for folder in ("bin", "lib"):
            shutil.rmtree(package / folder, ignore_errors=True)
            (package / folder).mkdir(parents=True)
        for made in (build / "harness" / "oodbench", core):
            shutil.copy2(made, package / "bin")
        for module in sorted((build / "lib").glob("liboodbench_*.so")):
            shutil.copy2(module, package / "lib")


class EngineDistribution(Distribution):
    """A compiled package: its wheel is tagged for this Python and platform."""

    def has_ext_modules(self) -> bool:
        return True


build_dir = engine_build_dir()
build_dir.mkdir(exist_ok=True)  # it holds setuptools' own files too, egg-info included: none in the source tree
setup(
    version=version(),
    packages=["oodbench"],
    package_data={"oodbench": ["py.typed", "*.pyi"]},
    scripts=["scripts/pip/oodbench"],
    cmdclass={"build_py": BuildWithEngine},
    distclass=EngineDistribution,
    options={"build": {"build_base": str(build_dir / "pip-package")},
             "egg_info": {"egg_base": str(build_dir)}},
)
