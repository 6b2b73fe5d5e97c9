#!/usr/bin/env python3
"""gen against a float64 NumPy reference written from docs/methods.md, on the bundled data and by hand."""
import numpy as np
from scipy.special import softmax

from reference_common import Tally, logits


def gen_reference(gamma, M):
    def score(x):
        p = np.sort(softmax(logits(x), axis=1), axis=1)[:, -M:]  # the M largest (all when M >= C)
        return (p**gamma * (1 - p) ** gamma).sum(1)
    return score


tally = Tally()
tally.compare("gen", (), gen_reference(0.1, 100))
tally.compare("gen", (("gamma", 0.5), ("M", 1)), gen_reference(0.5, 1))
# By hand, identity head: z = (ln 3, 0) gives p = (3/4, 1/4). γ = 1, M = 100 (capped at 2):
# 3/4 · 1/4 + 1/4 · 3/4 = 0.375. M = 1 keeps only p = 3/4: 0.1875. z = (0, 0): p = (1/2, 1/2), γ = 1: 0.5.
head = ([[1, 0], [0, 1]], [0, 0])
tally.hand_case("gen", (("gamma", 1.0),), train=[[1, 0], [0, 1]], test=[[np.log(3), 0], [0, 0]],
                expected=[0.375, 0.5], head=head)
tally.hand_case("gen", (("gamma", 1.0), ("M", 1)), train=[[1, 0], [0, 1]], test=[[np.log(3), 0]],
                expected=[0.1875], head=head)
tally.finish()
