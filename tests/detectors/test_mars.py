#!/usr/bin/env python3
"""mars and ae_l2 against a float64 NumPy reference computed from the very autoencoder weights oodbench trained
(written with the weights_out parameter), on the bundled data: every mode of MaRS and its options."""
import numpy as np
from reference_common import D, RCOND, X, Tally, tmp

WEIGHTS = tmp / "ae.npz"
AE = (("epochs", 3), ("seed", 5), ("weights_out", str(WEIGHTS)))


def residual(x):
    w = np.load(WEIGHTS)
    h = x
    for k in range(4):
        h = h @ w[f"w{k}"].astype(np.float64).T + w[f"b{k}"]
        if k in (0, 2):
            h = np.maximum(h, 0)
    return x - h


def covariance_eigen():
    r = residual(X)
    mean = r.mean(0)
    lam, U = np.linalg.eigh((r - mean).T @ (r - mean) / len(r))
    return mean, lam, U


def mars_reference(x, centering=False, mode="full", low_dims=None):
    mean, lam, U = covariance_eigen()
    r = residual(x) - (mean if centering else 0)
    if mode == "diagonal":
        var = np.diag(U @ np.diag(lam) @ U.T)
        keep = var > RCOND * var.max()
        return (r[:, keep] ** 2 / var[keep]).sum(1)
    if mode == "low_pca":
        return ((r @ U[:, :low_dims]) ** 2).sum(1)
    keep = lam > RCOND * lam.max()
    return ((r @ U[:, keep]) ** 2 / lam[keep]).sum(1)


tally = Tally()
# Each run retrains the same autoencoder (same seed), so the weights file always matches the scores beside it.
tally.compare("ae_l2", AE, lambda x: (residual(x) ** 2).sum(1), head=False, train_labels=False)
tally.compare("mars", AE, mars_reference, head=False, train_labels=False)
tally.compare("mars", AE + (("centering", True),), lambda x: mars_reference(x, centering=True), head=False,
              train_labels=False)
tally.compare("mars", AE + (("mode", "diagonal"),), lambda x: mars_reference(x, mode="diagonal"), head=False,
              train_labels=False)
tally.compare("mars", AE + (("mode", "low_pca"), ("low_dims", 200)),
              lambda x: mars_reference(x, mode="low_pca", low_dims=200), head=False, train_labels=False)
tally.finish()
