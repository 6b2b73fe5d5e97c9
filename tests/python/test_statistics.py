"""Statistics on score arrays: compare_scores gives the paired differences, intervals and p-values `oodbench compare`
gives on the same scores kept by a sweep (and `compare --id --ood` on score files); evaluate is flat for one OOD
array; Records.scores returns every array a kept-scores file holds; `compare DIR` takes a grid's base label when one
row has it."""
import json

import numpy as np
import pytest

import oodbench
from conftest import DATA, cli, small_config

DATASET = "chestxray/mobilenet_v2"


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """knn (a grid, k chosen on a validation set) and mahalanobis on chest X-ray, with kept scores."""
    folder = tmp_path_factory.mktemp("statistics")
    config = small_config(folder, [{"name": "knn", "params": {"k": [1, 10]}}, {"name": "mahalanobis"}])
    config["datasets"][0]["val"] = {"features": "{backbone}.npz:chestxray_val"}
    config["datasets"][0]["ood"].append({"name": "blur", "shift": "covariate",
                                         "features": "{backbone}.npz:chestxray_blur"})
    config.update(keep_scores=True, select={"metric": "auroc", "on": ["breastus_test"]}, plots=False)
    out = folder / "out"
    records = oodbench.run(config, out, device="cpu", quiet=True)
    return out, records


def kept(records, label):
    record = next(r for r in records if r["label"] == label)
    scores = records.scores(record)
    return scores, [o["name"] for o in record["ood"]]


def test_compare_scores_equals_compare_on_the_kept_scores(sweep, tmp_path):
    out, records = sweep
    folder = oodbench.compare(out, "knn", "mahalanobis", metrics=["auroc", "fpr95", "aupr_in"], resamples=500, seed=4)
    a, sets = kept(records, folder["a"].replace(", selected", ""))  # the tables' label of the record's grid point
    b, _ = kept(records, "mahalanobis")
    test_sets = [s for s in sets if s != "breastus_test"]  # the validation set stays out of compare, as of tables
    ours = oodbench.compare_scores((a["id"], {s: a[s] for s in test_sets}), (b["id"], {s: b[s] for s in test_sets}),
                                   metric=["auroc", "fpr95", "aupr_in"], bootstrap=500, seed=4, dataset=DATASET)
    want = folder["datasets"][0]["sets"]
    assert [s["name"] for s in ours["sets"]] == [*test_sets, "all"] == [s["name"] for s in want]
    for mine, theirs in zip(ours["sets"], want):
        assert mine["metrics"] == theirs["metrics"]  # every difference, bound and p-value, exactly
    # the command line on score files: the same document
    files = []
    for side, name in ((a, "a"), (b, "b")):
        np.savez(tmp_path / f"{name}.npz", **{s: side[s] for s in ["id", *test_sets]})
        files.append(tmp_path / f"{name}.npz")
    args = ["compare", "--id", f"{files[0]}:id", f"{files[1]}:id", "--json", "--bootstrap", "500", "--seed", "4",
            "--dataset", DATASET, "--metric", "auroc", "--metric", "fpr95", "--metric", "aupr_in"]
    for s in test_sets:
        args += ["--ood", f"{files[0]}:{s}", f"{files[1]}:{s}"]
    by_files = json.loads(cli(*args).stdout)
    assert [s["metrics"] for s in by_files["sets"]] == [s["metrics"] for s in ours["sets"]]
    # one OOD array: flat, {metric: {...}}; the same numbers as the first set
    flat = oodbench.compare_scores((a["id"], a["blur"]), (b["id"], b["blur"]), bootstrap=500, seed=4,
                                   dataset=DATASET)
    assert set(flat) == {"auroc", "fpr95"} and flat["auroc"]["diff"] == flat["auroc"]["a"] - flat["auroc"]["b"]
    one = oodbench.compare_scores((a["id"], {"blur": a["blur"]}), (b["id"], {"blur": b["blur"]}), bootstrap=500,
                                  seed=4, dataset=DATASET)
    assert flat == one["sets"][0]["metrics"] and len(one["sets"]) == 1
    assert 0 < flat["auroc"]["p_value"] <= 1 and flat["auroc"]["ci95_low"] <= flat["auroc"]["ci95_high"]
    assert oodbench.compare_scores((a["id"], a["blur"]), (b["id"], b["blur"]), metric="auroc")["auroc"]


