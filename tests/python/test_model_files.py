"""Fitted detectors persist: save and load round trip for every detector, across Python and the command line."""
import numpy as np
import pytest

import oodbench
from conftest import FAST, cli, detector_names


@pytest.mark.parametrize("name", detector_names())
def test_save_load_scores_identically(name, data, tmp_path):
    det = oodbench.Detector(name, device="cpu", **FAST.get(name, {}))
    det.fit(data.train, labels=data.labels, val=data.val, head=(data.W, data.b))
    det.save(tmp_path / "m.oodb")
    loaded = oodbench.load(tmp_path / "m.oodb", device="cpu")
    assert loaded.fitted and loaded.name == name and loaded.params == det.params
    np.testing.assert_array_equal(loaded.score(data.test), det.score(data.test))
    np.testing.assert_array_equal(loaded.score(data.far), det.score(data.far))


def test_python_and_command_line_read_each_others_models(data, tmp_path):
    det = oodbench.Detector("mars", device="cpu", epochs=2).fit(data.train, val=data.val)
    det.save(tmp_path / "py.oodb")
    cli("score", "--model", tmp_path / "py.oodb", "--test", data.files["test"], "--out", tmp_path / "s.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "s.npy"), det.score(data.test))

    cli("fit", "--detector", "knn", "--param", "k=7", "--train", data.files["train"], "--save", tmp_path / "cli.oodb")
    from_cli = oodbench.load(tmp_path / "cli.oodb", device="cpu")
    assert from_cli.params == {"k": 7}
    fresh = oodbench.Detector("knn", k=7, device="cpu").fit(data.train)
    np.testing.assert_array_equal(from_cli.score(data.test), fresh.score(data.test))
    # a loaded model saves again, unchanged in what it scores
    from_cli.save(tmp_path / "again.oodb")
    np.testing.assert_array_equal(oodbench.load(tmp_path / "again.oodb").score(data.far), fresh.score(data.far))


def test_model_file_faults(data, tmp_path):
    det = oodbench.Detector("knn", device="cpu")
    with pytest.raises(ValueError, match="fit\\(\\) the detector before save\\(\\)"):
        det.save(tmp_path / "m.oodb")
    det.fit(data.train).save(tmp_path / "m.oodb")
    with pytest.raises(ValueError, match="m.oodb\\) have 1280"):
        oodbench.load(tmp_path / "m.oodb").score(data.test[:, :5])
    blob = (tmp_path / "m.oodb").read_bytes()
    (tmp_path / "cut.oodb").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="cut.oodb"):
        oodbench.load(tmp_path / "cut.oodb")
    with pytest.raises(ValueError, match="missing"):
        oodbench.load(tmp_path / "missing.oodb")
    with pytest.raises(ValueError, match="does not exist"):
        det.save(tmp_path / "no" / "such" / "folder.oodb")
