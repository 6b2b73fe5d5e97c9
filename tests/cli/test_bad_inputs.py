#!/usr/bin/env python3
"""The bad-input corpus of `oodbench run`, `report` and `merge`: configs, embedding files, CLI arguments and output
locations that must fail cleanly. Each case expects exit code 2, a message naming what is wrong (fragments below),
and nothing half-written: no records, no temporary files, and no output folder that the run created.
(`oodbench score`'s own bad-input cases are in test_score_errors.py.)
Usage: test_bad_inputs.py OODBENCH_BINARY DATA_DIR
"""
import copy
import json
import os
import pathlib
import resource
import signal
import subprocess
import sys
import tempfile

import numpy as np

binary, real_data = os.path.abspath(sys.argv[1]), pathlib.Path(sys.argv[2]).resolve()
passed = failed = 0


def report(name, ok, detail):
    global passed, failed
    passed += ok
    failed += not ok
    print(("ok   " if ok else "FAIL ") + f"{name}: {detail}")


def leftovers(folder):
    """Anything half-written: temporary files, or a records file with a partial line."""
    bad = []
    for p in pathlib.Path(folder).rglob("*"):
        if ".tmp." in p.name:
            bad.append(p.name)
        if p.name == "records.jsonl":
            text = p.read_text()
            if text and not text.endswith("\n"):
                bad.append("partial record")
    return bad


