"""The type stubs match the compiled module (mypy's stubtest), and the package type-checks against them (mypy)."""
import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("mypy")
ROOT = pathlib.Path(__file__).resolve().parents[2]


def mypy(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MYPY_CACHE_DIR": os.devnull}
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_stubs_match_the_compiled_module():
    allowlist = pathlib.Path(__file__).with_name("stubtest_allowlist.txt")
    result = mypy("mypy.stubtest", "oodbench._core", "--allowlist", str(allowlist))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_package_type_checks():
    result = mypy("mypy", "--ignore-missing-imports", "oodbench")
    assert result.returncode == 0, result.stdout + result.stderr
