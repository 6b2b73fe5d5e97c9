#!/usr/bin/env python3
"""Every input format gives the scores of the same data as .npy, byte for byte: HDF5 (written by h5py: float16/32/64,
chunked and gzip-compressed, integer and string labels), safetensors (written here from its spec: an 8-byte
little-endian header length, the JSON header, the raw data; F16/BF16/F32/F64, integer labels), CSV/TSV (pandas and
numpy, with and without a header, column names and ranges), shards (a glob equals the concatenated file), squeezed
singleton axes, narrow integer labels, and label remapping (integers and strings round-trip to 0..C-1 in sorted order).
Usage: test_input_formats.py OODBENCH_BINARY DATA_DIR
"""
import os
import pathlib
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import pandas as pd

binary = os.path.abspath(sys.argv[1])
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from script_checks import finish, report, write_safetensors  # noqa: E402


def score(detector, train, test, labels=None, extra=()):
    """Scores of `test` as bytes, or the stderr of a failure."""
    with tempfile.TemporaryDirectory() as out:
        args = [binary, "--device", "cpu", "score", "--detector", detector, "--train", train, "--test", test,
                "--out", f"{out}/s.npy", *extra]
        if labels:
            args += ["--train-labels", labels]
        run = subprocess.run(args, capture_output=True, text=True, cwd=tmp)
        if run.returncode != 0:
            return None, run.stderr
        return np.load(f"{out}/s.npy").tobytes(), run.stderr


