"""Every detector through Python equals `oodbench score` bit for bit, whatever the input's type and dtype."""
import pathlib

import numpy as np
import pytest

import oodbench
from conftest import FAST, cli, detector_names


@pytest.mark.parametrize("name", detector_names())
def test_scores_equal_the_command_line(name, data, tmp_path):
    params = FAST.get(name, {})
    det = oodbench.Detector(name, device="cpu", **params)
    det.fit(data.train, labels=data.labels, val=data.val, head=(data.W, data.b))
    ours = {"test": det.score(data.test), "far": det.score(data.far)}
    args = ["score", "--detector", name, *data.fit_args()]
    for key, value in params.items():
        args += ["--param", f"{key}={value}"]
    for s in ours:
        args += ["--test", data.files[s], "--out", tmp_path / f"{s}.npy"]
    cli(*args)
    for s, scores in ours.items():
        assert scores.dtype == np.float32 and scores.shape == (len(getattr(data, s)),)
        np.testing.assert_array_equal(scores, np.load(tmp_path / f"{s}.npy"), err_msg=f"{name} on {s}")


def test_detectors_lists_names_parameters_and_needs():
    listed = {d["name"]: d for d in oodbench.detectors()}
    assert {"knn", "mahalanobis", "mars", "nero", "scores"} <= set(listed)
    knn = listed["knn"]
    assert knn["params"][0]["name"] == "k" and knn["params"][0]["default"] == 50
    assert listed["mahalanobis"]["needs_labels"] and not knn["needs_labels"]


def test_float16_float64_and_torch_inputs_match(data, tmp_path):
    torch = pytest.importorskip("torch")
    det = oodbench.Detector("mahalanobis", device="cpu").fit(data.train, labels=data.labels)
    base = det.score(data.test)
    np.testing.assert_array_equal(det.score(torch.from_numpy(data.test)), base)
    np.testing.assert_array_equal(det.score(np.asfortranarray(data.test)), base)  # copied to C order
    np.testing.assert_array_equal(det.score(data.test.astype(">f4")), base)  # big-endian
    for dtype in (np.float16, np.float64):
        x = data.test.astype(dtype)
        np.save(tmp_path / "x.npy", x)
        cli("score", "--detector", "mahalanobis", "--train", data.files["train"], "--train-labels",
            data.files["labels"], "--test", tmp_path / "x.npy", "--out", tmp_path / "s.npy")
        np.testing.assert_array_equal(det.score(x), np.load(tmp_path / "s.npy"))
    # torch tensors for every argument, labels included
    det2 = oodbench.Detector("mahalanobis", device="cpu").fit(torch.from_numpy(data.train),
                                                               labels=torch.from_numpy(data.labels))
    np.testing.assert_array_equal(det2.score(data.test), base)


def test_evaluate_equals_eval_json(data, tmp_path):
    det = oodbench.Detector("knn", device="cpu").fit(data.train)
    id_scores, far_scores = det.score(data.test), det.score(data.far)
    np.save(tmp_path / "id.npy", id_scores)
    np.save(tmp_path / "far.npy", far_scores)
    import json
    expected = json.loads(cli("eval", "--json", "--id", tmp_path / "id.npy", "--ood", tmp_path / "far.npy").stdout)
    ours = oodbench.evaluate(id_scores, {str(tmp_path / "far.npy"): far_scores}, id_name=str(tmp_path / "id.npy"),
                             device="cpu")
    assert ours == expected
    single = oodbench.evaluate(id_scores, far_scores, device="cpu")  # one array: flat
    assert single["auroc"] == expected["ood"][0]["auroc"] and single["fpr95"] == expected["ood"][0]["fpr95"]


def test_refit_replaces_the_fit(data):
    det = oodbench.Detector("knn", k=5, device="cpu").fit(data.train)
    first = det.score(data.test)
    det.fit(data.train[: len(data.train) // 2])
    assert not np.array_equal(det.score(data.test), first)
    assert "k=5" in repr(det) and "fitted" in repr(det)


def test_arrays_named_as_in_a_config(data, tmp_path):
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "emb.h5", "w") as f:
        f.create_dataset("/chest/train", data=data.train, chunks=True, compression="gzip")
        f.create_dataset("/chest/labels", data=data.labels.astype(np.int16))
    np.testing.assert_array_equal(oodbench.load_array(f"{tmp_path}/emb.h5:/chest/train"), data.train)
    by_name = oodbench.Detector("mahalanobis", device="cpu").fit(f"{tmp_path}/emb.h5:/chest/train",
                                                                  labels=f"{tmp_path}/emb.h5:/chest/labels")
    by_array = oodbench.Detector("mahalanobis", device="cpu").fit(data.train, labels=data.labels)
    np.testing.assert_array_equal(by_name.score(data.files["test"]), by_array.score(data.test))
    with pytest.raises(ValueError, match="emb.h5"):
        oodbench.load_array(f"{tmp_path}/emb.h5:/chest/nothing")


def test_text_labels_load_as_a_list_of_str(tmp_path):
    """Text labels (a CSV column, HDF5 strings) come back as the docs say: a list of str, non-ASCII included."""
    words = ["benign", "malignant", "normal", "bénin"]
    (tmp_path / "meta.csv").write_text("f0,dx\n" + "".join(f"{i}.5,{w}\n" for i, w in enumerate(words)),
                                       encoding="utf-8")
    assert oodbench.load_array(f"{tmp_path}/meta.csv:dx") == words
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "labels.h5", "w") as f:
        f.create_dataset("dx", data=words, dtype=h5py.string_dtype())
    assert oodbench.load_array(f"{tmp_path}/labels.h5:dx") == words


def test_val_labels_reach_the_fit(data, tmp_path):
    """tempscale fits T on labelled ID val when val_labels are given (as --val-labels), else on labelled train."""
    val_labels = np.load(pathlib.Path(__file__).resolve().parents[2] / "data/medood-mini/labels.npz")["chestxray_val"]
    np.save(tmp_path / "vl.npy", val_labels)
    det = oodbench.Detector("tempscale", device="cpu")
    det.fit(data.train, labels=data.labels, val=data.val, val_labels=val_labels, head=(data.W, data.b))
    on_val = det.score(data.test)
    cli("score", "--detector", "tempscale", *data.fit_args(), "--val-labels", tmp_path / "vl.npy", "--test",
        data.files["test"], "--out", tmp_path / "s.npy")
    np.testing.assert_array_equal(on_val, np.load(tmp_path / "s.npy"))
    with pytest.warns(UserWarning, match="without labels"):
        det.fit(data.train, labels=data.labels, val=data.val, head=(data.W, data.b))
    assert not np.array_equal(det.score(data.test), on_val)
