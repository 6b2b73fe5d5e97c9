"""Bad input raises ValueError (oodbench.InputError) with the command line's message, and never crashes."""
import numpy as np
import pytest

import oodbench
from conftest import cli, small_config


def expect(message_parts, call):
    with pytest.raises(ValueError) as info:
        call()
    assert isinstance(info.value, oodbench.InputError)
    for part in message_parts:
        assert part in str(info.value), f"{part!r} not in {str(info.value)!r}"
    return str(info.value)


def test_messages_match_the_command_line(data, tmp_path):
    x = data.train.copy()
    x[3, 5] = np.nan
    np.save(tmp_path / "nan.npy", x)
    ours = expect(["train: NaN at row 3, column 5"], lambda: oodbench.Detector("knn", device="cpu").fit(x))
    theirs = cli("score", "--detector", "knn", "--train", tmp_path / "nan.npy", "--test", data.files["test"],
                 "--out", tmp_path / "s.npy", check=False)
    assert theirs.returncode == 2
    assert ours.split(": ", 1)[1] in theirs.stderr  # the same words after the name of the input
    assert not (tmp_path / "s.npy").exists()


def test_bad_inputs(data):
    det = lambda **kw: oodbench.Detector("knn", device="cpu", **kw)  # noqa: E731
    expect(["unknown detector 'knm'", "knn"], lambda: oodbench.Detector("knm"))
    expect(["params/k", "expected an integer"], lambda: det(k=1.5))
    expect(["params/kk", "unknown parameter", "known: k"], lambda: det(kk=3))
    expect(["fit() the detector before score()"], lambda: det().score(data.test))
    fitted = det().fit(data.train)
    expect(["x: 10 columns", "have 1280"], lambda: fitted.score(data.test[:, :10]))
    expect(["x: expected a 2-D float array of features", "got bool"], lambda: fitted.score(data.test > 0))
    expect(["x: shape (2, 3, 4)", "reshape it to (N, D)"], lambda: fitted.score(np.zeros((2, 3, 4), np.float32)))
    expect(["x: expected a 2-D float array"], lambda: fitted.score(np.zeros(5, np.float32)))
    expect(["x: empty feature array"], lambda: fitted.score(np.zeros((0, 1280), np.float32)))
    expect([f"labels: label {data.labels[0] + 0.5} at row 0 is not a whole number"],
           lambda: det().fit(data.train, labels=data.labels * 1.0 + 0.5))
    expect(["labels: expected a 1-D integer (or string) array"],
           lambda: det().fit(data.train, labels=np.zeros((len(data.train), 2), np.int32)))
    expect(["labels: label -1 at row 0"], lambda: det().fit(data.train, labels=np.full(len(data.train), -1)))
    expect(["labels:", "labels but train has"], lambda: det().fit(data.train, labels=data.labels[:-1]))
    expect(["labels: found labels 1, 2", "class 0 has no sample"],
           lambda: oodbench.Detector("mahalanobis", device="cpu").fit(data.train, labels=data.labels + 1))
    expect(["head W", "looks like Wᵀ", "pass W.T"], lambda: det().fit(data.train, head=(data.W.T, data.b)))
    expect(["head: expected (W, b)"], lambda: det().fit(data.train, head=data.W))
    expect(["head b", "entries"], lambda: det().fit(data.train, head=(data.W, data.b[:1])))
    expect(["val: 10 columns"], lambda: det().fit(data.train, val=data.val[:, :10]))
    expect(["val_labels: given without val"], lambda: det().fit(data.train, val_labels=data.labels))
    expect(["mahalanobis", "labels"], lambda: oodbench.Detector("mahalanobis", device="cpu").fit(data.train))
    expect(["detector 'scores' needs score files", "oodbench eval"],
           lambda: oodbench.Detector("scores", device="cpu").fit(data.train))
    expect(["scores: precomputed scores are read by sweeps"],
           lambda: oodbench.Detector("scores", files="{set}.npy", device="cpu").fit(data.train))
    expect(["id: Inf at row 1"], lambda: oodbench.evaluate(np.array([0.1, np.inf]), np.array([1.0]), device="cpu"))
    expect(["results/no-such-sweep: no such result folder"], lambda: oodbench.read_records("results/no-such-sweep"))


def test_cuda_without_a_gpu_is_a_value_error():
    try:
        oodbench.Detector("knn", device="cuda")
    except ValueError as e:
        assert str(e).startswith('device="cuda": no usable GPU: '), str(e)  # named as the argument
    else:
        pytest.skip("a GPU is usable here")


def test_torch_tensors_that_cannot_be_read_say_what_to_do(data):
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(data.train).requires_grad_()
    expect(["train: cannot be read as a NumPy array", "detach"], lambda: oodbench.Detector("knn").fit(t))