def test_compare_scores_faults(tmp_path):
    rng = np.random.default_rng(0)
    i, o = rng.standard_normal(50), rng.standard_normal(40) + 1
    np.save(tmp_path / "i.npy", i)
    np.save(tmp_path / "o.npy", o)
    np.save(tmp_path / "short.npy", o[:-1])
    for args, message in [(["--ood", tmp_path / "o.npy"], "--ood: expected two files each time"),
                          (["--ood", tmp_path / "o.npy", tmp_path / "short.npy"], "A has 40 scores, B 39"),
                          ([], "give the OOD scores too")]:
        run = cli("compare", "--id", tmp_path / "i.npy", tmp_path / "i.npy", *args, check=False)
        assert run.returncode == 2 and message in run.stderr and not run.stdout, run.stderr
    with pytest.raises(oodbench.InputError, match="OOD set ood: A has 40 scores, B 39"):
        oodbench.compare_scores((i, o), (i, o[:-1]))
    with pytest.raises(oodbench.InputError, match=r"b: its OOD sets \[y\] are not a's \[x\]"):
        oodbench.compare_scores((i, {"x": o}), (i, {"y": o}))
    with pytest.raises(oodbench.InputError, match="both as mappings"):
        oodbench.compare_scores((i, {"x": o}), (i, o))
    with pytest.raises(oodbench.InputError, match="expected \\(id_scores, ood_scores\\)"):
        oodbench.compare_scores(i, (i, o))
    with pytest.raises(oodbench.InputError, match="bootstrap: expected 100..100000"):
        oodbench.compare_scores((i, o), (i, o), bootstrap=10)
    with pytest.raises(oodbench.InputError, match="a: ID scores: NaN at row 2"):
        oodbench.compare_scores((np.r_[i[:2], np.nan], o), (i[:3], o))
    with pytest.raises(ValueError, match="unknown metric"):
        oodbench.compare_scores((i, o), (i, o), metric="auc")


def test_compare_takes_a_base_label_only_when_one_row_has_it(sweep):
    out, _ = sweep
    by_base = json.loads(cli("compare", out, "knn", "mahalanobis", "--json").stdout)
    assert by_base["a"].startswith("knn (k=") and by_base["a"].endswith(", selected)")
    assert json.loads(cli("compare", out, by_base["a"], "mahalanobis", "--json").stdout) == by_base
    grid = small_config(out.parent, [{"name": "knn", "params": {"k": [1, 10]}}, {"name": "mahalanobis"}])
    oodbench.run(dict(grid, keep_scores=True, plots=False), out.parent / "grid", device="cpu", quiet=True)
    run = cli("compare", out.parent / "grid", "knn", "mahalanobis", check=False)
    assert run.returncode == 2 and '"knn" names several rows: "knn (k=1)", "knn (k=10)"; give one' in run.stderr


def test_evaluate_is_flat_for_one_ood_array(sweep):
    _, records = sweep
    scores, _ = kept(records, "mahalanobis")
    flat = oodbench.evaluate(scores["id"], scores["blur"], device="cpu", bootstrap=100)
    nested = oodbench.evaluate(scores["id"], {"blur": scores["blur"]}, device="cpu", bootstrap=100)
    assert flat == {k: v for k, v in nested["ood"][0].items() if k != "name"}
    assert flat["auroc"] == nested["ood"][0]["auroc"] and flat["n_ood"] == len(scores["blur"]) and "ci95" in flat


def test_records_scores_returns_every_array_the_file_holds(sweep):
    out, records = sweep
    record = next(r for r in records if r["label"] == "mahalanobis")
    scores = records.scores(record)
    held = np.load(out / record["scores"]["file"])
    assert sorted(scores) == sorted(k.removeprefix("ood/") for k in held.files) and "id_val" in scores
    assert np.array_equal(scores["id_val"], held["id_val"])
    val = np.load(DATA / "mobilenet_v2.npz")["chestxray_val"]
    assert len(scores["id_val"]) == len(val)
    # the validation set's AUROC in the record is that of the kept ID val scores, as the tables report it
    entry = next(o for o in record["ood"] if o["name"] == "breastus_test")
    assert oodbench.evaluate(scores["id_val"], scores["breastus_test"], device="cpu")["auroc"] == \
        entry["metrics"]["auroc"]
