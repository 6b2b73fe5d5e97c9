#!/usr/bin/env python3
"""vra (as OpenOOD implements it) against a float64 NumPy reference written from docs/methods.md: clipping
thresholds from all ID val feature values, else all ID train values; on the bundled data and by hand."""
import numpy as np
from scipy.special import logsumexp

from reference_common import Tally, X, X_val, logits


def vra_reference(fit_rows, low, high):
    lo, hi = np.percentile(fit_rows, low), np.percentile(fit_rows, high)  # over all values, flattened
    return lambda x: -logsumexp(logits(np.clip(x, lo, hi)), axis=1)


tally = Tally()
tally.compare("vra", (), vra_reference(X_val, 10, 90), val=True)
tally.compare("vra", (), vra_reference(X, 10, 90))  # no val: thresholds from ID train
tally.compare("vra", (("percentile_low", 1.0), ("percentile_high", 99.0)), vra_reference(X_val, 1, 99), val=True)
# By hand: ID val values 0..5; the 20th percentile sits at position 0.2 · 5 = 1: value 1; the 80th at 4: value 4.
# x = (-1, 10) clips to (1, 4); head W = (1 1; 0 0): z = (5, 0), s = -logsumexp(5, 0). The train rows (values
# 100, 200) are not used when val is given.
params = (("percentile_low", 20.0), ("percentile_high", 80.0))
tally.hand_case("vra", params, train=[[100, 200], [200, 100]], val=[[0, 1], [2, 3], [4, 5]], test=[[-1, 10]],
                expected=[-logsumexp([5.0, 0.0])], head=([[1, 1], [0, 0]], [0, 0]))
tally.finish()
