"""Sweeps from Python: run, records, pandas; a Python-defined detector in a sweep with resume; the scores detector;
kept scores, paired comparisons and bootstrap intervals."""
import json

import numpy as np
import pytest

import oodbench
from conftest import DATA, cli, small_config, write_json


class CentroidDistance:
    """s = ||x - mean(train)||^power"""

    def __init__(self, power: float = 1.0, seed: int = 0):
        self.power = power
        self.seed = seed

    def fit(self, data):
        assert data.labels is not None and data.dims == 1280 and data.classes == 2
        self.center = data.train.mean(0)

    def score(self, x):
        return np.linalg.norm(x - self.center, axis=1) ** self.power


def test_user_detector_runs_like_a_builtin_and_resumes(tmp_path, capsys):
    config = small_config(tmp_path, [{"name": "knn"}, {"name": "mine", "params": {"power": [1.0, 2.0]}}])
    out = tmp_path / "out"
    records = oodbench.run(config, out, device="cpu", detectors={"mine": CentroidDistance})
    # knn: one cell; mine: 2 powers x 2 seeds (it has a seed parameter)
    assert len(records) == 5 and records.out == out
    labels = sorted({r["label"] for r in records})
    assert labels == ["knn", "mine (power=1.0)", "mine (power=2.0)"]
    assert "[5/5]" in capsys.readouterr().err  # progress reaches Python's sys.stderr
    assert (out / "report.md").exists() and "mine (power=2.0)" in (out / "report.md").read_text()
    mine = [r for r in records if r["detector"] == "mine"]
    assert {r["seed"] for r in mine} == {0, 1}

    # resume: nothing reruns
    again = oodbench.run(config, out, device="cpu", detectors={"mine": CentroidDistance})
    assert "0 to run" in capsys.readouterr().err and len(again) == 5

    # the method's code changed: its cells rerun, knn's do not
    class CentroidDistanceV2(CentroidDistance):
        """s = ||x - mean(train)||^power, version 2"""
        version = 2

    oodbench.run(config, out, device="cpu", detectors={"mine": CentroidDistanceV2})
    assert "1 already done, 4 to run" in capsys.readouterr().err

    frame = oodbench.read_records(out).to_frame()
    assert len(frame) == 5 * 2 and {"auroc", "fpr95", "auroc_low", "auroc_high", "ood", "label"} <= set(frame)
    # the check command reads the folder like any other
    cli("check", out, "--write-baseline", out / "baseline.json")
    assert "mine (power=2.0)" in (out / "baseline.json").read_text()
    cli("check", out, "--baseline", out / "baseline.json")


def test_run_keeps_your_files_and_drops_a_report_of_set_aside_records(tmp_path, capsys):
    out = tmp_path / "out"
    (out / "plots").mkdir(parents=True)
    (out / "plots" / "mine.svg").write_text("<svg/>")
    (out / "report.md").write_text("# my notes\n")
    config = small_config(tmp_path, [{"name": "knn", "params": {"k": [1, 5]}}])
    with pytest.raises(ValueError, match="report.md: exists and was not written by oodbench"):
        oodbench.run(config, out, device="cpu")
    assert not (out / "records.jsonl").exists()  # refused before any cell ran
    (out / "report.md").unlink()
    oodbench.run(config, out, device="cpu")
    assert (out / "plots" / "mine.svg").exists() and "knn (k=5)" in (out / "report.md").read_text()

    config["detectors"] = [{"name": "knn", "params": {"k": [1, 2]}}]  # knn (k=5) set aside
    capsys.readouterr()
    oodbench.run(config, out, device="cpu", report=False)
    assert "removed the report made from records that no longer match the config" in capsys.readouterr().err
    assert not (out / "report.md").exists() and (out / "plots" / "mine.svg").exists()


def test_a_config_file_gets_unlisted_user_detectors_with_defaults(tmp_path):
    path = write_json(tmp_path / "c.json", small_config(tmp_path, [{"name": "msp"}]))
    records = oodbench.run(path, tmp_path / "out", device="cpu", detectors={"mine": CentroidDistance}, report=False)
    assert sorted(r["label"] for r in records) == ["mine", "mine", "msp"]
    assert not (tmp_path / "out" / "report.md").exists()
    # the user detector is registered only during the run
    assert "mine" not in [d["name"] for d in oodbench.detectors()]


