#!/usr/bin/env python3
"""The GPU bundle (scripts/gpu_bundle.sh) runs from its own folder, as scripts/gpu_check.sh runs it on a GPU machine:
unpacked there, every library its files load is inside it or one the GPU machine has of its own (glibc, libstdc++,
libgcc, libgomp, CUDA's), its CUDA module holds code for sm_90, and its oodbench, with only the bundle on its library
path, gives the quickstart this build's numbers. Skipped (exit 77) where no bundle was made: CI makes none (it needs
Debian 13's pybind11 headers, a Python 3.12 and a quarter of an hour); run scripts/gpu_bundle.sh, then
`ctest -R gpu.bundle`.
Usage: test_gpu_bundle.py OODBENCH_BINARY
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

root = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(root / "tests"))
from script_checks import finish, report  # noqa: E402

archive = root / ".gpu-bundle" / "oodbench-gpu.tar.xz"
if not archive.is_file():
    print(f"skipped: no {archive}; make one with scripts/gpu_bundle.sh")
    sys.exit(77)
binary = pathlib.Path(sys.argv[1]).resolve()
# What a GPU machine has of its own (scripts/gpu_bundle.sh leaves these out).
BASE = re.compile(r"^(ld-linux-x86-64|linux-vdso|libc|libm|libdl|libpthread|librt|libresolv|libutil|libstdc\+\+|"
                  r"libgcc_s|libgomp|libcuda|libcudart|libcublas|libcublasLt|libcusolver|libcusparse|libnvJitLink)\.so")


def elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    subprocess.run(["tar", "-xJf", archive, "-C", tmp], check=True)  # as scripts/gpu_check.sh unpacks it
    bundle = tmp / "oodbench-gpu"
    manifest = dict(line.split("=", 1) for line in (bundle / "MANIFEST").read_text().splitlines() if "=" in line)
    report("the manifest names CUDA, cuBLAS, the architecture and Python", manifest.get("cuda_architectures") == "90"
           and manifest.get("python") == "3.12" and manifest.get("cuda") and manifest.get("cublas"), str(manifest))

    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "OODBENCH_MODULE_DIR")}
    env["LD_LIBRARY_PATH"] = str(bundle / "deps")
    files = [p for folder in ("bin", "lib", "python", "deps") for p in sorted((bundle / folder).iterdir()) if elf(p)]
    outside = {}
    for path in files:
        listing = subprocess.run(["ldd", path], capture_output=True, text=True, env=env).stdout
        for name, where in re.findall(r"^\s*(\S+) => (.+?)(?: \(0x[0-9a-f]+\))?$", listing, re.M):
            inside = where.startswith(str(bundle))
            if not inside and not BASE.match(name):
                outside.setdefault(name, []).append(path.name)
    report(f"every library of the {len(files)} ELF files is in the bundle or the GPU machine's own", not outside,
           "; ".join(f"{name} (needed by {', '.join(sorted(set(by))[:3])})" for name, by in outside.items()))

    cuobjdump = shutil.which("cuobjdump") or shutil.which("cuobjdump", path="/usr/local/cuda/bin")
    if cuobjdump:
        elves = subprocess.run([cuobjdump, "--list-elf", bundle / "lib" / "liboodbench_cuda.so"], capture_output=True,
                               text=True).stdout
        report("the CUDA module holds machine code for sm_90", "sm_90" in elves, elves.strip()[:300])
    else:
        print("note: no cuobjdump here, so the CUDA module's architectures are not listed")

    runs = {}
    for which, program, run_env in (("this build", binary, None), ("the bundle", bundle / "bin" / "oodbench", env)):
        out = tmp / which.replace(" ", "-")
        proc = subprocess.run([program, "run", root / "configs" / "quickstart.json", "--device", "cpu", "--out", out,
                               "--quiet"], capture_output=True, text=True, env=run_env)
        runs[which] = out
        report(f"the quickstart runs with {which}'s oodbench", proc.returncode == 0,
               "" if proc.returncode == 0 else proc.stderr[-500:])
    subprocess.run([binary, "check", runs["this build"], "--write-baseline", tmp / "baseline.json"], check=True,
                   capture_output=True)
    check = subprocess.run([binary, "check", runs["the bundle"], "--baseline", tmp / "baseline.json", "--tolerance",
                            "0"], capture_output=True, text=True)
    report("the bundle's quickstart numbers are this build's, every metric (tolerance 0)", check.returncode == 0,
           (check.stdout + check.stderr)[-800:])
finish()
