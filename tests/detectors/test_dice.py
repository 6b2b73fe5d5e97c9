#!/usr/bin/env python3
"""dice against a float64 NumPy reference written from docs/methods.md, on the bundled data and by hand."""
import numpy as np
from scipy.special import logsumexp

from reference_common import Tally, W_head, X, b_head


def dice_reference(p):
    V = X.mean(0)[None, :] * W_head
    W = np.where(V > np.percentile(V, p), W_head, 0)
    return lambda x: -logsumexp(x @ W.T + b_head, axis=1)


tally = Tally()
tally.compare("dice", (), dice_reference(90))
tally.compare("dice", (("p", 50.0),), dice_reference(50))
# By hand: train mean x̄ = (1, 1), so V = W = (1 2; 3 4). The 50th percentile of {1, 2, 3, 4} is 2.5: only 3 and 4
# survive, W' = (0 0; 3 4). x = (1, 1): z = (0, 7), s = -logsumexp(0, 7) = -(7 + log(1 + e^-7)).
tally.hand_case("dice", (("p", 50.0),), train=[[0, 0], [2, 2]], test=[[1, 1]],
                expected=[-(7 + np.log1p(np.exp(-7)))], head=([[1, 2], [3, 4]], [0, 0]))
# p = 0: the 0th percentile is the smallest contribution, which is dropped too (strictly above): W' = (0 2; 3 4),
# z = (2, 7) at x = (1, 1).
tally.hand_case("dice", (("p", 0.0),), train=[[0, 0], [2, 2]], test=[[1, 1]],
                expected=[-logsumexp([2.0, 7.0])], head=([[1, 2], [3, 4]], [0, 0]))
tally.finish()