def expect_failure(name, args, fragments, out=None, preexec=None, created_by_run=True):
    proc = subprocess.run([binary, "--device", "cpu", *map(str, args)], capture_output=True, text=True, cwd=tmp,
                          preexec_fn=preexec)
    problems = []
    if proc.returncode != 2:
        problems.append(f"exit {proc.returncode}")
    problems += [f"missing {f!r}" for f in fragments if f not in proc.stderr]
    if out is not None and pathlib.Path(out).exists():
        if created_by_run:
            problems.append("left the output folder it created")
        problems += leftovers(out)
    report(name, not problems, "; ".join(problems) or proc.stderr.strip().splitlines()[-1][:150])


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    data = tmp / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    train = rng.normal(size=(40, 8)).astype(np.float32)
    test = rng.normal(size=(10, 8)).astype(np.float32)
    np.save(data / "train.npy", train)
    np.save(data / "labels.npy", np.repeat([0, 1], 20).astype(np.int32))
    np.save(data / "gap_labels.npy", np.repeat([0, 2], 20).astype(np.int32))
    np.save(data / "short_labels.npy", np.zeros(39, dtype=np.int32))
    np.save(data / "test.npy", test)
    np.save(data / "test_copy.npy", test)
    np.save(data / "ood.npy", rng.normal(loc=2, size=(12, 8)).astype(np.float32))
    np.save(data / "narrow.npy", rng.normal(size=(12, 6)).astype(np.float32))
    np.save(data / "empty.npy", np.zeros((0, 8), dtype=np.float32))
    nan = rng.normal(size=(12, 8)).astype(np.float32)
    nan[3, 5] = np.nan
    np.save(data / "nan.npy", nan)
    np.savez(data / "arrays.npz", train=train)
    (data / "truncated.npy").write_bytes((data / "test.npy").read_bytes()[:100])
    np.save(data / "one_based.npy", np.repeat([1, 2], 20).astype(np.int32))
    stray = np.repeat([0, 1], 20).astype(np.int32)
    stray[23] = 7
    np.save(data / "stray_label.npy", stray)
    weights = rng.normal(size=(2, 8)).astype(np.float32)
    np.save(data / "W.npy", weights)
    np.save(data / "W_transposed.npy", weights.T)
    np.save(data / "W_narrow.npy", weights[:, :5])
    np.save(data / "b.npy", np.array([0.5, -0.25], dtype=np.float32))
    np.save(data / "b_row.npy", np.array([[0.5, -0.25]], dtype=np.float32))
    np.save(data / "b_long.npy", np.zeros(3, dtype=np.float32))
    (data / "features_dir").mkdir()
    (data / "train.pt").write_bytes(b"\x80\x02")  # a pickle's first bytes: never parsed
    (data / "train.csv").write_text("a,b,c,d,e,f,g,h\n" + "1,2,3,4,5,6,7,8\n" * 3 + "1,2,3,x4,5,6,7,8\n")
    (data / "ragged.csv").write_text("1,2,3,4,5,6,7,8\n1,2,3\n")
    (data / "quote.csv").write_text('1,2,3,4,5,6,7,"8\n')
    np.save(data / "four_d.npy", np.zeros((10, 2, 2, 2), dtype=np.float32))
    np.save(data / "words.npy", np.repeat(["cat", "dog"], 20))
    import h5py
    with h5py.File(data / "emb.h5", "w") as f:
        f["train"] = train
        f["group/x"] = test
        f["ints"] = np.zeros((10, 8), dtype=np.int32)
        f["pairs"] = np.zeros(10, dtype=[("a", "f4"), ("b", "i4")])
    (data / "fake.h5").write_bytes(b"not hdf5 at all" * 10)
    import struct

    def safetensors(name, header, data_bytes=b"", length=None):
        text = json.dumps(header).encode() if isinstance(header, dict) else header
        (data / name).write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data_bytes)

    raw = train.tobytes()
    f32 = {"dtype": "F32", "shape": [40, 8], "data_offsets": [0, len(raw)]}
    safetensors("good.safetensors", {"train": f32}, raw)
    safetensors("huge_header.safetensors", {"train": f32}, raw, length=1 << 40)
    safetensors("bad_json.safetensors", b'{"train": {"dtype": "F32",', raw)
    safetensors("outside.safetensors", {"train": {**f32, "data_offsets": [0, len(raw) + 4]}}, raw)
    safetensors("wrong_size.safetensors", {"train": {**f32, "shape": [40, 7]}}, raw)
    safetensors("bool.safetensors", {"train": {**f32, "dtype": "BOOL"}}, raw)
    safetensors("overlap.safetensors", {"train": f32, "copy": f32}, raw)
    safetensors("hole.safetensors", {"train": {**f32, "data_offsets": [8, len(raw) + 8]}}, b"\0" * 8 + raw)
    safetensors("negative.safetensors", {"train": {**f32, "shape": [-40, 8]}}, raw)
    with h5py.File(data / "links.h5", "w") as f:
        f["x"] = train
        f["loop_a"] = h5py.SoftLink("/loop_b")
        f["loop_b"] = h5py.SoftLink("/loop_a")
        f["dangling"] = h5py.SoftLink("/nothing")
        f["outside"] = h5py.ExternalLink("missing.h5", "/data")
    (data / "nul.csv").write_bytes(b"1,2,3,4,5,6,7,8\n1,2,3,4,\x005,6,7,8\n")
    with open(data / "huge_line.csv", "wb") as f:  # one line of 2 GiB (sparse: NUL bytes that take no disk)
        f.write(b"1,")
        f.truncate(2 << 30)
    import zipfile
    with zipfile.ZipFile(data / "twice.npz", "w") as z:
        import io as _io
        for values in (train, test):
            buffer = _io.BytesIO()
            np.save(buffer, values)
            with __import__("warnings").catch_warnings():
                __import__("warnings").simplefilter("ignore")  # zipfile warns of the duplicate name it writes
                z.writestr("train.npy", buffer.getvalue())
    (data / "shards").mkdir()
    np.save(data / "shards" / "a.npy", train[:20])
    np.save(data / "shards" / "b.npy", train[20:, :6])

    good = {
        "name": "bad",
        "data_root": "data",
        "datasets": [{
            "modality": "toy", "backbone": "b",
            "train": {"features": "train.npy", "labels": "labels.npy"},
            "test": {"features": "test.npy"},
            "ood": [{"name": "shifted", "shift": "far", "features": "ood.npy"}]}],
        "detectors": [{"name": "knn", "params": {"k": 3}}, {"name": "mahalanobis"}],
    }
    cases = iter(range(1000))

    def config_case(name, edit, fragments, text=None, created_by_run=True):
        out = tmp / f"out{next(cases)}"
        config = copy.deepcopy(good)
        if edit:
            edit(config)
        path = tmp / "config.json"
        path.write_text(text if text is not None else json.dumps(config))
        expect_failure(name, ["run", path, "--out", out], ["config.json", *fragments], out=out,
                       created_by_run=created_by_run)

    def dataset(c):
        return c["datasets"][0]

    # The good config works: the cases below differ from it in one thing each.
    proc = subprocess.run([binary, "--device", "cpu", "run", "--quiet", "--no-report", tmp / "config.json", "--out",
                           tmp / "good"], capture_output=True, text=True,
                          cwd=tmp) if (tmp / "config.json").write_text(json.dumps(good)) else None
    report("the unmodified config runs", proc.returncode == 0, proc.stderr.strip()[-200:] or "exit 0")

    # A (1, C) bias is the 1-D bias: the same scores, so the same histograms and metrics.
    def energy_record(bias):
        config = copy.deepcopy(good)
        config["datasets"][0]["head"] = {"weights": "W.npy", "bias": bias}
        config["detectors"] = [{"name": "energy"}]
        path, out = tmp / f"head_{bias}.json", tmp / f"head_{bias}"
        path.write_text(json.dumps(config))
        run = subprocess.run([binary, "--device", "cpu", "run", "--quiet", "--no-report", path, "--out", out],
                             capture_output=True, text=True, cwd=tmp)
        record = json.loads((out / "records.jsonl").read_text()) if run.returncode == 0 else {}
        return run, {k: record.get(k) for k in ("histogram_axis", "id_test", "ood")}

    flat_run, flat = energy_record("b.npy")
    row_run, row = energy_record("b_row.npy")
    report("a (1, C) bias runs as the 1-D bias", flat_run.returncode == 0 and row_run.returncode == 0 and
           row == flat and flat["ood"] is not None, (flat_run.stderr + row_run.stderr).strip()[-200:] or "same records")

    # Config: syntax, structure, types, unknown keys and values.
    config_case("a key twice in one object", None, ["/datasets/0/train/features: duplicate key", "keep one"],
                text=json.dumps(good).replace('"features": "train.npy"',
                                              '"features": "train.npy", "features": "test.npy"'))
    config_case("a top-level key twice", None, ["/detectors: duplicate key"],
                text=json.dumps(good)[:-1] + ', "detectors": []}')
    config_case("integer parameter of 2^63", lambda c: c["detectors"][0].update(params={"k": 2 ** 63}),
                ["/detectors/0/params/k: expected an integer up to 9223372036854775807, got 9223372036854775808"])
    config_case("CSV with a NUL byte in a field", lambda c: dataset(c)["test"].update(features="nul.csv"),
                ["nul.csv: line 2, column 4: '\\x005' is not a number"])
    config_case("CSV with a 2 GiB line", lambda c: dataset(c)["test"].update(features="huge_line.csv"),
                ["huge_line.csv: line 1: a field longer than 1 MiB"])
    config_case("npz with two members of one name", lambda c: dataset(c)["train"].update(features="twice.npz:train"),
                ["twice.npz: not a valid .npz archive: two of its members have the same name"])
    config_case("HDF5 loop of soft links", lambda c: dataset(c)["train"].update(features="links.h5:/loop_a"),
                ["links.h5: '/loop_a' is a soft link in a loop of soft links (/loop_a -> /loop_b -> /loop_a)"])
    config_case("HDF5 dangling soft link", lambda c: dataset(c)["train"].update(features="links.h5:/dangling"),
                ["links.h5: '/dangling' is a soft link to '/nothing', which does not exist"])
    config_case("HDF5 external link", lambda c: dataset(c)["train"].update(features="links.h5:/outside"),
                ["links.h5: '/outside' is an external link to missing.h5:/data"])
    config_case("malformed JSON", None, ["line 3, column 1", "invalid JSON"], text='{\n"name": "x",\n}\n')
    config_case("number too large for a double", None, ["invalid JSON", "number overflow parsing '2e308'"],
                text='{"seeds": [2e308]}')
    config_case("not an object", None, ["/: expected an object, got an array"], text="[1, 2]")
    config_case("unknown top-level key", lambda c: c.update(seed=[1]), ["/seed: unknown key", "seeds"])
    config_case("missing datasets", lambda c: c.pop("datasets"), ['/: missing required key "datasets"'])
    config_case("empty dataset list", lambda c: c.update(datasets=[]), ["/datasets: expected a non-empty array"])
    config_case("modality of the wrong type", lambda c: dataset(c).update(modality=3),
                ["/datasets/0/modality: expected a string, got an integer"])
    config_case("misspelt dataset key", lambda c: dataset(c).update(trian={}), ["/datasets/0/trian: unknown key"])
    config_case("missing embedding file", lambda c: dataset(c)["train"].update(features="nope.npy"),
                ["/datasets/0/train/features", "nope.npy: no such file"])
    config_case("directory as an array", lambda c: dataset(c)["train"].update(features="features_dir"),
                ["/datasets/0/train/features", "features_dir is a directory; name an array file"])
    config_case("PyTorch file", lambda c: dataset(c)["train"].update(features="train.pt"),
                ["/datasets/0/train/features", "train.pt: a PyTorch pickle", "torch.load("])
    config_case("PyTorch .pth file", lambda c: dataset(c)["train"].update(features="train.pth"),
                ["/datasets/0/train/features", "train.pth: a PyTorch pickle", "np.save("])
    config_case("unknown file type", lambda c: dataset(c)["train"].update(features="train.parquet"),
                ["/datasets/0/train/features", "'.parquet' files are not read", "file.h5:/dataset"])
    config_case("CSV with a word among numbers", lambda c: dataset(c)["test"].update(features="train.csv"),
                ["/datasets/0/test/features", "train.csv: line 5, column 'd': 'x4' is not a number"])
    config_case("CSV row of another length", lambda c: dataset(c)["test"].update(features="ragged.csv"),
                ["/datasets/0/test/features", "ragged.csv: line 2 has 3 fields, expected 8"])
    config_case("CSV unterminated quote", lambda c: dataset(c)["test"].update(features="quote.csv"),
                ["/datasets/0/test/features", "quote.csv: line 1: unterminated quoted field"])
    config_case("CSV unknown column", lambda c: dataset(c)["test"].update(features="train.csv:a,zz"),
                ["/datasets/0/test/features", "no column 'zz'", "columns: a, b, c"])
    config_case("HDF5 missing dataset", lambda c: dataset(c)["train"].update(features="emb.h5:/nope"),
                ["/datasets/0/train/features", "emb.h5: no dataset '/nope'", "/group/x", "/train"])
    config_case("HDF5 group, not a dataset", lambda c: dataset(c)["train"].update(features="emb.h5:/group"),
                ["/datasets/0/train/features", "'/group' is a group, not a dataset"])
    config_case("HDF5 several datasets, none named", lambda c: dataset(c)["train"].update(features="emb.h5"),
                ["/datasets/0/train/features", "holds 4 datasets, name one as file.h5:/dataset"])
    config_case("HDF5 integer features", lambda c: dataset(c)["test"].update(features="emb.h5:/ints"),
                ["/datasets/0/test/features", "emb.h5:/ints: expected a 2-D float array", "int32"])
    config_case("HDF5 compound dataset", lambda c: dataset(c)["test"].update(features="emb.h5:/pairs"),
                ["/datasets/0/test/features", "emb.h5:/pairs: HDF5 compound datasets are not read"])
    config_case("not an HDF5 file", lambda c: dataset(c)["train"].update(features="fake.h5:/train"),
                ["/datasets/0/train/features", "fake.h5: not an HDF5 file"])
    for name, fragment in [("huge_header", "header length 1099511627776 exceeds 100 MB"),
                           ("bad_json", "not valid JSON"),
                           ("outside", "outside the data section"),
                           ("wrong_size", "span 1280 bytes but F32 of shape [40,7] needs 1120"),
                           ("bool", "dtype BOOL is not read"),
                           ("overlap", "the previous tensor ends at 1280"),
                           ("hole", "there is a hole from 0"),
                           ("negative", "shape extent -40 is not an integer >= 0")]:
        config_case(f"safetensors: {name.replace('_', ' ')}",
                    lambda c, n=name: dataset(c)["train"].update(features=f"{n}.safetensors:train"),
                    ["/datasets/0/train/features", f"{name}.safetensors: invalid safetensors header", fragment])
    config_case("safetensors missing tensor", lambda c: dataset(c)["train"].update(features="good.safetensors:x"),
                ["/datasets/0/train/features", "good.safetensors: no tensor 'x' (tensors: train)"])
    config_case("shards matching nothing", lambda c: dataset(c)["train"].update(features="shards/z*.npy"),
                ["/datasets/0/train/features", "shards/z*.npy: no file matches"])
    config_case("shards of different widths", lambda c: dataset(c)["train"].update(features="shards/*.npy"),
                ["/datasets/0/train/features", "shard", "b.npy has 6 columns", "a.npy has 8 columns"])
    config_case("4-D array", lambda c: dataset(c)["test"].update(features="four_d.npy"),
                ["/datasets/0/test/features", "shape (10, 2, 2, 2)", "reshape it to (N, D)"])
    config_case("string labels without remap_labels", lambda c: dataset(c)["train"].update(labels="words.npy"),
                ["/datasets/0/train/labels", "labels are strings", "'cat', 'dog'", '"remap_labels": true'])
    config_case("remap_labels not a boolean", lambda c: c.update(remap_labels="yes"),
                ["/remap_labels: expected true or false"])
    config_case("detectors neither a list nor all", lambda c: c.update(detectors="every"),
                ['/detectors: expected "all" or an array'])
    config_case("unknown npz key", lambda c: dataset(c)["train"].update(features="arrays.npz:nope"),
                ["/datasets/0/train/features", "no array 'nope'", "keys: train"])
    config_case("OOD set without a shift type", lambda c: dataset(c)["ood"][0].pop("shift"),
                ['/datasets/0/ood/0: missing required key "shift"'])
    config_case("two OOD sets with one name", lambda c: dataset(c)["ood"].append(dataset(c)["ood"][0]),
                ['/datasets/0/ood/1/name: duplicate OOD set name "shifted"'])
    config_case("OOD set is the ID test file", lambda c: dataset(c)["ood"][0].update(features="test.npy"),
                ["/datasets/0/ood/0/features: this is the ID test set"])
    config_case("unknown detector", lambda c: c["detectors"].append({"name": "odin"}),
                ["/detectors/2/name: unknown detector 'odin'", "knn"])
    config_case("unknown detector parameter", lambda c: c["detectors"][0].update(params={"kk": 3}),
                ["/detectors/0/params/kk: unknown parameter of 'knn'"])
    config_case("grid value of the wrong type", lambda c: c["detectors"][0].update(params={"k": [3, "ten"]}),
                ['/detectors/0/params/k/1: expected an integer, got "ten"'])
    config_case("empty grid", lambda c: c["detectors"][0].update(params={"k": []}),
                ["/detectors/0/params/k: expected a non-empty array"])
    config_case("seed set per detector", lambda c: c["detectors"].append({"name": "mars", "params": {"seed": 3}}),
                ["/detectors/2/params/seed: the seed comes from /seeds"])
    config_case("two detectors with one label", lambda c: c["detectors"].append({"name": "knn"}),
                ['/detectors/2: two detectors are labelled "knn"'])
    config_case("negative seed", lambda c: c.update(seeds=[-1]), ["/seeds/0: expected a seed >= 0"])
    config_case("unknown precision", lambda c: c.update(precision="fp16"),
                ["/precision: expected \"fp32\" or \"tf32\", got \"fp16\""])
    config_case("unknown metric", lambda c: c.update(metrics=["auroc", "accuracy"]),
                ['/metrics/1: expected one of auroc', 'got "accuracy"'])
    config_case("too few bootstrap resamples", lambda c: c.update(tables={"bootstrap": 10}),
                ["/tables/bootstrap: expected 0 (no intervals) or 100..100000"])
    config_case("unknown table format", lambda c: c.update(tables={"formats": ["html"]}),
                ["/tables/formats/0: expected one of md, csv, json, tex"])
    config_case("plots not a boolean", lambda c: c.update(plots="yes"), ["/plots: expected true or false"])
    config_case("name that is a path", lambda c: c.update(name="../x"), ["/name: expected a plain name"])

    # Names that clean to one file name would overwrite each other's tables and plots: refused before any cell runs.
    def second_dataset(modality):
        return lambda c: c["datasets"].append({**copy.deepcopy(dataset(c)), "modality": modality})

    config_case("datasets whose names clean alike", lambda c: (dataset(c).update(modality="chest/xray"),
                                                               second_dataset("chest_xray")(c)),
                ['dataset "chest/xray/b" (/datasets/0) and dataset "chest_xray/b" (/datasets/1) both give the report '
                 'file name tables/chest_xray_b_<metric>', "rename one of them"])
    config_case("OOD sets whose names clean alike",
                lambda c: (dataset(c)["ood"][0].update(name="far/1"),
                           dataset(c)["ood"].append({**dataset(c)["ood"][0], "name": "far_1"})),
                ['OOD set "far/1" of toy/b (/datasets/0/ood/0) and OOD set "far_1" of toy/b (/datasets/0/ood/1) both '
                 'give the report file name plots/roc_toy_b_far_1_p<n>.svg'])
    config_case("a dataset named like another's scale table",
                lambda c: (second_dataset("toy")(c), c["datasets"][1].update(backbone="c"),
                           c["datasets"].append({**copy.deepcopy(dataset(c)), "modality": "scale", "backbone": "toy"})),
                ["the scale table of modality \"toy\" (/datasets/0/modality) and dataset \"scale/toy\" (/datasets/2) "
                 "both give the report file name tables/scale_toy_<metric>"])
    twins = copy.deepcopy(good)
    twins["detectors"] = [{"name": "mahalanobis", "label": "mahalanobis++"},
                          {"name": "mahalanobis", "label": "mahalanobis**", "params": {"normalize": True}}]
    (tmp / "twins.json").write_text(json.dumps(twins))
    proc = subprocess.run([binary, "--device", "cpu", "run", "--quiet", tmp / "twins.json", "--out", tmp / "twins"],
                          capture_output=True, text=True, cwd=tmp)
    hists = sorted(p.name for p in (tmp / "twins" / "plots").glob("hist_*")) if proc.returncode == 0 else []
    report("labels that clean alike get plots of their own", len(hists) == 2 and
           all(h.startswith("hist_toy_b_mahalanobis__-") for h in hists), proc.stderr.strip()[-150:] or hists)

    # Embedding files: found to be wrong only when the dataset is loaded.
    config_case("OOD width differs from train", lambda c: dataset(c)["ood"][0].update(features="narrow.npy"),
                ["/datasets/0/ood/0/features", "6 columns", "have 8"])
    config_case("NaN in an OOD set", lambda c: dataset(c)["ood"][0].update(features="nan.npy"),
                ["/datasets/0/ood/0/features", "row 3"])
    config_case("empty test array", lambda c: dataset(c)["test"].update(features="empty.npy"),
                ["/datasets/0/test/features", "empty feature array"])
    config_case("truncated .npy file", lambda c: dataset(c)["test"].update(features="truncated.npy"),
                ["/datasets/0/test/features", "truncated.npy"])
    config_case("OOD set holds the ID test features", lambda c: dataset(c)["ood"][0].update(features="test_copy.npy"),
                ["/datasets/0/ood/0/features", "holds exactly the ID test features"])
    config_case("labels not 0..C-1", lambda c: dataset(c)["train"].update(labels="gap_labels.npy"),
                ["found labels 0, 2 (2 distinct)", "class 1 has no sample"])
    config_case("labels 1..C", lambda c: dataset(c)["train"].update(labels="one_based.npy"),
                ["/datasets/0/train/labels", "found labels 1, 2 (2 distinct)", "np.unique(y, return_inverse=True)"])
    config_case("one stray label", lambda c: dataset(c)["train"].update(labels="stray_label.npy"),
                ["/datasets/0/train/labels", "label 7 at row 23 is the only sample of its class"])
    def head(weights, bias):
        return lambda c: dataset(c).update(head={"weights": weights, "bias": bias})

    config_case("transposed head", head("W_transposed.npy", "b.npy"),
                ["/datasets/0/head/weights", "have shape (8, 2)", "(classes, features) = (2, 8): save W.T"])
    config_case("head of the wrong width", head("W_narrow.npy", "b.npy"),
                ["/datasets/0/head/weights", "have shape (2, 5)", "(C, 8)"])
    config_case("bias longer than the head", head("W.npy", "b_long.npy"),
                ["/datasets/0/head/bias", "b_long.npy has 3 entries", "W.npy have 2 rows"])
    config_case("fewer labels than train rows", lambda c: dataset(c)["train"].update(labels="short_labels.npy"),
                ["/datasets/0/train/labels", "39 labels", "40 rows"])
    config_case("k larger than the train set", lambda c: c["detectors"][0].update(params={"k": 41}),
                ["/detectors/0/params/k: knn: k = 41 exceeds the 40 ID train rows", "toy/b"])  # found before any cell
    config_case("class-conditional detector without labels", lambda c: dataset(c)["train"].pop("labels"),
                ["detector 'mahalanobis' needs ID train class labels", "which dataset toy/b"])  # found before any cell

    # Command line and output locations.
    out = tmp / "out"
    expect_failure("missing config file", ["run", tmp / "missing.json", "--out", out],
                   ["missing.json: cannot open the config file"], out=out)
    expect_failure("malformed --shard", ["run", tmp / "config.json", "--out", out, "--shard", "2"],
                   ["--shard 2: expected i/N"], out=out)
    expect_failure("unknown option", ["run", tmp / "config.json", "--outt", out], ["--outt"], out=out)
    (tmp / "config.json").write_text(json.dumps(good))
    (tmp / "file").write_text("")
    expect_failure("output folder inside a file", ["run", tmp / "config.json", "--out", tmp / "file" / "out"],
                   ["cannot create the output folder"])
    expect_failure("report of a missing folder", ["report", tmp / "nowhere"], ["nowhere: no such result folder"])
    (tmp / "empty_results").mkdir()
    expect_failure("report of a folder without records", ["report", tmp / "empty_results"], ["no result records"])
    expect_failure("merge of folders without records", ["merge", "--out", tmp / "merged", tmp / "empty_results"],
                   ["nothing to merge"], out=tmp / "merged")
    damaged = tmp / "damaged"
    damaged.mkdir()
    (damaged / "records.jsonl").write_text('{"cell": "a"}\nnot json\n{"cell": "b"}\n')
    expect_failure("report of damaged records", ["report", damaged], ["records.jsonl: line 2 is not a result record"])

    # Read-only output folder: permissions for a normal user; a read-only mount for root, who ignores permissions.
    readonly = tmp / "readonly"
    readonly.mkdir()
    mounted = False
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", readonly],
                                 capture_output=True).returncode == 0
    else:
        readonly.chmod(0o555)
    if os.geteuid() != 0 or mounted:
        expect_failure("read-only output folder", ["run", tmp / "config.json", "--out", readonly / "out"],
                       ["readonly/out: cannot create the output folder"], out=readonly / "out")
    else:
        report("read-only output folder", True, "skipped: root without mount rights ignores permissions")
    if mounted:
        subprocess.run(["umount", readonly])

    # A full disk: file-size limit with SIGXFSZ ignored, so a write fails with EFBIG (no root needed), and a full
    # tiny tmpfs where it can be mounted. The records file must hold whole records only.
    def small_file_limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))

    expect_failure("write failure (file-size limit) while appending a record",
                   ["run", "--no-report", tmp / "config.json", "--out", tmp / "limited"],
                   ["records.jsonl: cannot append a record", "File too large"], out=tmp / "limited",
                   preexec=small_file_limit, created_by_run=False)  # whole records written before it may stay
    full = tmp / "full"
    full.mkdir()
    if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", full],
                                            capture_output=True).returncode == 0:
        (full / "filler").write_bytes(b"\0" * 8192)
        expect_failure("full disk (tiny tmpfs)", ["run", tmp / "config.json", "--out", full / "out"],
                       ["No space left on device"], out=full / "out", created_by_run=False)
        subprocess.run(["umount", full])

    # What the file system refuses, in its own words (errno kept), and outputs that are not ours to replace.
    def expect_score_failure(name, out_args, fragments, train="data/train.npy", preexec=None, left_in=None):
        proc = subprocess.run([binary, "--device", "cpu", "score", "--detector", "knn", "--param", "k=3", "--train",
                               str(train), "--test", "data/test.npy", *map(str, out_args)], capture_output=True,
                              text=True, cwd=tmp, preexec_fn=preexec)
        problems = [f"exit {proc.returncode}"] if proc.returncode != 2 else []
        problems += [f"missing {f!r}" for f in fragments if f not in proc.stderr]
        if left_in is not None:
            problems += [f"left {p.name}" for p in pathlib.Path(left_in).iterdir() if p.suffix == ".npy"]
            problems += leftovers(left_in)
        report(name, not problems, "; ".join(problems) or proc.stderr.strip().splitlines()[-1][:150])

    import stat
    special = tmp / "special"
    special.mkdir()
    os.mkfifo(special / "fifo.npy")
    (special / "folder.npy").mkdir()
    os.symlink("/nonexistent/scores.npy", special / "dangling.npy")
    os.symlink("loop_b.npy", special / "loop_a.npy")
    os.symlink("loop_a.npy", special / "loop_b.npy")
    devices = [("a FIFO", "fifo.npy", "is a FIFO (named pipe), not a regular file, so it is not replaced")]
    if os.geteuid() == 0:  # a character device of our own (a copy of /dev/null's numbers), never the real one
        os.mknod(special / "null.npy", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        devices.append(("a character device", "null.npy", "is a character device, not a regular file"))
    for what, name, fragment in devices:
        expect_score_failure(f"--out onto {what}", ["--out", special / name], [f"{name}: exists and", fragment])
        kind = special / name
        report(f"--out onto {what}: left as it was", stat.S_ISFIFO(kind.lstat().st_mode) or
               stat.S_ISCHR(kind.lstat().st_mode), oct(kind.lstat().st_mode))
    expect_score_failure("--out onto a folder", ["--out", special / "folder.npy"], ["folder.npy: is a directory"])
    expect_score_failure("--out onto a dangling symbolic link", ["--out", special / "dangling.npy"],
                         ["dangling.npy: is a symbolic link to /nonexistent/scores.npy, which does not exist"])
    expect_score_failure("input: a loop of symbolic links", ["--out", special / "s.npy"],
                         ["loop_a.npy: cannot open", "Too many levels of symbolic links"], train=special / "loop_a.npy")
    expect_score_failure("input: a path through a file", ["--out", special / "s.npy"],
                         ["train.npy/x.npy: cannot open", "Not a directory"], train=data / "train.npy" / "x.npy")
    damaged_dir = tmp / "with_loop"
    damaged_dir.mkdir()
    os.symlink("records.jsonl", damaged_dir / "records.jsonl")
    expect_failure("report: records.jsonl a loop of symbolic links", ["report", damaged_dir],
                   ["records.jsonl", "Too many levels of symbolic links"])

    # Permission denied is said as such (as an unprivileged user: root reads anything).
    locked = tmp / "locked"
    locked.mkdir()
    np.save(locked / "train.npy", train)
    (tmp / "good_copy").mkdir()
    locked.chmod(0o000)
    tmp.chmod(0o755)

    def as_nobody():
        os.setgid(65534)
        os.setuid(65534)

    if os.geteuid() == 0:
        expect_score_failure("input in a folder without permission", ["--out", "/tmp/never.npy"],
                             ["locked/train.npy: cannot open", "Permission denied"], train=locked / "train.npy",
                             preexec=as_nobody)
        expect_failure("report of a folder without permission", ["report", locked],
                       ["locked: cannot read the result folder (Permission denied)"], preexec=as_nobody)
    else:
        expect_score_failure("input in a folder without permission", ["--out", special / "s.npy"],
                             ["locked/train.npy: cannot open", "Permission denied"], train=locked / "train.npy")
        expect_failure("report of a folder without permission", ["report", locked],
                       ["locked: cannot read the result folder (Permission denied)"])
    locked.chmod(0o755)

    # Two outputs and room for one: neither is left behind.
    roomy = tmp / "room_for_one"
    roomy.mkdir()
    np.save(data / "test_big.npy", rng.normal(size=(3000, 8)).astype(np.float32))  # 12 kB of scores
    if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20k", "tmpfs", roomy],
                                            capture_output=True).returncode == 0:
        proc = subprocess.run([binary, "--device", "cpu", "score", "--detector", "knn", "--param", "k=3", "--train",
                               data / "train.npy", "--test", data / "test_big.npy", "--out", roomy / "a.npy",
                               "--test", data / "test_big.npy", "--out", roomy / "b.npy"], capture_output=True,
                              text=True)
        left = sorted(p.name for p in roomy.iterdir())
        report("two --out files and room for one: exit 2, no space named, nothing left",
               proc.returncode == 2 and "No space left on device" in proc.stderr and not left,
               f"exit {proc.returncode}, left {left}: {proc.stderr.strip()[-150:]}")
        subprocess.run(["umount", roomy])
    else:
        report("two --out files and room for one", True, "skipped: needs root to mount a tmpfs")

    # Temporary files a killed writer left (dead pid) are swept by the next run and report; a live one's stay.
    swept = tmp / "swept"
    subprocess.run([binary, "--device", "cpu", "run", "--quiet", tmp / "config.json", "--out", swept],
                   capture_output=True, cwd=tmp)
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = [swept / f"records.jsonl.tmp.{dead.pid}", swept / "cache" / f"probe-x.npz.tmp.{dead.pid}",
             swept / "tables" / f"toy_b_auroc.md.tmp.{dead.pid}", swept / "plots" / f"x.svg.tmp.{dead.pid}"]
    live = swept / f"plan.json.tmp.{os.getpid()}"
    for p in stale + [live]:
        p.parent.mkdir(exist_ok=True)
        p.write_text("partial")
    subprocess.run([binary, "--device", "cpu", "run", "--quiet", tmp / "config.json", "--out", swept],
                   capture_output=True, cwd=tmp)
    report("a rerun removes temporary files of dead writers, keeps a live writer's",
           not any(p.exists() for p in stale) and live.exists(), [p.name for p in stale if p.exists()])

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
