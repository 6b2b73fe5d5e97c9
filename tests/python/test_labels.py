"""Detector.fit(remap_labels=True) does what `--remap-labels` does, with the same code: integer or str labels (a
pandas categorical too) become 0..C-1 in sorted order, the scores equal the command line's, and label_map says what
each class stands for."""
import numpy as np
import pytest

import oodbench
from conftest import cli


def words(labels):
    return np.where(labels == 0, "normal", "pneumonia")


def test_str_labels_remapped_score_as_the_command_line(data, tmp_path, capsys):
    y = words(data.labels)
    det = oodbench.Detector("mahalanobis", device="cpu").fit(data.train, y, remap_labels=True)
    assert det.label_map == ["normal", "pneumonia"]
    assert 'oodbench: labels remapped to 0..1: 0 <- "normal", 1 <- "pneumonia"' in capsys.readouterr().err
    np.save(tmp_path / "words.npy", y)
    cli("score", "--detector", "mahalanobis", "--train", data.files["train"], "--train-labels", tmp_path / "words.npy",
        "--remap-labels", "--test", data.files["test"], "--out", tmp_path / "s.npy")
    np.testing.assert_array_equal(det.score(data.test), np.load(tmp_path / "s.npy"))
    # the same classes as the integer labels they stand for
    plain = oodbench.Detector("mahalanobis", device="cpu").fit(data.train, data.labels)
    assert plain.label_map is None
    np.testing.assert_array_equal(det.score(data.test), plain.score(data.test))


def test_integer_labels_are_remapped_in_sorted_order(data):
    det = oodbench.Detector("mahalanobis", device="cpu").fit(data.train, data.labels * 5 + 3, remap_labels=True)
    assert det.label_map == [3, 8]


def test_object_and_categorical_labels(data):
    y = words(data.labels)
    base = oodbench.Detector("mahalanobis", device="cpu").fit(data.train, data.labels).score(data.test)
    as_object = oodbench.Detector("mahalanobis", device="cpu").fit(data.train, y.astype(object), remap_labels=True)
    np.testing.assert_array_equal(as_object.score(data.test), base)
    pd = pytest.importorskip("pandas")
    cat = pd.Categorical(y)
    det = oodbench.Detector("mahalanobis", device="cpu").fit(data.train, cat, remap_labels=True)
    assert det.label_map == ["normal", "pneumonia"]
    np.testing.assert_array_equal(det.score(data.test), base)
    det = oodbench.Detector("mahalanobis", device="cpu").fit(data.train, pd.Series(y), remap_labels=True)
    np.testing.assert_array_equal(det.score(data.test), base)
    with pytest.raises(oodbench.InputError, match="labels are strings.*pass remap_labels=True"):
        oodbench.Detector("mahalanobis", device="cpu").fit(data.train, cat)


def test_val_labels_follow_the_train_mapping(data):
    y = words(data.labels)
    val_y = np.array(["pneumonia", "normal"] * (len(data.val) // 2) + ["normal"] * (len(data.val) % 2))
    det = oodbench.Detector("knn", device="cpu").fit(data.train, y, val=data.val, val_labels=val_y, remap_labels=True)
    assert det.label_map == ["normal", "pneumonia"]
    with pytest.raises(oodbench.InputError, match=r"val_labels: row 0 has label \"cat\", which the train labels"):
        oodbench.Detector("knn", device="cpu").fit(data.train, y, val=data.val, val_labels=np.array(["cat"] * len(
            data.val)), remap_labels=True)
    with pytest.raises(oodbench.InputError, match="remap_labels=True needs labels"):
        oodbench.Detector("knn", device="cpu").fit(data.train, remap_labels=True)


def test_float_labels_are_read_when_every_value_is_whole(data, capfd):
    base = oodbench.Detector("mahalanobis", device="cpu").fit(data.train, data.labels).score(data.test)
    as_float = oodbench.Detector("mahalanobis", device="cpu").fit(data.train, data.labels.astype(np.float32))
    np.testing.assert_array_equal(as_float.score(data.test), base)
    assert "oodbench: note: labels: float32 labels read as integers" in capfd.readouterr().err
    half = data.labels.astype(np.float64)
    half[5] = 0.5
    with pytest.raises(oodbench.InputError, match="labels: label 0.5 at row 5 is not a whole number"):
        oodbench.Detector("mahalanobis", device="cpu").fit(data.train, half)


def test_a_dataframe_is_read_by_its_numeric_columns(data, capfd):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(data.train, columns=[f"f{j}" for j in range(data.train.shape[1])])
    frame.insert(0, "id", [f"img{i}" for i in range(len(frame))])
    frame["label"] = words(data.labels)
    base = oodbench.Detector("knn", device="cpu").fit(data.train).score(data.test)
    det = oodbench.Detector("knn", device="cpu").fit(frame)
    np.testing.assert_array_equal(det.score(data.test), base)
    err = capfd.readouterr().err
    assert "train: a DataFrame: read its 1280 numeric columns (f0 .. f1279), left out 2 others ('id', 'label')" in err
    assert "pass train=df[columns]" in err
    with pytest.raises(oodbench.InputError, match=r"train: a DataFrame without numeric columns \('id', 'label'\)"):
        oodbench.Detector("knn", device="cpu").fit(frame[["id", "label"]])
