#!/usr/bin/env python3
"""nci against a float64 NumPy reference written from docs/methods.md, on the bundled data and by hand."""
import numpy as np

from reference_common import Tally, W_head, X, logits


def nci_reference(alpha):
    mu = X.mean(0)

    def score(x):
        w = W_head[logits(x).argmax(1)]
        c = x - mu
        return -((w * c).sum(1) / np.linalg.norm(c, axis=1) + alpha * np.abs(x).sum(1))
    return score


tally = Tally()
tally.compare("nci", (), nci_reference(1e-4))
tally.compare("nci", (("alpha", 0.01),), nci_reference(0.01))
# By hand: identity head, train mean μ = (0, 0). x = (4, 3): ŷ = 0, w_ŷ = (1, 0), w·(x - μ) / ‖x - μ‖ = 4 / 5 = 0.8;
# ‖x‖₁ = 7, α = 0.1: s = -(0.8 + 0.7) = -1.5. x = (0, -2): ŷ = 0 (z = (0, -2)), projection 0, ‖x‖₁ = 2: s = -0.2.
tally.hand_case("nci", (("alpha", 0.1),), train=[[1, -1], [-1, 1]], test=[[4, 3], [0, -2]], expected=[-1.5, -0.2],
                head=([[1, 0], [0, 1]], [0, 0]))
tally.finish()
