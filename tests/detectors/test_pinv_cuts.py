#!/usr/bin/env python3
"""The pseudo-inverse cuts and shrinkages of mahalanobis and rmds on a constructed case where they matter: dead units
(all-zero columns), a rank-deficient class (fewer rows than dimensions) and low-variance directions whose eigenvalues
lie between the default cut (D · float64 eps, scikit-learn's precision_) and the float32 cut (D · float32 eps).
Oracles are the reference code's own path: scikit-learn's EmpiricalCovariance / LedoitWolf precision_ and
np.linalg.inv(Σ + εI); a check that the cuts differ here keeps the test able to fail."""
import json
import subprocess

import numpy as np
from reference_common import Tally, binary, tmp
from sklearn.covariance import EmpiricalCovariance, LedoitWolf

rng = np.random.default_rng(7)
N, D = 400, 40
scales = np.ones(D)
scales[:4] = 0.0                 # dead units
scales[4:10] = 3e-4              # variance ~1e-7 of the largest: kept by the default cut, dropped by the float32 one
scales[10:] = rng.uniform(0.5, 3.0, D - 10)
y = np.r_[np.zeros(380, int), np.ones(12, int), np.full(8, 2)]  # classes 1 and 2 have far fewer rows than D
shift = np.zeros((3, D))
shift[1, 10:20], shift[2, 20:30] = 2.0, -2.0
X = (rng.standard_normal((N, D)) * scales + shift[y]).astype(np.float32)
T = (rng.standard_normal((300, D)) * np.where(scales > 0, np.maximum(scales, 1e-3), 0.3)).astype(np.float32)
X64, T64 = X.astype(np.float64), T.astype(np.float64)
means = np.stack([X64[y == c].mean(0) for c in range(3)])
S = (X64 - means[y]).T @ (X64 - means[y]) / N


def pinv_cut(M, rcond):
    lam, U = np.linalg.eigh(M)
    keep = lam > rcond * lam.max()
    return (U[:, keep] / lam[keep]) @ U[:, keep].T, int(keep.sum())


def maha_min(P):
    return np.min([(((T64 - m) @ P) * (T64 - m)).sum(1) for m in means], axis=0)


np.save(tmp / "cx.npy", X)
np.save(tmp / "cy.npy", y.astype(np.int32))
np.save(tmp / "ct.npy", T)


def score(detector, **params):
    args = [binary, "--device", "cpu", "score", "--detector", detector, "--train", str(tmp / "cx.npy"),
            "--train-labels", str(tmp / "cy.npy"), "--test", str(tmp / "ct.npy"), "--out", str(tmp / "cs.npy")]
    for k, v in params.items():
        args += ["--param", f"{k}={json.dumps(v)}"]
    run = subprocess.run(args, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return np.load(tmp / "cs.npy").astype(np.float64)


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


tally = Tally()
P_default = EmpiricalCovariance().fit(X64 - means[y]).precision_
P_float32, kept32 = pinv_cut(S, D * 1.1920929e-7)
_, kept64 = pinv_cut(S, D * np.finfo(np.float64).eps)
tally.record(kept64 == D - 4 and kept32 < kept64,
             f"the case separates the cuts: default keeps {kept64}, float32 cut {kept32} of {D} directions")
ref_default, ref_float32 = maha_min(P_default), maha_min(P_float32)
tally.record(rel(ref_float32, ref_default) > 1e-2, f"the two cuts' scores differ by {rel(ref_float32, ref_default):.2e}")

checks = [
    ("mahalanobis default = EmpiricalCovariance().precision_", score("mahalanobis"), ref_default),
    ("mahalanobis rcond = D·1.19e-7", score("mahalanobis", rcond=D * 1.1920929e-7), ref_float32),
    ("mahalanobis ridge (default ε) = inv(Σ + 1e-6 I)", score("mahalanobis", shrinkage="ridge"),
     maha_min(np.linalg.inv(S + 1e-6 * np.eye(D)))),
    ("mahalanobis ridge ε = 1e-2 = inv(Σ + 1e-2 I)", score("mahalanobis", shrinkage="ridge", ridge=1e-2),
     maha_min(np.linalg.inv(S + 1e-2 * np.eye(D)))),
    ("mahalanobis ledoit_wolf = LedoitWolf().precision_", score("mahalanobis", shrinkage="ledoit_wolf"),
     maha_min(LedoitWolf(assume_centered=True).fit(X64 - means[y]).precision_)),
    ("rmds default", score("rmds"),
     ref_default - (((T64 - X64.mean(0)) @ EmpiricalCovariance().fit(X64 - X64.mean(0)).precision_)
                    * (T64 - X64.mean(0))).sum(1)),
]
for label, got, ref in checks:
    tally.record(rel(got, ref) <= 1e-4, f"{label}: rel err {rel(got, ref):.2e}")
# Ridge must be a real ridge: with ε far below the dead units' zero eigenvalues' noise it still differs from no ridge.
ridge_vs_none = rel(score("mahalanobis", shrinkage="ridge"), ref_default)
tally.record(ridge_vs_none > 1e-2, f"ridge differs from the pseudo-inverse here: {ridge_vs_none:.2e}")
tally.finish()
