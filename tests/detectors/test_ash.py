#!/usr/bin/env python3
"""ash (ASH-S + energy) against a float64 NumPy reference written from the authors' description (keep the top
k = D - round(D p / 100) values of each sample, ties to the lower index), on the bundled data and by hand."""
import numpy as np
from reference_common import Tally, logits, tests
from scipy.special import logsumexp


def ash_reference(x, p=90.0):
    d = x.shape[1]
    k = d - int(np.round(d * p / 100.0))
    top = np.argsort(-x, axis=1, kind="stable")[:, :k]  # stable: among equal values the lower index comes first
    pruned = np.zeros_like(x)
    np.put_along_axis(pruned, top, np.take_along_axis(x, top, axis=1), axis=1)
    kept = pruned.sum(1, keepdims=True)
    shaped = pruned * np.exp(x.sum(1, keepdims=True) / np.where(kept == 0, 1, kept))
    return -logsumexp(logits(shaped), axis=1)


def threshold_rule_differs(x, p):
    """Rows where keeping x >= the p-th percentile keeps more than the top k: where the two rules differ."""
    d = x.shape[1]
    k = d - int(np.round(d * p / 100.0))
    return int(((x >= np.percentile(x, p, axis=1, keepdims=True)).sum(1) > k).sum())


tally = Tally()
tally.compare("ash", (), ash_reference)
tally.compare("ash", (("percentile", 65.0),), lambda x: ash_reference(x, 65.0))
# The bundled embeddings are float16: some rows tie at the cut, so the comparison above tells the rules apart.
ties = sum(threshold_rule_differs(x, 65.0) + threshold_rule_differs(x, 90.0) for x in tests.values())
tally.record(ties > 0, f"rows of the bundled test sets where a percentile threshold would keep more than k: {ties}")

# By hand, x = (1, 2, 3, 4), p = 50: k = 2, x' = (0, 0, 3, 4), scale exp(10 / 7); with W = (1 1 1 1; 0 0 0 0),
# b = 0: z = (7 e^(10/7), 0), s = -log(exp(7 e^(10/7)) + 1).
z0 = 7 * np.exp(10 / 7)
tally.hand_case("ash", (("percentile", 50.0),), train=[[1, 1, 1, 1]], test=[[1, 2, 3, 4]],
                expected=[-np.logaddexp(z0, 0)], head=([[1, 1, 1, 1], [0, 0, 0, 0]], [0, 0]))
# Ties at the cut: x = (1, 2, 2, 2, 3), p = 60: k = 5 - round(3) = 2 keeps the 3 and the 2 at index 1 (the lower
# index among the tied 2s); a threshold x >= 2 would keep four. Σx = 10, Σx' = 5, x'' = (0, 2, 0, 0, 3) e^2; with
# W row 0 = (1, 10, 100, 1000, 1): z0 = (20 + 3) e^2.
z0 = 23 * np.exp(2)
tally.hand_case("ash", (("percentile", 60.0),), train=[[1, 1, 1, 1, 1]], test=[[1, 2, 2, 2, 3]],
                expected=[-np.logaddexp(z0, 0)], head=([[1, 10, 100, 1000, 1], [0, 0, 0, 0, 0]], [0, 0]))
# Half-way: D = 5, p = 50: D p / 100 = 2.5 rounds to 2 (half to even, NumPy's round), so k = 3 keeps (2, 3, 4);
# Σx = 10, Σx' = 9, x'' = (0, 0, 2, 3, 4) e^(10/9), z0 = 9 e^(10/9).
z0 = 9 * np.exp(10 / 9)
tally.hand_case("ash", (("percentile", 50.0),), train=[[1, 1, 1, 1, 1]], test=[[0, 1, 2, 3, 4]],
                expected=[-np.logaddexp(z0, 0)], head=([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], [0, 0]))
tally.finish()
