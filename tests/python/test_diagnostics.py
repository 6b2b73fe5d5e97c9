"""What the command line prints on stderr reaches a notebook: the readers' notes, a sweep's per-cell fit warnings and
its notices go to Python's sys.stderr (which a notebook shows under the cell), not to file descriptor 2."""
import numpy as np

import oodbench
from conftest import small_config, write_json


def test_readers_notes_reach_sys_stderr(data, tmp_path, capsys):
    # capsys sees sys.stderr only: a note written to fd 2 (where it went before) is not in it.
    oodbench.Detector("knn", device="cpu").fit(data.train[:, None, :])
    err = capsys.readouterr().err
    assert "oodbench: note: train: shape (" in err and "(singleton axes squeezed)" in err, err

    (tmp_path / "x.csv").write_text(",a,b\n0,1.0,2.0\n1,3.0,4.0\n")
    assert oodbench.load_array(tmp_path / "x.csv").shape == (2, 2)
    assert "first column has no header name" in capsys.readouterr().err


def test_sweep_prints_each_cells_fit_warnings(tmp_path, capsys):
    # 40 rows in 60 dimensions: every class covariance is singular, which mahalanobis warns of.
    rng = np.random.default_rng(0)
    for name, rows in (("train", 40), ("test", 20), ("far", 20)):
        np.save(tmp_path / f"{name}.npy", rng.normal(size=(rows, 1, 60)).astype(np.float32))  # squeezed: a note
    np.save(tmp_path / "labels.npy", np.array(["cat", "dog"] * 20))
    config = write_json(tmp_path / "sweep.json", {
        "name": "singular",
        "data_root": str(tmp_path),
        "remap_labels": True,
        "datasets": [{"modality": "toy", "backbone": "random",
                      "train": {"features": "train.npy", "labels": "labels.npy"},
                      "test": {"features": "test.npy"},
                      "ood": [{"name": "far", "shift": "far", "features": "far.npy"}]}],
        "detectors": [{"name": "mahalanobis"}],
    })
    records = oodbench.run(config, tmp_path / "out", device="cpu", quiet=True, report=False)
    err = capsys.readouterr().err
    assert any("singular" in w for w in records[0]["warnings"]), records[0]["warnings"]
    assert "oodbench: warning: toy/random: mahalanobis: " in err and "singular" in err, err
    assert "train labels remapped to 0..1: 0 <- \"cat\", 1 <- \"dog\"" in err, err
    assert "(singleton axes squeezed)" in err, err


def test_report_of_part_of_the_plan_warns(tmp_path, capsys):
    out = tmp_path / "out"
    oodbench.run(small_config(tmp_path, [{"name": "msp"}, {"name": "knn"}]), out, device="cpu", shard="0/2",
                 quiet=True)
    assert "oodbench: warning: " in capsys.readouterr().err  # the report shows 1 of 2 cells, and says so
    written = oodbench.report(out)
    assert written["warnings"] and "oodbench: warning: " + written["warnings"][0] in capsys.readouterr().err