def test_messages_name_python_arguments_not_command_line_options(data, tmp_path):
    """Where the command line names an option, Python names the argument and says what to pass."""
    det = lambda name="knn": oodbench.Detector(name, device="cpu")  # noqa: E731
    messages = [
        expect(["device: expected auto, cpu or cuda, got 'gpu'"], lambda: oodbench.Detector("knn", device="gpu")),
        expect(["device: expected auto"], lambda: oodbench.evaluate([0.1], [0.2], device="gpu")),
        expect(["shard 3/2: expected i/N"],
               lambda: oodbench.run(small_config(tmp_path, [{"name": "msp"}]), tmp_path / "o", shard="3/2")),
        expect(["labels: labels are strings", "pass remap_labels=True"],
               lambda: det("mahalanobis").fit(data.train, np.where(data.labels == 0, "a", "b"))),
        expect(["labels: found labels 1, 2", "pass remap_labels=True"],
               lambda: det("mahalanobis").fit(data.train, labels=data.labels + 1)),
        expect(["labels: label -1 at row 0", "pass remap_labels=True"],
               lambda: det().fit(data.train, labels=np.full(len(data.train), -1))),
        expect(["detector 'mahalanobis' needs ID train class labels (fit(train, labels))"],
               lambda: det("mahalanobis").fit(data.train)),
        expect(["detector 'msp' needs a linear head: give one (fit(..., head=(W, b)))"],
               lambda: det("msp").fit(data.train)),
        expect(["head W has shape (1280, 2): that looks like Wᵀ", "= (2, 1280): pass W.T"],
               lambda: det().fit(data.train, head=(data.W.T, data.b))),
        expect(["head W has shape (2, 10) but the features have 1280 columns"],
               lambda: det().fit(data.train, head=(data.W[:, :10], data.b))),
        expect(["head b has 1 entries but head W has 2 rows"],
               lambda: det().fit(data.train, head=(data.W, data.b[:1]))),
    ]
    for message in messages:
        for option in ("--device", "--shard", "--remap-labels", "--head", "--bias", "--train-labels", "save W.T",
                       "head weights head"):
            assert option not in message, message


def test_loading_an_array_as_a_model_says_it_is_not_one(data):
    message = expect([data.files["train"], "a NumPy array (.npy), not an oodbench model",
                      'oodbench.Detector(...).fit(train).save("model.oodb")'],
                     lambda: oodbench.load(data.files["train"]))
    assert "--save" not in message and "oodbench fit" not in message
    # the command line says the same in its own words, without suggesting to save over the array either
    theirs = cli("score", "--model", data.files["train"], "--test", data.files["test"], "--out",
                 data.files["test"] + ".scores.npy", check=False)
    assert theirs.returncode == 2 and "not an oodbench model" in theirs.stderr
    assert "--save " + data.files["train"] not in theirs.stderr


def test_a_damaged_model_says_how_to_refit_from_python(tmp_path):
    (tmp_path / "bad.oodb").write_bytes(b"PK\x03\x04 not really a zip")
    message = expect(["bad.oodb"], lambda: oodbench.load(tmp_path / "bad.oodb"))
    assert "Detector.save" in message and "oodbench fit" not in message, message


def test_bfloat16_tensor_says_to_convert_it(data):
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(data.train).bfloat16()  # on the CPU: the advice must not be to move it there
    message = expect(["train: cannot be read as a NumPy array", "tensor.float()"],
                     lambda: oodbench.Detector("knn").fit(t))
    assert ".cpu()" not in message


def test_small_argument_mistakes_are_value_errors_naming_the_argument(data, tmp_path):
    ids = np.linspace(0, 1, 50)
    for kw, name in (({"bootstrap": -1}, "bootstrap: expected an integer >= 0, got -1"),
                     ({"seed": -1}, "seed: expected an integer >= 0, got -1"),
                     ({"bootstrap": 1.5}, "bootstrap: expected an integer >= 0, got 1.5")):
        message = expect([name], lambda: oodbench.evaluate(ids, ids + 0.5, **kw))
        assert len(message) < 200, message  # not the whole score array
    expect(["bootstrap: expected 0 (no intervals) or 100..100000"], lambda: oodbench.evaluate(ids, ids, bootstrap=5))
    expect(["ood_scores: no OOD scores given"], lambda: oodbench.evaluate(ids, {}))

    class Plain:
        def fit(self, data):
            pass

        def score(self, x):
            return x[:, 0]

    message = expect(["detectors['x']: expected a class, got an instance of Plain", "pass the class itself"],
                     lambda: oodbench.run({"name": "x"}, tmp_path / "o", detectors={"x": Plain()}))
    assert "callable" not in message


def test_file_system_errors_are_os_errors(data, tmp_path):
    """What the file system refuses is an OSError with its errno (not a ValueError), as Python's own open() raises:
    a loop of symbolic links, a full disk."""
    import errno
    import os
    import subprocess

    (tmp_path / "a.oodb").symlink_to("b.oodb")
    (tmp_path / "b.oodb").symlink_to("a.oodb")
    with pytest.raises(OSError) as info:
        oodbench.load(tmp_path / "a.oodb")
    assert info.value.errno == errno.ELOOP and not isinstance(info.value, ValueError)
    assert "a.oodb: cannot open (Too many levels of symbolic links)" in str(info.value)

    full = tmp_path / "full"
    full.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", full],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a small tmpfs")
    try:
        det = oodbench.Detector("knn", device="cpu").fit(data.train)  # a model of ~1 MB
        with pytest.raises(OSError) as info:
            det.save(full / "knn.oodb")
        assert info.value.errno == errno.ENOSPC, info.value
        assert "knn.oodb: write failed (No space left on device)" in str(info.value)
        assert os.listdir(full) == []
    finally:
        subprocess.run(["umount", full])


def test_overflowing_features_are_refused_with_advice(data):
    """Finite float32 features near 1e37 overflow pca's float32 scores: a ValueError naming the detector and how
    to rescale, never NaN scores; knn, which normalises rows, scores them as the unscaled features."""
    big = data.train * np.float32(1e37)
    expect(["pca: the scores of x are not finite", "x reach |x| = ", "rescale them"],
           lambda: oodbench.Detector("pca", device="cpu").fit(big).score(big[:50]))
    knn = oodbench.Detector("knn", device="cpu", k=5)
    scaled = knn.fit(big).score(data.test * np.float32(1e37))
    assert np.allclose(scaled, knn.fit(data.train).score(data.test), rtol=1e-5, atol=1e-6)