def test_user_detector_faults(tmp_path):
    config = small_config(tmp_path, [{"name": "bad"}])

    class NoScore:
        def fit(self, data):
            pass

    class NoDefault:
        def __init__(self, alpha):
            pass

        fit = score = lambda self, x: x

    class WrongShape(CentroidDistance):
        def score(self, x):
            return np.zeros(3)

    class Raises(CentroidDistance):
        def fit(self, data):
            raise KeyError("my bug")

    with pytest.raises(ValueError, match="has no score"):
        oodbench.run(config, tmp_path / "a", device="cpu", detectors={"bad": NoScore})
    with pytest.raises(ValueError, match="'alpha'.*needs a default"):
        oodbench.run(config, tmp_path / "b", device="cpu", detectors={"bad": NoDefault})
    with pytest.raises(ValueError, match=r"bad.score\(\) returned an array of shape \(3,\) for 624 rows"):
        oodbench.run(config, tmp_path / "c", device="cpu", detectors={"bad": WrongShape})
    with pytest.raises(KeyError, match="my bug"):
        oodbench.run(config, tmp_path / "d", device="cpu", detectors={"bad": Raises})
    with pytest.raises(ValueError, match="already taken by a built-in"):
        oodbench.run(small_config(tmp_path, [{"name": "knn"}]), tmp_path / "e", detectors={"knn": CentroidDistance})
    with pytest.raises(ValueError, match="'scores' is already taken"):  # precomputed scores' name, though no Detector
        oodbench.run(small_config(tmp_path, [{"name": "knn"}]), tmp_path / "f", detectors={"scores": CentroidDistance})


def test_scores_detector_puts_files_into_the_tables(tmp_path):
    features = np.load(DATA / "mobilenet_v2.npz")
    det = oodbench.Detector("knn", device="cpu").fit(features["chestxray_train"])
    for name, key in [("test", "chestxray_test"), ("breastus_test", "breastus_test"), ("mnist_far", "mnist_far")]:
        np.save(tmp_path / f"{name}.npy", det.score(features[key]))
    config = small_config(tmp_path, [{"name": "knn"},
                                     {"name": "scores", "label": "from_files",
                                      "params": {"files": str(tmp_path / "{set}.npy")}}])
    path = write_json(tmp_path / "c.json", config)
    cli("run", path, "--out", tmp_path / "out", "--quiet")
    records = oodbench.read_records(tmp_path / "out")
    by_label = {r["label"]: r for r in records}
    for a, b in zip(by_label["knn"]["ood"], by_label["from_files"]["ood"]):
        assert a["metrics"] == b["metrics"]
    # a changed score file reruns that variant only
    np.save(tmp_path / "mnist_far.npy", -det.score(features["mnist_far"]))
    rerun = cli("run", path, "--out", tmp_path / "out")
    assert "1 already done, 1 to run" in rerun.stderr
    # a file with the wrong number of rows: every fault up front, nothing run
    np.save(tmp_path / "test.npy", np.zeros(5, np.float32))
    bad = cli("validate", path, check=False)
    assert bad.returncode == 2 and "5 scores, but test has 624 rows" in bad.stderr
    config["detectors"][1]["params"]["files"] = "no_placeholder.npy"
    bad = cli("validate", write_json(tmp_path / "c2.json", config), check=False)
    assert bad.returncode == 2 and "/detectors/1/params/files" in bad.stderr and "{set}" in bad.stderr


def test_kept_scores_compare_and_bootstrap_match_the_command_line(tmp_path):
    config = dict(small_config(tmp_path, [{"name": "knn"}, {"name": "msp"}]), keep_scores=True)
    out = tmp_path / "out"
    records = oodbench.run(config, out, device="cpu", report=False)
    knn = next(r for r in records if r["label"] == "knn")
    scores = records.scores(knn)
    kept = np.load(out / knn["scores"]["file"])
    assert set(scores) == {"id"} | {o["name"] for o in knn["ood"]}
    assert all(np.array_equal(scores[o["name"]], kept["ood/" + o["name"]]) for o in knn["ood"])
    # the same paired comparison as `oodbench compare --json`
    got = oodbench.compare(out, "knn", "msp", metrics=["auroc"], resamples=200, seed=3)
    want = cli("compare", out, "knn", "msp", "--json", "--metric", "auroc", "--bootstrap", "200", "--seed", "3")
    assert got == json.loads(want.stdout)
    # one metric as a str is that metric, not its letters
    assert oodbench.compare(out, "knn", "msp", metrics="auroc", resamples=200, seed=3) == got
    with pytest.raises(oodbench.InputError, match="resamples: expected an integer >= 0, got -1"):
        oodbench.compare(out, "knn", "msp", resamples=-1)
    with pytest.raises(oodbench.InputError, match="no detector labelled"):
        oodbench.compare(out, "knn", "nope")
    # evaluate's intervals: those of `eval --bootstrap`
    np.save(tmp_path / "id.npy", scores["id"])
    name = knn["ood"][0]["name"]
    np.save(tmp_path / "ood.npy", scores[name])
    mine = oodbench.evaluate(scores["id"], {"ood": scores[name]}, device="cpu", bootstrap=100, seed=9)
    theirs = json.loads(cli("eval", "--id", tmp_path / "id.npy", "--ood", tmp_path / "ood.npy", "--json",
                            "--bootstrap", "100", "--seed", "9").stdout)
    assert mine["ood"][0]["ci95"] == theirs["ood"][0]["ci95"]
    # a folder without kept scores says what to do
    plain = oodbench.run(small_config(tmp_path, [{"name": "msp"}]), tmp_path / "plain", device="cpu", report=False)
    with pytest.raises(oodbench.InputError, match="keep_scores"):
        plain.scores(plain[0])


