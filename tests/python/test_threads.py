"""A fitted Detector shared between threads: refitting it in one thread while others score it neither crashes nor
mixes two fits; every score() returns the scores of one whole fit, the one current when it started or a later one.
Runs on the CPU, and on the GPU too where one is usable."""
import threading

import numpy as np
import pytest

import oodbench


def devices():
    usable = oodbench.Detector("knn", device="auto").device.startswith("cuda")
    return ["cpu", "cuda"] if usable else ["cpu"]


@pytest.mark.parametrize("device", devices())
@pytest.mark.parametrize("name, params, refits", [("knn", {"k": 5}, 6), ("pca", {}, 6), ("mars", {"epochs": 2}, 2)])
def test_refit_while_scoring(data, device, name, params, refits):
    # Two fits on different train rows give different scores; a score() must return one of them exactly.
    fits, test = [data.train[:200], data.train[200:400]], data.test[:200]
    expected = [oodbench.Detector(name, device=device, **params).fit(f).score(test) for f in fits]
    assert not np.array_equal(expected[0], expected[1])
    shared = oodbench.Detector(name, device=device, **params).fit(fits[0])
    stop = threading.Event()
    errors, results = [], []

    def refit():
        try:
            for i in range(refits):
                shared.fit(fits[(i + 1) % 2])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            stop.set()

    def score():
        try:
            while not stop.is_set():
                results.append(shared.score(test))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=refit)] + [threading.Thread(target=score) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert results
    whole = [any(np.array_equal(r, e) for e in expected) for r in results]
    assert all(whole), f"{whole.count(False)} of {len(results)} scores mix two fits"


def test_scores_stay_parallel_during_a_refit(data):
    """A score() does not wait for a refit in flight (on the CPU): it scores with the fit it found."""
    det = oodbench.Detector("mars", device="cpu", epochs=20).fit(data.train[:200])
    started, done = threading.Event(), threading.Event()

    def refit():
        started.set()
        det.fit(data.train)
        done.set()

    t = threading.Thread(target=refit)
    t.start()
    started.wait()
    scored_during = 0
    while not done.is_set() and scored_during < 3:
        det.score(data.test[:50])
        scored_during += 1
    t.join()
    assert scored_during >= 3, scored_during
