"""Bad input raises ValueError (oodbench.InputError) with the command line's message, and never crashes."""
import numpy as np
import pytest

import oodbench
from conftest import cli


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
    expect(["x: dtype bool is not supported"], lambda: fitted.score(data.test > 0))
    expect(["x: shape (2, 3, 4)", "reshape it to (N, D)"], lambda: fitted.score(np.zeros((2, 3, 4), np.float32)))
    expect(["x: expected a 2-D float array"], lambda: fitted.score(np.zeros(5, np.float32)))
    expect(["x: empty feature array"], lambda: fitted.score(np.zeros((0, 1280), np.float32)))
    expect(["labels: expected a 1-D integer (or string) array"], lambda: det().fit(data.train, labels=data.labels * 1.0))
    expect(["labels: label -1 at row 0"], lambda: det().fit(data.train, labels=np.full(len(data.train), -1)))
    expect(["labels:", "labels but train has"], lambda: det().fit(data.train, labels=data.labels[:-1]))
    expect(["labels: found labels 1, 2", "class 0 has no sample"],
           lambda: oodbench.Detector("mahalanobis", device="cpu").fit(data.train, labels=data.labels + 1))
    expect(["head W", "looks like Wᵀ", "save W.T"], lambda: det().fit(data.train, head=(data.W.T, data.b)))
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
        assert "GPU" in str(e) or "CUDA" in str(e) or "cuda" in str(e)
    else:
        pytest.skip("a GPU is usable here")


def test_torch_tensors_that_cannot_be_read_say_what_to_do(data):
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(data.train).requires_grad_()
    expect(["train: cannot be read as a NumPy array", "detach"], lambda: oodbench.Detector("knn").fit(t))
