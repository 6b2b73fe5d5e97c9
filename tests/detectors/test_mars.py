#!/usr/bin/env python3
"""mars and ae_l2 against a float64 NumPy reference computed from the very autoencoder weights oodbench trained
(written with the weights_out parameter), on the bundled data: every mode of MaRS and its options, and the covariance
conventions applied to the residual covariance."""
import json
import subprocess

import numpy as np
from reference_common import ID, RCOND, X, Tally, binary, data_dir, tests, tmp

WEIGHTS = tmp / "ae.npz"
AE = (("epochs", 3), ("seed", 5), ("weights_out", str(WEIGHTS)))


def residual(x):
    """The autoencoder's residual evaluated in float32, as the network runs (oodbench's and PyTorch's forward alike),
    then widened: with the default pseudo-inverse cut MaRS keeps directions of eigenvalue ~1e-12 λ_max, where the
    1e-7 gap between a float32 and a float64 forward pass moves scores by ~2e-4. The scoring itself is float64."""
    w = np.load(WEIGHTS)
    x32 = x.astype(np.float32)
    h = x32
    for k in range(4):
        h = h @ w[f"w{k}"].T + w[f"b{k}"]
        if k in (0, 2):
            h = np.maximum(h, 0)
    return (x32 - h).astype(np.float64)


def covariance_eigen():
    r = residual(X)
    mean = r.mean(0)
    lam, U = np.linalg.eigh((r - mean).T @ (r - mean) / len(r))
    return mean, lam, U


def mars_reference(x, centering=False, mode="full", low_dims=None, ridge=0.0, rcond=RCOND):
    """`ridge` is added to Σ's eigenvalues (or variances), then those at or below rcond times the largest are dropped
    (rcond 0: none): docs/methods.md#conventions."""
    mean, lam, U = covariance_eigen()
    r = residual(x) - (mean if centering else 0)
    if mode == "diagonal":
        var = np.diag(U @ np.diag(lam) @ U.T) + ridge
        keep = var > rcond * var.max()
        return (r[:, keep] ** 2 / var[keep]).sum(1)
    if mode == "low_pca":
        return ((r @ U[:, :low_dims]) ** 2).sum(1)
    lam = lam + ridge
    keep = lam > rcond * lam.max()
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
# The conventions on the residual covariance: pytorch-ood's pinv(M Σ_r + 1e-6 I) with the float32 cut (full and
# diagonal) and its legacy exact inverse, i.e. 1e-6 / M on Σ_r.
RIDGE, CUT32 = 1e-6 / len(X), X.shape[1] * float(np.finfo(np.float32).eps)
tally.compare("mars", AE + (("convention", "pytorch-ood"),), lambda x: mars_reference(x, ridge=RIDGE, rcond=CUT32),
              head=False, train_labels=False)
tally.compare("mars", AE + (("convention", "pytorch-ood"), ("mode", "diagonal")),
              lambda x: mars_reference(x, mode="diagonal", ridge=RIDGE, rcond=CUT32), head=False, train_labels=False)
tally.compare("mars", AE + (("convention", "pytorch-ood-legacy"),), lambda x: mars_reference(x, ridge=RIDGE, rcond=0),
              head=False, train_labels=False)

# diagnose: the spectrum of Σ and where OOD residual energy lands, per eigenvector.
run = subprocess.run([binary, "--device", "cpu", "diagnose", "--detector", "mars", "--train",
                      f"{data_dir}/mobilenet_v2.npz:{ID}_train", "--ood", f"{data_dir}/mobilenet_v2.npz:mnist_far",
                      *[a for k, v in AE for a in ("--param", f"{k}={v}")]], capture_output=True, text=True)
tally.record(run.returncode == 0, f"diagnose runs {run.stderr}")
if run.returncode == 0:
    diag = json.loads(run.stdout)
    mean, lam, U = covariance_eigen()
    r_id, r_ood = residual(X), residual(tests["mnist_far"])
    eig = np.array(diag["eigenvalues"])
    tally.record(np.abs(eig - lam[::-1]).max() <= 1e-4 * lam.max(), "diagnose eigenvalues match NumPy's, descending")
    # Energy sums are basis-free: mean squared residual norms.
    for name, key, r in (("ID", "id_energy", r_id), ("OOD", "ood_energy", r_ood)):
        got, want = sum(diag[key]), (r ** 2).sum(1).mean()
        tally.record(abs(got - want) <= 1e-4 * want, f"diagnose {name} energy sums to mean ||r||^2: {got:.6g} vs {want:.6g}")
    top = U[:, ::-1][:, :5]  # the leading eigenvectors are well separated, so comparable one by one
    want_ratio = ((r_ood @ top) ** 2).mean(0) / ((r_id @ top) ** 2).mean(0)
    got_ratio = np.array(diag["energy_ratio"][:5], dtype=float)
    tally.record(np.allclose(got_ratio, want_ratio, rtol=1e-3), f"diagnose leading energy ratios {got_ratio} vs {want_ratio}")
tally.finish()
