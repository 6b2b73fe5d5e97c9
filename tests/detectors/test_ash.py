#!/usr/bin/env python3
"""ash (ASH-S + energy) against a float64 NumPy reference written from METHODS.md, on the bundled data and by hand."""
import numpy as np
from reference_common import Tally, logits
from scipy.special import logsumexp


def ash_reference(x, p=90.0):
    t = np.percentile(x, p, axis=1, keepdims=True)
    pruned = x * (x >= t)
    kept = pruned.sum(1, keepdims=True)
    shaped = pruned * np.exp(x.sum(1, keepdims=True) / np.where(kept == 0, 1, kept))
    return -logsumexp(logits(shaped), axis=1)


tally = Tally()
tally.compare("ash", (), ash_reference)
tally.compare("ash", (("percentile", 65.0),), lambda x: ash_reference(x, 65.0))
# By hand, x = (1, 2, 3, 4), p = 50: t = 2.5, x' = (0, 0, 3, 4), scale exp(10 / 7); with W = (1 1 1 1; 0 0 0 0),
# b = 0: z = (7 e^(10/7), 0), s = -log(exp(7 e^(10/7)) + 1).
z0 = 7 * np.exp(10 / 7)
tally.hand_case("ash", (("percentile", 50.0),), train=[[1, 1, 1, 1]], test=[[1, 2, 3, 4]],
                expected=[-np.logaddexp(z0, 0)], head=([[1, 1, 1, 1], [0, 0, 0, 0]], [0, 0]))
tally.finish()
