#!/usr/bin/env python3
"""fdbd against a float64 NumPy reference written from docs/methods.md, on the bundled data and by hand."""
import numpy as np
from reference_common import W_head, X, Tally, logits


def fdbd_reference(x, W=W_head):
    z = logits(x)
    top = z.argmax(1)
    gaps = np.abs(z[np.arange(len(x)), top][:, None] - z) / np.maximum(
        np.linalg.norm(W[top][:, None, :] - W[None, :, :], axis=2), 1e-300)
    gaps[np.arange(len(x)), top] = 0  # the sum runs over c != yhat
    return -(gaps.sum(1) / (W.shape[0] - 1)) / np.linalg.norm(x - X.mean(0), axis=1)


tally = Tally()
tally.compare("fdbd", (), fdbd_reference)
# By hand: W = (1, 0; -1, 0), b = 0, train mean (0, 0). x = (3, 4): z = (3, -3), ‖w0 - w1‖ = 2, so the boundary
# distance is 6 / 2 = 3, divided by ‖x‖ = 5: s = -0.6.
tally.hand_case("fdbd", (), train=[[1, 1], [-1, -1]], test=[[3, 4]], expected=[-0.6],
                head=([[1, 0], [-1, 0]], [0, 0]))
tally.finish()
