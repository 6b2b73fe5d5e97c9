"""`pip install --no-build-isolation --no-index PATH` into a fresh `python3 -m venv --system-site-packages` venv,
offline, with Debian's setuptools and wheel: the package, its compiled engine and modules, and an `oodbench` command
on the venv's PATH; `import oodbench` works from any folder, and both load the modules installed with them (the HDF5
reader here), not the build folder's. The build folder (OODBENCH_BUILD_DIR) is reused, so this takes seconds.
scripts/install_python.sh (a .pth naming the checkout) refuses an interpreter that cannot import NumPy."""
import json
import os
import pathlib
import subprocess
import sys

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_pip_installs_the_package_and_the_command_into_a_venv(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True)
    install = subprocess.run([venv / "bin" / "pip", "install", "--no-build-isolation", "--no-index", ROOT],
                             capture_output=True, text=True, cwd=tmp_path)
    assert install.returncode == 0, install.stdout + install.stderr
    assert not (ROOT / "oodbench.egg-info").exists()  # setuptools' files stay in the build folder

    elsewhere = tmp_path / "notebook"
    elsewhere.mkdir()
    with h5py.File(elsewhere / "scores.h5", "w") as f:
        f["id"] = np.array([0.1, 0.2, 0.3, 0.4])
        f["ood"] = np.array([0.35, 0.5, 0.6])
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OODBENCH_BUILD_DIR")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    site = subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('platlib'))"],
                          capture_output=True, text=True, env=env, check=True).stdout.strip()
    package = pathlib.Path(site) / "oodbench"

    probe = ("import oodbench, re\n"
             "m = oodbench.evaluate(oodbench.load_array('scores.h5:/id'), oodbench.load_array('scores.h5:/ood'))\n"
             "maps = open('/proc/self/maps').read()\n"
             "print(oodbench.__file__, m['auroc'], re.search(r'\\S*liboodbench_hdf5.so', maps).group(0))\n")
    run = subprocess.run(["python", "-c", probe], capture_output=True, text=True, env=env, cwd=elsewhere)
    assert run.returncode == 0, run.stderr
    where, auroc, hdf5 = run.stdout.split()
    assert pathlib.Path(where) == package / "__init__.py"
    assert float(auroc) == 11 / 12  # 0.35 ranks above 3 of the 4 ID scores, 0.5 and 0.6 above all
    assert pathlib.Path(hdf5) == package / "lib" / "liboodbench_hdf5.so"

    command = subprocess.run(["oodbench", "eval", "--json", "--id", "scores.h5:/id", "--ood", "scores.h5:/ood"],
                             capture_output=True, text=True, env=dict(env, LD_DEBUG="files"), cwd=elsewhere)
    assert command.returncode == 0, command.stderr
    assert json.loads(command.stdout)["ood"][0]["auroc"] == 11 / 12
    loaded = [line for line in command.stderr.splitlines() if "liboodbench_hdf5.so" in line and "file=" in line]
    assert loaded and all(str(package / "lib" / "liboodbench_hdf5.so") in line for line in loaded), loaded
    assert subprocess.run(["oodbench", "--version"], capture_output=True, text=True, env=env,
                          check=True).stdout.startswith("oodbench ")


def test_install_python_refuses_an_interpreter_without_numpy(tmp_path):
    bare = tmp_path / "bare"  # a venv without the system's packages: no NumPy
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", bare], check=True)
    run = subprocess.run([ROOT / "scripts" / "install_python.sh"], capture_output=True, text=True,
                         env=dict(os.environ, PYTHON=str(bare / "bin" / "python3"), HOME=str(tmp_path)))
    assert run.returncode == 2 and f"{bare / 'bin' / 'python3'} cannot import numpy" in run.stderr, run.stderr
    assert not (tmp_path / ".local").exists()  # nothing written
