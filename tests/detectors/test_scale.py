#!/usr/bin/env python3
"""scale against a float64 NumPy reference written from docs/methods.md, on the bundled data and by hand."""
import numpy as np
from scipy.special import logsumexp

from reference_common import Tally, logits


def scale_reference(p):
    def score(x):
        D = x.shape[1]
        k = D - int(np.round(D * p / 100))  # np.round: half to even
        r = x.sum(1) / np.sort(x, axis=1)[:, -k:].sum(1)
        return -logsumexp(logits(x * np.exp(r)[:, None]), axis=1)
    return score


tally = Tally()
tally.compare("scale", (), scale_reference(85))
tally.compare("scale", (("percentile", 65.0),), scale_reference(65))
# By hand, head W = (1 1 1 1; 0 0 0 0), b = 0. p = 50, D = 4: k = 2. x = (1, 2, 3, 4): r = 10 / (4 + 3) = 10/7,
# z = (10 e^{10/7}, 0).
tally.hand_case("scale", (("percentile", 50.0),), train=[[1, 1, 1, 1]], test=[[1, 2, 3, 4]],
                expected=[-logsumexp([10 * np.exp(10 / 7), 0])], head=([[1, 1, 1, 1], [0, 0, 0, 0]], [0, 0]))
# Rounding half to even, as np.round: D = 2, p = 25 prunes round(0.5) = 0 features, so k = 2 and r = 4 / 4 = 1 for
# x = (1, 3): z = (4e, 0). (Rounding half up would keep k = 1: r = 4/3.)
tally.hand_case("scale", (("percentile", 25.0),), train=[[1, 1]], test=[[1, 3]],
                expected=[-logsumexp([4 * np.e, 0])], head=([[1, 1], [0, 0]], [0, 0]))
tally.finish()
