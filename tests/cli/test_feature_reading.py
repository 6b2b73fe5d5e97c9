#!/usr/bin/env python3
"""Features are read a block of 2**18 values at a time, converted and checked while in cache, and plain .npy files
and .npz members go straight into the engine's matrix (harness/io/feature_reader.h). Checked here across several
blocks (700 x 1000 values): float16, float32 and float64 data as .npy, stored .npz and compressed .npz give scores
identical, bit for bit, to the float32 .npy that NumPy converts; the layouts that take the general reader (Fortran
order, big-endian) agree too; a NaN or Inf in a late block is named by its row and column in every format; a float64
beyond float32's range is refused, not read as Inf; a truncated or damaged (CRC) .npz member is a clean exit-2
error.
Usage: test_feature_reading.py OODBENCH_BINARY DATA_DIR
"""
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

binary = os.path.abspath(sys.argv[1])
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from script_checks import finish, report  # noqa: E402


def score(tmp, train_spec):
    out = tmp / "scores.npy"
    out.unlink(missing_ok=True)
    run = subprocess.run([binary, "--device", "cpu", "score", "--detector", "knn", "--param", "k=3", "--train",
                          train_spec, "--test", str(tmp / "test.npy"), "--out", str(out)], capture_output=True, text=True)
    return run.returncode, (np.load(out).tobytes() if run.returncode == 0 else None), run.stderr


def save_variants(tmp, name, x):
    """x as .npy, stored .npz and compressed .npz: the specs naming them."""
    np.save(tmp / f"{name}.npy", x)
    np.savez(tmp / f"{name}.npz", emb=x)
    np.savez_compressed(tmp / f"{name}_z.npz", emb=x)
    return [f"{tmp}/{name}.npy", f"{tmp}/{name}.npz:emb", f"{tmp}/{name}_z.npz:emb"]


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    rng = np.random.default_rng(5)
    x64 = rng.normal(size=(700, 1000))
    np.save(tmp / "test.npy", rng.normal(size=(6, 1000)).astype(np.float32))
    for dtype in (np.float16, np.float32, np.float64):
        x = x64.astype(dtype)
        np.save(tmp / "ref.npy", x.astype(np.float32))
        rc, want, err = score(tmp, str(tmp / "ref.npy"))
        assert rc == 0, err
        for spec in save_variants(tmp, f"x_{np.dtype(dtype).name}", x):
            rc, got, err = score(tmp, spec)
            report(f"{spec.split('/')[-1]}: the scores of NumPy's float32 conversion", rc == 0 and got == want,
                   err.strip()[-300:])
        np.save(tmp / "fortran.npy", np.asfortranarray(x))
        np.save(tmp / "big_endian.npy", x.astype(np.dtype(dtype).newbyteorder(">")))
        for name in ("fortran.npy", "big_endian.npy"):
            rc, got, err = score(tmp, str(tmp / name))
            report(f"{np.dtype(dtype).name} {name} (general reader) agrees", rc == 0 and got == want, err.strip()[-300:])

    for bad, word in ((np.nan, "NaN"), (np.inf, "Inf")):
        x = x64.copy()
        x[650, 999] = bad  # element 650999: the third block
        for dtype in (np.float16, np.float32, np.float64):
            for spec in save_variants(tmp, "bad", x.astype(dtype)):
                rc, _, err = score(tmp, spec)
                report(f"{word} in {np.dtype(dtype).name} {spec.split('/')[-1]}: named by row and column",
                       rc == 2 and f"{word} at row 650, column 999" in err, err.strip()[-300:])

    x = x64.copy()
    x[300, 7] = 1e300
    np.save(tmp / "huge.npy", x)
    rc, _, err = score(tmp, str(tmp / "huge.npy"))
    report("float64 beyond float32's range is refused", rc == 2 and "row 300, column 7 does not fit float32" in err,
           err.strip()[-300:])

    with zipfile.ZipFile(tmp / "x_float32.npz") as z:
        member = z.read("emb.npy")
    with zipfile.ZipFile(tmp / "truncated.npz", "w") as z:
        z.writestr("emb.npy", member[: len(member) // 2])
    rc, _, err = score(tmp, f"{tmp}/truncated.npz:emb")
    report("a truncated .npz member: exit 2, named", rc == 2 and "truncated.npz:emb" in err and "truncated" in err,
           err.strip()[-300:])

    # One byte flipped in a stored member's data (a finite value stays finite): only its CRC-32 tells.
    damaged = bytearray((tmp / "x_float32.npz").read_bytes())
    with zipfile.ZipFile(tmp / "x_float32.npz") as z:
        info = z.getinfo("emb.npy")
    at = info.header_offset  # the local header: 30 bytes, then its own name and extra field
    data_start = at + 30 + int.from_bytes(damaged[at + 26:at + 28], "little") + \
        int.from_bytes(damaged[at + 28:at + 30], "little")
    damaged[data_start + 128 + 4 * 1000] ^= 0x01  # the lowest mantissa bit of value 1000
    (tmp / "damaged.npz").write_bytes(bytes(damaged))
    for spec in (f"{tmp}/damaged.npz:emb", f"{tmp}/damaged.npz"):
        rc, _, err = score(tmp, spec)
        report(f"a damaged .npz member ({spec.split('/')[-1]}): exit 2, named",
               rc == 2 and "damaged.npz:emb: corrupt archive member" in err and "CRC" in err, err.strip()[-300:])
finish()
