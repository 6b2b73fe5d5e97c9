#!/usr/bin/env python3
"""maxcosine against a float64 NumPy reference written from docs/methods.md (s = -max_c cos(x, μ_c), μ_c the ID
train class means), on the bundled data and by hand."""
import numpy as np
from reference_common import Tally, means


def maxcosine_reference(x):
    cos = (x @ means.T) / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12) / np.linalg.norm(means, axis=1)
    return -cos.max(1)


tally = Tally()
got = tally.compare("maxcosine", (), maxcosine_reference, head=False)
# Able to fail: the max over classes matters here (the two class means point in different directions).
from reference_common import tests  # noqa: E402
x = tests["chestxray_test"]
cos = x @ means.T / np.linalg.norm(x, axis=1, keepdims=True) / np.linalg.norm(means, axis=1)
tally.record((cos.argmax(1) == 0).any() and (cos.argmax(1) == 1).any(),
             "both class means are the nearest for some rows")
# By hand: class means (2, 0) (rows (1, 0), (3, 0)) and (0, 1) (rows (0, 1), (0, 1)). x = (3, 4): cos with (1, 0) is
# 3/5, with (0, 1) 4/5, s = -0.8. x = (-1, 0): cosines -1 and 0, s = 0. x = (0, 0): norm floored, cosines 0, s = 0.
tally.hand_case("maxcosine", (), train=[[1, 0], [3, 0], [0, 1], [0, 1]], labels=[0, 0, 1, 1],
                test=[[3, 4], [-1, 0], [0, 0]], expected=[-0.8, 0.0, 0.0])
tally.finish()
