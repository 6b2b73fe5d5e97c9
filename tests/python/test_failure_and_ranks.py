"""Failure detection and rankings from Python: oodbench.evaluate_failure equals `oodbench eval --correct --json`,
takes what a researcher holds (bool masks, 0/1 integers, a torch tensor) and refuses what it cannot read as a
ValueError; oodbench.ranks equals `oodbench ranks --json`."""
import json
import pathlib

import numpy as np
import pytest

import oodbench
from conftest import DATA, cli


def test_evaluate_failure_equals_eval_correct(data, tmp_path):
    det = oodbench.Detector("msp", device="cpu").fit(data.train, data.labels, head=(data.W, data.b))
    scores = det.score(data.test)
    predictions = np.argmax(data.test.astype(np.float64) @ data.W.T + data.b, axis=1)
    labels = np.load(DATA / "labels.npz")["chestxray_test"]
    correct = predictions == labels
    np.save(tmp_path / "s.npy", scores)
    np.save(tmp_path / "c.npy", correct)
    expected = json.loads(cli("eval", "--json", "--bootstrap", 200, "--seed", 3, "--id", tmp_path / "s.npy",
                              "--correct", tmp_path / "c.npy").stdout)["failure"]
    ours = oodbench.evaluate_failure(scores, correct, device="cpu", bootstrap=200, seed=3)
    assert ours == expected
    assert set(ours) >= {"aurc", "eaurc", "augrc", "accuracy", "n", "errors", "ci95"}
    assert ours["accuracy"] == pytest.approx(correct.mean(), abs=1e-15)
    assert oodbench.evaluate_failure(scores, correct.astype(np.int64), device="cpu")["aurc"] == ours["aurc"]
    torch = pytest.importorskip("torch")
    assert oodbench.evaluate_failure(torch.from_numpy(scores), torch.from_numpy(correct),
                                     device="cpu")["augrc"] == ours["augrc"]


def test_evaluate_failure_bad_input_is_a_value_error():
    with pytest.raises(ValueError, match="row 1 is 2"):
        oodbench.evaluate_failure(np.zeros(3), np.array([1, 2, 0]), device="cpu")
    with pytest.raises(ValueError, match="2 flags but scores has 3 scores"):
        oodbench.evaluate_failure(np.zeros(3), np.array([True, False]), device="cpu")
    with pytest.raises(ValueError, match="bootstrap"):
        oodbench.evaluate_failure(np.zeros(3), np.ones(3, bool), bootstrap=5, device="cpu")



def test_ranks_equals_ranks_json():
    paper = pathlib.Path(__file__).resolve().parents[2] / "results" / "paper"
    for metric in ("auroc", "fpr95"):
        assert oodbench.ranks(paper, metric) == json.loads(cli("ranks", paper, "--metric", metric, "--json").stdout)
    with pytest.raises(ValueError, match="unknown metric"):
        oodbench.ranks(paper, "accuracy_of_nothing")
