#!/usr/bin/env python3
"""`oodbench score` on bad input: a clear message naming what is wrong, exit code 2, and no file written.
Usage: test_score_errors.py OODBENCH_BINARY DATA_DIR
"""
import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

binary, data_dir = os.path.abspath(sys.argv[1]), pathlib.Path(sys.argv[2])
passed = failed = 0


def check(name, args, fragments, code=2, stream="stderr"):
    global passed, failed
    with tempfile.TemporaryDirectory() as out_dir:
        full = [binary, "--device", "cpu", "score", *[a.replace("OUT", out_dir) for a in args]]
        run = subprocess.run(full, capture_output=True, text=True, cwd=tmp)
        text = getattr(run, stream)
        left = os.listdir(out_dir)
        ok = run.returncode == code and all(f in text for f in fragments) and (code != 2 or not left)
    passed += ok
    failed += not ok
    print(("ok   " if ok else "FAIL ") + f"{name}: exit {run.returncode}, {run.stderr.strip()!r}, left {left}")


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    rng = np.random.default_rng(0)
    np.save(tmp / "train.npy", rng.normal(size=(40, 8)).astype(np.float32))
    np.save(tmp / "labels.npy", np.repeat([0, 1], 20).astype(np.int32))
    np.save(tmp / "one_class.npy", np.zeros(40, dtype=np.int32))
    np.save(tmp / "gap_labels.npy", np.repeat([0, 2], 20).astype(np.int64))
    np.save(tmp / "short_labels.npy", np.zeros(39, dtype=np.int32))
    np.save(tmp / "one_based.npy", np.repeat([1, 2], 20).astype(np.int64))
    stray = np.repeat([0, 1], 20).astype(np.int64)
    stray[23] = 7
    np.save(tmp / "stray_label.npy", stray)
    head = rng.normal(size=(2, 8)).astype(np.float32)
    np.save(tmp / "W.npy", head)
    np.save(tmp / "W_transposed.npy", head.T)
    np.save(tmp / "W_narrow.npy", head[:, :5])
    np.save(tmp / "b.npy", np.array([0.5, -0.25], dtype=np.float32))
    np.save(tmp / "b_row.npy", np.array([[0.5, -0.25]], dtype=np.float32))
    np.save(tmp / "b_column.npy", np.array([[0.5], [-0.25]], dtype=np.float32))
    np.save(tmp / "b_long.npy", np.zeros(3, dtype=np.float32))
    (tmp / "features_dir").mkdir()
    (tmp / "train.pt").write_bytes(b"\x80\x02")  # a pickle's first bytes: never parsed
    (tmp / "train.csv").write_text("1,2\n")
    (tmp / "train.txt").write_text("1 2\n")
    np.save(tmp / "test.npy", rng.normal(size=(5, 8)).astype(np.float32))
    np.save(tmp / "narrow.npy", rng.normal(size=(5, 6)).astype(np.float32))
    bad = rng.normal(size=(5, 8))
    bad[3, 2] = np.nan
    np.save(tmp / "nan_test.npy", bad)
    base = ["--train", "train.npy", "--test", "test.npy", "--out", "OUT/s.npy"]
    labelled = base + ["--train-labels", "labels.npy"]

    check("k larger than the train set", ["--detector", "knn", "--param", "k=41", *base], ["knn: k = 41", "40"])
    check("train and test widths differ",
          ["--detector", "knn", "--train", "train.npy", "--test", "narrow.npy", "--out", "OUT/s.npy"],
          ["narrow.npy", "6 columns", "8"])
    check("class-conditional on one class",
          ["--detector", "mahalanobis", "--train-labels", "one_class.npy", *base], ["mahalanobis: class-conditional", "at least 2 classes", "found 1"])
    check("labels not 0..C-1", ["--detector", "mahalanobis", "--train-labels", "gap_labels.npy", *base],
          ["gap_labels.npy: found labels 0, 2 (2 distinct)", "class 1 has no sample", "np.unique(y, return_inverse=True)[1]"])
    check("labels 1..C", ["--detector", "mahalanobis", "--train-labels", "one_based.npy", *base],
          ["one_based.npy: found labels 1, 2 (2 distinct)", "class 0 has no sample", "np.unique(y, return_inverse=True)[1]"])
    check("one stray label", ["--detector", "mahalanobis", "--train-labels", "stray_label.npy", *base],
          ["stray_label.npy: found labels 0, 1, 7", "label 7 at row 23 is the only sample of its class"])
    check("stray label beyond a supplied head", ["--detector", "energy", "--head", "W.npy", "--bias", "b.npy",
                                                 "--train-labels", "stray_label.npy", *base],
          ["stray_label.npy: label 7 (first at row 23)", "head has only 2 classes"])
    check("labels and train rows disagree", ["--detector", "mahalanobis", "--train-labels", "short_labels.npy", *base],
          ["short_labels.npy", "39 labels", "40 rows"])
    check("labels missing for a class-conditional detector", ["--detector", "rmds", *base], ["needs ID train class labels"])
    check("no head and no labels for a logit detector", ["--detector", "energy", *base], ["needs a linear head"])
    check("unknown detector", ["--detector", "odin", *base], ["unknown detector 'odin'", "knn"])
    check("unknown parameter", ["--detector", "knn", "--param", "kk=3", *base], ["--param/kk", "known: k"])
    check("parameter of the wrong type", ["--detector", "knn", "--param", "k=1.5", *base], ["--param/k", "integer"])
    check("parameter outside its choices", ["--detector", "mahalanobis", "--param", "shrinkage=oas", *labelled],
          ["--param/shrinkage", "ledoit_wolf"])
    check("malformed parameter", ["--detector", "knn", "--param", "k", *base], ["expected key=value"])
    check("NaN in test features", ["--detector", "knn", "--param", "k=3", "--train", "train.npy", "--test", "test.npy",
                                   "--out", "OUT/a.npy", "--test", "nan_test.npy", "--out", "OUT/b.npy"],
          ["nan_test.npy", "NaN at row 3, column 2"])
    check("one --out per --test", ["--detector", "knn", "--train", "train.npy", "--test", "test.npy", "--test",
                                   "test.npy", "--out", "OUT/a.npy"], ["one --out per --test"])
    check("the same --out for two --test", ["--detector", "knn", "--param", "k=3", "--train", "train.npy", "--test",
                                            "test.npy", "--out", "OUT/a.npy", "--test", "test.npy", "--out",
                                            "OUT/./a.npy"],
          ["/./a.npy: is also the output of an earlier --out", "give --out a file name of its own"])
    before = (tmp / "test.npy").read_bytes()
    check("--out over an input", ["--detector", "knn", "--param", "k=3", "--train", "train.npy", "--test",
                                  "test.npy", "--out", "test.npy"],
          ["--out test.npy: is the input test.npy, which writing it would replace"])
    unchanged = (tmp / "test.npy").read_bytes() == before
    passed += unchanged
    failed += not unchanged
    print(("ok   " if unchanged else "FAIL ") + "... and the input is left as it was")
    check("missing output directory", ["--detector", "knn", "--train", "train.npy", "--test", "test.npy",
                                       "--out", "OUT/missing/s.npy"], ["does not exist"])
    check("missing input file", ["--detector", "knn", "--train", "nope.npy", "--test", "test.npy",
                                 "--out", "OUT/s.npy"], ["nope.npy", "cannot open"])
    check("directory as an array", ["--detector", "knn", "--train", "features_dir", "--test", "test.npy",
                                    "--out", "OUT/s.npy"],
          ["features_dir is a directory; name an array file (.npy, file.npz:key", "or its shards (features_dir/*.npy)"])
    check("directory as a test array", ["--detector", "knn", "--param", "k=3", "--train", "train.npy", "--test",
                                        "features_dir/", "--out", "OUT/s.npy"], ["features_dir/ is a directory"])
    check("PyTorch file", ["--detector", "knn", "--train", "train.pt", "--test", "test.npy", "--out", "OUT/s.npy"],
          ["train.pt: a PyTorch pickle", "unpickling runs code",
           "t = torch.load('train.pt', map_location='cpu'); np.savez('train.npz'", "then name train.npy (a tensor) "
           "or train.npz:KEY (a dict checkpoint", "safetensors.torch.save_file"])
    check("CSV file of another width", ["--detector", "knn", "--train", "train.csv", "--test", "test.npy", "--out",
                                        "OUT/s.npy"], ["test.npy: 8 columns but the train features (train.csv) have 2"])
    check("text file", ["--detector", "knn", "--train", "train.txt", "--test", "test.npy", "--out", "OUT/s.npy"],
          ["train.txt", "'.txt' files are not read", "reads .npy, .npz (file.npz:key), HDF5 (file.h5:/dataset)"])
    check("--detector all without {detector} in --out",
          ["--detector", "all", "--train", "train.npy", "--test", "test.npy", "--out", "OUT/s.npy"],
          ["--out", "with --detector all, name each output with {detector}"])
    check("--detector all with --param",
          ["--detector", "all", "--param", "k=3", "--train", "train.npy", "--test", "test.npy", "--out",
           "OUT/{detector}.npy"], ["--detector all runs every detector with its defaults; drop --param"])
    with_head = ["--detector", "energy", *base]
    check("transposed head", [*with_head, "--head", "W_transposed.npy", "--bias", "b.npy"],
          ["head weights W_transposed.npy have shape (8, 2)", "looks like W",
           "expects (classes, features) = (2, 8): save W.T"])
    check("head of the wrong width", [*with_head, "--head", "W_narrow.npy", "--bias", "b.npy"],
          ["head weights W_narrow.npy have shape (2, 5)", "features have 8 columns", "(C, 8)"])
    check("bias longer than the head", [*with_head, "--head", "W.npy", "--bias", "b_long.npy"],
          ["head bias b_long.npy has 3 entries", "head weights W.npy have 2 rows"])
    # Fewer samples than dimensions is not an error: the pseudo-inverse is used, with a warning (as scikit-learn).
    np.save(tmp / "few.npy", rng.normal(size=(6, 8)).astype(np.float32))
    np.save(tmp / "few_labels.npy", np.array([0, 0, 0, 1, 1, 1], dtype=np.int32))
    check("fewer samples than dimensions", ["--detector", "mahalanobis", "--train", "few.npy", "--train-labels",
                                            "few_labels.npy", "--test", "test.npy", "--out", "OUT/s.npy"],
          ["warning", "6 samples in 8 dimensions", "pseudo-inverse"], code=0)

    # A (1, C) or (C, 1) bias is the 1-D bias: the same scores, and nothing said about it.
    def energy_scores(bias):
        out = tmp / f"energy_{bias}"
        run = subprocess.run([binary, "--device", "cpu", "score", "--detector", "energy", *base[:4], "--out", out,
                              "--head", "W.npy", "--bias", bias], capture_output=True, text=True, cwd=tmp)
        return run, np.load(out) if run.returncode == 0 else None

    flat, flat_scores = energy_scores("b.npy")
    for bias in ["b_row.npy", "b_column.npy"]:
        run, scores = energy_scores(bias)
        ok = flat.returncode == 0 and run.returncode == 0 and not run.stderr and np.array_equal(scores, flat_scores)
        passed += ok
        failed += not ok
        print(("ok   " if ok else "FAIL ") + f"{bias} bias scores as the 1-D bias: exit {run.returncode}, "
              f"{run.stderr.strip()!r}")

    # --device auto says in one line what it picked; the reason no GPU is usable only with --verbose.
    def device_line(*flags):
        run = subprocess.run([binary, *flags, "score", "--detector", "knn", "--param", "k=3", *base[:4], "--out",
                              tmp / "auto.npy"], capture_output=True, text=True, cwd=tmp)
        return run.returncode, run.stderr.splitlines()

    code, lines = device_line("--device", "auto")
    picked_cpu = len(lines) == 1 and lines[0].startswith("oodbench: device: cpu")
    ok = code == 0 and len(lines) == 1 and lines[0].startswith("oodbench: device: ") and (
        not picked_cpu or not any(w in lines[0] for w in ("CUDA", "GPU", "driver")))
    code, verbose = device_line("--device", "auto", "--verbose")
    ok = ok and code == 0 and len(verbose) == 1 and (not picked_cpu or "no usable GPU: " in verbose[0])
    passed += ok
    failed += not ok
    print(("ok   " if ok else "FAIL ") + f"--device auto: {lines!r}; with --verbose: {verbose!r}")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
