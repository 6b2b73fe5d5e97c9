#!/usr/bin/env python3
"""Uncompressed contiguous HDF5 datasets and safetensors tensors are viewed in a private memory map, like .npy: the
scores are byte-identical to the same data as .npy (float32, float16, a file with an HDF5 user block, tensors at
offsets that are not 4-byte aligned), what cannot be viewed still reads (chunked, big-endian, BF16), a truncated
safetensors file is still a clean exit-2 error, and a ~300 MB train file scores with a peak RSS growing by less than
1.5x its size over a run on 100 rows (reading it into a buffer and then converting it would cost about 2x).
Usage: test_mapped_inputs.py OODBENCH_BINARY DATA_DIR
"""
import os
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numpy as np

binary = os.path.abspath(sys.argv[1])
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from script_checks import finish, report, write_safetensors  # noqa: E402


# The child's peak RSS is measured by a small Python process that forks and execs oodbench: a child forked from this
# process directly would start with this process's own peak RSS (the kernel copies it at fork), which the 300 MB
# arrays written below make larger than what is measured.
RSS_WRAPPER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
os.write(int(os.environ["OODBENCH_RSS_FD"]), str(usage.ru_maxrss * 1024).encode())
sys.exit(os.waitstatus_to_exitcode(status))
"""


def score(args, cwd):
    """Scores `oodbench score ARGS` in `cwd`: (exit code, scores as bytes or None, stderr, peak RSS in bytes)."""
    with tempfile.TemporaryDirectory() as out:
        read_end, write_end = os.pipe()
        run = subprocess.run([sys.executable, "-c", RSS_WRAPPER, binary, "--device", "cpu", "score", *args, "--out",
                              f"{out}/s.npy"], cwd=cwd, capture_output=True, text=True, pass_fds=(write_end,),
                             env={**os.environ, "OODBENCH_RSS_FD": str(write_end)})
        os.close(write_end)
        with os.fdopen(read_end) as f:
            peak = int(f.read() or 0)
        scores = np.load(f"{out}/s.npy").tobytes() if run.returncode == 0 else None
        return run.returncode, scores, run.stderr, peak


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    rng = np.random.default_rng(11)
    train = rng.normal(size=(80, 7)).astype(np.float32)
    test = rng.normal(loc=0.2, size=(13, 7)).astype(np.float32)
    np.save(tmp / "train.npy", train)
    np.save(tmp / "test.npy", test)
    half_train = train.astype(np.float16)
    np.save(tmp / "train16.npy", half_train)
    knn = ["--detector", "knn", "--param", "k=3", "--test", "test.npy"]
    rc, ref, err, _ = score([*knn, "--train", "train.npy"], tmp)
    assert rc == 0, err
    rc, ref16, err, _ = score([*knn, "--train", "train16.npy"], tmp)
    assert rc == 0, err

    def same(name, train_spec, want):
        rc, got, err, _ = score([*knn, "--train", train_spec], tmp)
        report(name, rc == 0 and got == want, "identical to .npy" if got == want else err.strip()[-300:])

    # HDF5: contiguous (viewed in place) and what must still be read.
    with h5py.File(tmp / "emb.h5", "w") as f:
        f["train"] = train                                   # contiguous, native: mapped
        f["train16"] = half_train                            # contiguous binary16: mapped
        f.create_dataset("train_be", data=train.astype(">f4"))  # big-endian: read and converted
        f.create_dataset("train_chunked", data=train, chunks=(9, 7))
        f.create_dataset("train_late", shape=train.shape, dtype="f4")  # never written: no storage, fill values
    with h5py.File(tmp / "userblock.h5", "w", userblock_size=512) as f:
        f["train"] = train
    same("hdf5 contiguous float32", "emb.h5:/train", ref)
    same("hdf5 contiguous float16", "emb.h5:/train16", ref16)
    same("hdf5 big-endian (read)", "emb.h5:/train_be", ref)
    same("hdf5 chunked (read)", "emb.h5:/train_chunked", ref)
    same("hdf5 with a 512-byte user block", "userblock.h5:/train", ref)
    rc, zeros, err, _ = score([*knn, "--train", "emb.h5:/train_late"], tmp)
    np.save(tmp / "zeros.npy", np.zeros_like(train))
    rc2, zeros_ref, err2, _ = score([*knn, "--train", "zeros.npy"], tmp)
    report("hdf5 dataset never written (fill values)", rc == rc2 and zeros == zeros_ref, (err + err2).strip()[-300:])

    # safetensors: every tensor but BF16 is viewed; an unpadded header puts the data at an unaligned offset.
    write_safetensors(tmp / "emb.safetensors", {"a_test": ("F32", test), "train": ("F32", train),
                                                "train16": ("F16", half_train)})
    write_safetensors(tmp / "odd.safetensors", {"x": ("U8", np.arange(3, dtype=np.uint8)), "train": ("F32", train)},
                      pad=False)
    same("safetensors F32", "emb.safetensors:train", ref)
    same("safetensors F16", "emb.safetensors:train16", ref16)
    same("safetensors F32 at an unaligned offset", "odd.safetensors:train", ref)
    whole = (tmp / "emb.safetensors").read_bytes()
    (tmp / "cut.safetensors").write_bytes(whole[:-10])
    rc, _, err, _ = score([*knn, "--train", "cut.safetensors:train"], tmp)
    report("truncated safetensors: exit 2, header error", rc == 2 and "invalid safetensors header" in err
           and "cut.safetensors" in err, f"rc {rc}: {err.strip()[-200:]}")

    # Peak RSS: a ~300 MB float32 train set (76,800 x 1024) scored by maxlogit, whose fit keeps no copy of train
    # beyond the engine's float32 matrix. Viewed in place, the peak is that matrix plus a few MB; read into a buffer
    # first it would be about twice the file.
    rows, dim = 76_800, 1024
    big = np.empty((rows, dim), dtype=np.float32)
    for i in range(0, rows, 8192):
        big[i:i + 8192] = rng.normal(size=(min(8192, rows - i), dim))
    small = big[:100].copy()
    np.save(tmp / "small.npy", small)
    np.save(tmp / "W.npy", rng.normal(size=(2, dim)).astype(np.float32))
    np.save(tmp / "b.npy", np.zeros(2, dtype=np.float32))
    with h5py.File(tmp / "big.h5", "w") as f:
        f["train"] = big
    write_safetensors(tmp / "big.safetensors", {"train": ("F32", big)})
    np.save(tmp / "big.npy", big)
    del big
    head = ["--detector", "maxlogit", "--head", "W.npy", "--bias", "b.npy", "--test", "small.npy"]
    # What the process holds before any data: the libraries (a CUDA build maps cuBLAS, about 270 MB resident).
    _, _, _, baseline = score([*head, "--train", "small.npy"], tmp)
    results = {}
    for name, spec, path in [("npy", "big.npy", "big.npy"), ("hdf5", "big.h5:/train", "big.h5"),
                             ("safetensors", "big.safetensors:train", "big.safetensors")]:
        size = (tmp / path).stat().st_size
        rc, got, err, peak = score([*head, "--train", spec], tmp)
        results[name] = got
        grown = peak - baseline
        report(f"{name} ~300 MB train: peak RSS grows below 1.5x the file", rc == 0 and grown < 1.5 * size,
               f"rc {rc}, file {size / 2**20:.0f} MiB, peak RSS {peak / 2**20:.0f} MiB, {grown / 2**20:.0f} MiB above "
               f"the {baseline / 2**20:.0f} MiB of a run on 100 rows ({grown / size:.2f}x)"
               + ("" if rc == 0 else ": " + err.strip()[-200:]))
    report("~300 MB scores identical across formats", results["npy"] is not None and
           results["npy"] == results["hdf5"] == results["safetensors"])

finish()