def same_scores(name, detector, train, test, labels=None, ref=None, extra=()):
    got, err = score(detector, train, test, labels, extra)
    want = ref if ref is not None else reference[detector]
    report(name, got == want, "identical to .npy" if got == want else (err.strip()[-300:] or "scores differ"))
    return err


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    rng = np.random.default_rng(7)
    train = rng.normal(size=(60, 6)).astype(np.float32)
    test = rng.normal(loc=0.3, size=(15, 6)).astype(np.float32)
    labels = np.repeat([0, 1, 2], 20).astype(np.int64)
    np.save(tmp / "train.npy", train)
    np.save(tmp / "test.npy", test)
    np.save(tmp / "labels.npy", labels)
    reference = {}
    for det, lab in [("knn", None), ("mahalanobis", "labels.npy")]:
        reference[det], err = score(det, "train.npy", "test.npy", lab)
        assert reference[det] is not None, err

    # HDF5 through h5py: plain, chunked + gzip, float16 and float64, a nested group, labels of several types.
    with h5py.File(tmp / "emb.h5", "w") as f:
        f["train"] = train
        f.create_dataset("/nested/group/train_gz", data=train, chunks=(7, 6), compression="gzip", compression_opts=6,
                         shuffle=True)
        f["train_f64"] = train.astype(np.float64)
        f["test"] = test
        f["labels"] = labels.astype(np.int16)
        f["labels_u32"] = labels.astype(np.uint32)
        f["test3d"] = test[:, None, :]
    same_scores("hdf5 float32", "knn", "emb.h5:/train", "emb.h5:/test")
    same_scores("hdf5 chunked gzip in a group", "knn", "emb.h5:/nested/group/train_gz", "emb.h5:test")
    same_scores("hdf5 float64", "knn", "emb.h5:/train_f64", "emb.h5:/test")
    same_scores("hdf5 int16 labels", "mahalanobis", "emb.h5:/train", "emb.h5:/test", "emb.h5:/labels")
    same_scores("hdf5 uint32 labels", "mahalanobis", "emb.h5:/train", "emb.h5:/test", "emb.h5:/labels_u32")
    err = same_scores("hdf5 (N, 1, D) squeezed", "knn", "emb.h5:/train", "emb.h5:/test3d")
    report("squeeze note", "read as (15, 6)" in err, err.strip()[:200])
    half_train, half_test = train.astype(np.float16), test.astype(np.float16)
    np.save(tmp / "train16.npy", half_train)
    np.save(tmp / "test16.npy", half_test)
    ref16, _ = score("knn", "train16.npy", "test16.npy")
    with h5py.File(tmp / "half.h5", "w") as f:
        f.create_dataset("train", data=half_train, chunks=(10, 6), compression="lzf")
        f["test"] = half_test
    same_scores("hdf5 float16 (lzf)", "knn", "half.h5:/train", "half.h5:/test", ref=ref16)

    # safetensors from the spec.
    write_safetensors(tmp / "emb.safetensors", {"train": ("F32", train), "test": ("F32", test),
                                                "labels": ("I64", labels), "labels8": ("I8", labels.astype(np.int8)),
                                                "test_f64": ("F64", test.astype(np.float64))},
                      metadata={"format": "pt"})
    same_scores("safetensors F32", "knn", "emb.safetensors:train", "emb.safetensors:test")
    same_scores("safetensors F64", "knn", "emb.safetensors:train", "emb.safetensors:test_f64")
    same_scores("safetensors I64 labels", "mahalanobis", "emb.safetensors:train", "emb.safetensors:test",
                "emb.safetensors:labels")
    same_scores("safetensors I8 labels", "mahalanobis", "emb.safetensors:train", "emb.safetensors:test",
                "emb.safetensors:labels8")
    write_safetensors(tmp / "half.safetensors", {"train": ("F16", half_train), "test": ("F16", half_test)})
    same_scores("safetensors F16", "knn", "half.safetensors:train", "half.safetensors:test", ref=ref16)
    bf_train = (train.view(np.uint32) >> 16).astype(np.uint16)  # truncation: exactly representable in bf16
    bf_test = (test.view(np.uint32) >> 16).astype(np.uint16)
    np.save(tmp / "train_bf.npy", (bf_train.astype(np.uint32) << 16).view(np.float32))
    np.save(tmp / "test_bf.npy", (bf_test.astype(np.uint32) << 16).view(np.float32))
    ref_bf, _ = score("knn", "train_bf.npy", "test_bf.npy")
    write_safetensors(tmp / "bf.safetensors", {"train": ("BF16", bf_train), "test": ("BF16", bf_test)})
    same_scores("safetensors BF16", "knn", "bf.safetensors:train", "bf.safetensors:test", ref=ref_bf)
    write_safetensors(tmp / "one.safetensors", {"embeddings": ("F32", test)})
    same_scores("safetensors single tensor, no key", "knn", "train.npy", "one.safetensors")

    # CSV/TSV: pandas with a header (columns by name and by range, a label column), numpy without one.
    cols = [f"f{i}" for i in range(6)]
    frame = pd.DataFrame(train, columns=cols)
    frame.insert(0, "label", labels)
    frame["note"] = "x"
    frame.to_csv(tmp / "train.csv", index=False)
    pd.DataFrame(test, columns=cols).to_csv(tmp / "test.csv", index=False)
    pd.DataFrame(test, columns=cols).to_csv(tmp / "test_index.csv")  # with pandas' index column
    np.savetxt(tmp / "test_plain.csv", test, delimiter=",", fmt="%.9g")
    np.savetxt(tmp / "test.tsv", test, delimiter="\t", fmt="%.9g")
    same_scores("csv column range", "knn", "train.csv:f0..f5", "test.csv")
    same_scores("csv column names", "knn", "train.csv:f0,f1,f2,f3,f4,f5", "test_plain.csv")
    same_scores("csv pandas index dropped", "knn", "train.csv:f0..f5", "test_index.csv")
    same_scores("tsv without header", "knn", "train.csv:1..6", "test.tsv")
    same_scores("csv label column", "mahalanobis", "train.csv:f0..f5", "test.csv", "train.csv:label")

    # Shards: a glob equals the concatenated file, for .npy and HDF5.
    (tmp / "shards").mkdir()
    for i, part in enumerate(np.array_split(train, 4)):
        np.save(tmp / "shards" / f"part-{i:02d}.npy", part)
        with h5py.File(tmp / "shards" / f"emb-{i:02d}.h5", "w") as f:
            f["x"] = part
    same_scores("npy shards", "knn", "shards/part-*.npy", "test.npy")
    same_scores("hdf5 shards", "knn", "shards/emb-*.h5:/x", "test.npy")
    np.save(tmp / "shards" / "part-99.npy", train[:3, :5])
    got, err = score("knn", "shards/part-*.npy", "test.npy")
    report("shard of another width", got is None and "part-99.npy" in err and "5 columns" in err, err.strip()[-200:])

    # Narrow integer labels in .npy.
    for dtype in (np.int8, np.int16, np.uint16, np.uint32, np.uint64):
        np.save(tmp / f"labels_{np.dtype(dtype).name}.npy", labels.astype(dtype))
        same_scores(f"npy {np.dtype(dtype).name} labels", "mahalanobis", "train.npy", "test.npy",
                    f"labels_{np.dtype(dtype).name}.npy")

    # Label remapping: any integers, or strings, map to 0..C-1 in sorted order and give the same scores.
    np.save(tmp / "labels_odd.npy", np.choose(labels, [-5, 3, 1000]).astype(np.int64))
    np.save(tmp / "labels_words.npy", np.choose(labels, ["cat", "dog", "emu"]))
    pd.DataFrame({"y": np.choose(labels, ["cat", "dog", "emu"])}).to_csv(tmp / "labels_words.csv", index=False)
    with h5py.File(tmp / "words.h5", "w") as f:
        f["y"] = np.choose(labels, ["cat", "dog", "emu"]).astype(object)
        f.create_dataset("y_fixed", data=np.choose(labels, [b"cat", b"dog", b"emu"]))
    err = same_scores("remap integers", "mahalanobis", "train.npy", "test.npy", "labels_odd.npy",
                      extra=["--remap-labels"])
    report("remap note", "0 <- -5, 1 <- 3, 2 <- 1000" in err, err.strip()[:200])
    err = same_scores("remap npy strings", "mahalanobis", "train.npy", "test.npy", "labels_words.npy",
                      extra=["--remap-labels"])
    report("remap strings note", '0 <- "cat", 1 <- "dog", 2 <- "emu"' in err, err.strip()[:200])
    same_scores("remap csv strings", "mahalanobis", "train.npy", "test.npy", "labels_words.csv",
                extra=["--remap-labels"])
    same_scores("remap hdf5 strings", "mahalanobis", "train.npy", "test.npy", "words.h5:/y", extra=["--remap-labels"])
    same_scores("remap hdf5 fixed strings", "mahalanobis", "train.npy", "test.npy", "words.h5:/y_fixed",
                extra=["--remap-labels"])
    got, err = score("mahalanobis", "train.npy", "test.npy", "labels_odd.npy")
    report("no remap: labels named, flag suggested", got is None and "-5" in err and "--remap-labels" in err,
           err.strip()[-200:])
    got, err = score("mahalanobis", "train.npy", "test.npy", "labels_words.npy")
    report("no remap: strings named, flag suggested", got is None and "'cat'" in err and "--remap-labels" in err,
           err.strip()[-200:])

    # --detector all: every detector the data allows, one file each; the others skipped with a line.
    (tmp / "all").mkdir()
    run = subprocess.run([binary, "--device", "cpu", "score", "--detector", "all", "--train", "emb.h5:/train",
                          "--test", "test.csv", "--out", "all/{detector}.npy", "--val", "test.npy"],
                         capture_output=True, text=True, cwd=tmp)
    written = sorted(p.stem for p in (tmp / "all").iterdir())
    report("score --detector all", run.returncode == 0 and {"knn", "mars", "pca", "ae_l2"} <= set(written) and
           "msp" not in written and "oodbench: skipped msp: detector 'msp' needs a linear head" in run.stderr and
           np.load(tmp / "all" / "knn.npy").tobytes() == reference["knn"], run.stderr.strip()[-300:])

finish()
