"""One fitted detector scored from four Python threads at once (the GIL is released while the engine works) gives the
serial scores bit for bit, for every detector, on the CPU and, where one is usable, on the GPU: the CUDA backend's
calls share no stream, handle or workspace (kernels/cuda/lanes.cuh)."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import oodbench
from conftest import FAST, detector_names

THREADS, ROUNDS = 4, 3


def fitted(name, device, data):
    try:
        det = oodbench.Detector(name, device=device, **FAST.get(name, {}))
    except ValueError as e:  # device="cuda" where no GPU is usable
        pytest.skip(str(e))
    return det.fit(data.train, labels=data.labels, val=data.val, head=(data.W, data.b))


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("name", detector_names())
def test_four_threads_score_as_one(name, device, data):
    det = fitted(name, device, data)
    inputs = [data.test, data.far]
    serial = [det.score(x) for x in inputs]

    def score_all(_):
        return [[det.score(x) for x in inputs] for _ in range(ROUNDS)]

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(score_all, range(THREADS)))
    for thread in results:
        for round_scores in thread:
            for got, want in zip(round_scores, serial):
                np.testing.assert_array_equal(got, want, err_msg=f"{name} on {device}")