def test_numpy_values_and_paths_are_json(tmp_path):
    """A grid from np.arange, NumPy scalars, a seed array and a pathlib data_root are what their Python values say;
    a value JSON cannot hold is a ValueError naming where it sits."""
    import pathlib

    plain = small_config(tmp_path, [{"name": "knn", "params": {"k": [3, 5]}}])
    numpy = small_config(tmp_path, [{"name": "knn", "params": {"k": np.arange(3, 6, 2)}}])
    numpy["seeds"], numpy["data_root"] = np.array([0, 1]), pathlib.Path(numpy["data_root"])
    numpy["tables"]["bootstrap"] = np.int64(100)
    a = oodbench.run(plain, tmp_path / "plain", device="cpu", quiet=True, report=False)
    b = oodbench.run(numpy, tmp_path / "numpy", device="cpu", quiet=True, report=False)
    assert [(r["label"], r["seed"], r["ood"]) for r in a] == [(r["label"], r["seed"], r["ood"]) for r in b]
    with pytest.raises(ValueError, match="/detectors/0/params/k: expected a JSON value .* got object"):
        oodbench.run(small_config(tmp_path, [{"name": "knn", "params": {"k": object()}}]), tmp_path / "bad")
    assert not (tmp_path / "bad").exists()

    x = np.load(DATA / "mobilenet_v2.npz")["chestxray_train"]
    scores = [oodbench.Detector("knn", k=k, device="cpu").fit(x).score(x[:50]) for k in (5, np.int64(5))]
    np.testing.assert_array_equal(scores[0], scores[1])
    with pytest.raises(ValueError, match="params/k"):
        oodbench.Detector("knn", k={1, 2})


def test_user_detector_code_hash_is_stable_and_sees_attributes_and_bases(tmp_path):
    """A class without source (made by exec, as in a notebook) hashes the same in every process, whatever its
    comprehensions' addresses and its sets' order; a class attribute set later, or a base's method, changes it."""
    import os
    import subprocess
    import sys

    from oodbench.user_detectors import code_hash

    source = '''
class Made:
    SCALE = 1.0
    TAGS = {"alpha", "beta", "gamma", "delta"}
    def fit(self, data):
        pass
    def score(self, x):
        return [v * self.SCALE for v in x.sum(1)]
'''
    script = tmp_path / "hash.py"
    script.write_text(f"from oodbench.user_detectors import code_hash\nns = {{}}\nexec({source!r}, ns)\n"
                      "print(code_hash(ns['Made']))\n")
    hashes = {subprocess.run([sys.executable, script], capture_output=True, text=True, check=True,
                             env=dict(os.environ, PYTHONHASHSEED=str(seed))).stdout for seed in (1, 2, 3)}
    assert len(hashes) == 1, hashes
    namespace = {}
    exec(source, namespace)
    made = namespace["Made"]
    assert code_hash(made) == hashes.pop().strip()
    before = code_hash(made)
    made.SCALE = 100.0
    assert code_hash(made) != before

    class Child(made):
        pass

    child = code_hash(Child)
    made.score = lambda self, x: x.sum(1)
    assert code_hash(Child) != child


def test_a_command_line_rerun_never_drops_python_detectors_cells(tmp_path):
    """The command line cannot compute a Python detector's cells: a rerun of the folder from it refuses, saying how to
    rerun from Python, and changes nothing; a run from Python with the detector goes on."""
    config = write_json(tmp_path / "config.json", small_config(tmp_path, [{"name": "knn"}]))
    out = tmp_path / "out"
    oodbench.run(config, out, device="cpu", detectors={"mine": CentroidDistance})  # the config gets "mine" added
    before = (out / "records.jsonl").read_text()
    refused = cli("run", config, "--out", out, check=False)
    assert refused.returncode == 2, refused.stderr
    assert "records of detectors defined in Python (mine)" in refused.stderr
    assert f'oodbench.run("{config}", out="{out}", detectors={{"mine": YourClass}})' in refused.stderr
    assert (out / "records.jsonl").read_text() == before and not list(out.glob("records.set-aside-*"))
    assert (out / "report.md").exists()
    again = oodbench.run(config, out, device="cpu", detectors={"mine": CentroidDistance})
    assert len(again) == 3 and not list(out.glob("records.set-aside-*"))
