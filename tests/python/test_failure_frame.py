"""Failure detection of a sweep from Python: each cell's `failure` equals oodbench.evaluate_failure on its kept scores
with the head's correctness (NumPy's argmax), intervals included under the seed rule of docs/methods.md, and
Records.to_frame() carries it: failure_* on every row of a labelled cell, csid_failure_* on the labelled csid set's."""
import numpy as np
import pytest

import oodbench
from conftest import DATA, small_config


def fnv1a64(text: str) -> int:
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) % 2**64
    return h


def test_failure_records_and_frame(data, tmp_path):
    config = small_config(tmp_path, [{"name": "knn", "params": {"k": 5}}, {"name": "msp"}])
    config["keep_scores"] = True
    dataset = config["datasets"][0]
    dataset["head"] = {"weights": data.files["W"], "bias": data.files["b"]}
    dataset["test"]["labels"] = "labels.npz:chestxray_test"
    dataset["ood"].append({"name": "noise", "shift": "covariate", "role": "csid",
                           "features": "{backbone}.npz:chestxray_noise", "labels": "labels.npz:chestxray_noise"})
    out = tmp_path / "out"
    records = oodbench.run(config, out, device="cpu", report=False)
    features, labels = np.load(DATA / "mobilenet_v2.npz"), np.load(DATA / "labels.npz")

    def correct(key):
        return np.argmax(features[key].astype(np.float64) @ data.W.T.astype(np.float64) + data.b, axis=1) == labels[key]

    for r in records:
        kept = records.scores(r)
        for entry, scores, right, seed_set in [
            (r["failure"]["id_test"], kept["id"], correct("chestxray_test"), "test"),
            (r["failure"]["csid"][0], kept["noise"], correct("chestxray_noise"), "noise"),
        ]:
            want = oodbench.evaluate_failure(scores, right, device="cpu", bootstrap=100,
                                             seed=fnv1a64(f"{r['cell']}/failure/{seed_set}"))
            for key in ("aurc", "eaurc", "augrc", "accuracy", "n", "errors", "ci95"):
                assert entry[key] == want[key], (r["label"], seed_set, key)

    frame = records.to_frame()
    assert {"failure_aurc", "failure_eaurc", "failure_augrc", "failure_accuracy", "failure_aurc_low",
            "csid_failure_aurc", "csid_failure_augrc_high"} <= set(frame)
    for r in records:
        mine = frame[frame["label"] == r["label"]]
        assert (mine["failure_aurc"] == r["failure"]["id_test"]["aurc"]).all()
        assert (mine["failure_accuracy"] == r["id_accuracy"]).all()
        noise = mine[mine["ood"] == "noise"]
        assert len(noise) == 1 and noise["csid_failure_eaurc"].iloc[0] == r["failure"]["csid"][0]["eaurc"]
        assert mine[mine["ood"] != "noise"]["csid_failure_eaurc"].isna().all()


def test_frame_without_labels_has_empty_failure_columns(tmp_path):
    records = oodbench.run(small_config(tmp_path, [{"name": "msp"}]), tmp_path / "out", device="cpu", report=False)
    assert all("failure" not in r for r in records)
    frame = records.to_frame()
    assert frame["failure_aurc"].isna().all() and "failure_aurc_low" not in frame
