#!/usr/bin/env python3
"""pca_nre (PCA with norm-relative reconstruction error) against a float64 NumPy reference written from
docs/methods.md, on the bundled data, a 10-class case and by hand."""
import numpy as np
from reference_common import Tally, W_head, X, b_head, multiclass_case, refused, tests


def pca_nre_reference(train, W, b, k=256, percentile=92.0):
    threshold = np.percentile(train, percentile)
    mu = train.mean(0)
    values, vectors = np.linalg.eigh(np.cov(train.T))
    axes = vectors[:, ::-1][:, :k]

    def score(x):
        clipped = np.minimum(x, threshold)
        c = clipped - mu
        r = np.linalg.norm(c - (c @ axes) @ axes.T, axis=1) / np.linalg.norm(clipped, axis=1)
        z = clipped @ W.T + b
        top = z.max(1)
        return -(top + np.log(np.exp(z - top[:, None]).sum(1))) * (1 - r)
    return score


tally = Tally()
tally.compare("pca_nre", (), pca_nre_reference(X, W_head, b_head))
tally.compare("pca_nre", (("k", 64), ("percentile", 99.0)), pca_nre_reference(X, W_head, b_head, 64, 99.0))
# Able to fail: clipping matters on the bundled data, and so does the residual term.
x = tests["chestxray_test"]
ref = pca_nre_reference(X, W_head, b_head)(x)
unclipped = pca_nre_reference(X, W_head, b_head, percentile=100)(x)
everything = pca_nre_reference(X, W_head, b_head, k=X.shape[1])(x)  # r = 0: energy of the clipped rows
tally.record(np.linalg.norm(ref - unclipped) > 1e-3 * np.linalg.norm(ref) and
             np.linalg.norm(ref - everything) > 1e-3 * np.linalg.norm(ref),
             "the clipping and the residual each move the bundled scores")

W, b, train, train_y, sets = multiclass_case()
tally.compare_case("pca_nre", (), pca_nre_reference(train, W, b), train, sets, head=(W, b))

# By hand: train (2, 1), (4, 1), (0, 1): μ = (2, 1), all variance along x, so U_1 = e_x; percentile 100 clips at 4.
# W = I, b = 0. x = (3, 3): c = (1, 2), residual 2, r = 2 / √18, s = -(3 + ln 2)(1 - 2/√18).
# x = (5, 1) -> (4, 1): c = (2, 0), r = 0, s = -logsumexp(4, 1).
tally.hand_case("pca_nre", (("k", 1), ("percentile", 100.0)), train=[[2, 1], [4, 1], [0, 1]], test=[[3, 3], [5, 1]],
                head=([[1, 0], [0, 1]], [0, 0]),
                expected=[-(3 + np.log(2)) * (1 - 2 / np.sqrt(18)), -(4 + np.log(1 + np.exp(-3)))])
message = refused("pca_nre", (("k", 3),), train=[[2, 1], [4, 1], [0, 1]], test=[[3, 3]], head=([[1, 0], [0, 1]], [0, 0]))
tally.record(message is not None and "k = 3 exceeds the 2 feature dimensions" in message, f"k > D: {message}")
tally.finish()
