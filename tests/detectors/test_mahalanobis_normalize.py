#!/usr/bin/env python3
"""mahalanobis with normalize = true (Mahalanobis++, Müller & Hein 2025) against a float64 reference on the bundled
data: the features are l2-normalised, x / max(‖x‖, 1e-12), and then scored as OpenOOD's mds_postprocessor.py scores
raw ones (class means, scikit-learn's EmpiricalCovariance().precision_ of the class-centred rows, min over classes)."""
import numpy as np
from reference_common import D, X, Tally, run_score, y
from sklearn.covariance import EmpiricalCovariance


def normalise(v):
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


Xn = normalise(X)
means_n = np.stack([Xn[y == c].mean(0) for c in range(y.max() + 1)])


def pinv_cut(S, rcond):
    lam, U = np.linalg.eigh(S)
    keep = lam > rcond * lam.max()
    return (U[:, keep] / lam[keep]) @ U[:, keep].T


def maha_pp(x, P):
    xn = normalise(x)
    return np.min([((xn - m) @ P * (xn - m)).sum(1) for m in means_n], axis=0)


P_default = EmpiricalCovariance().fit(Xn - means_n[y]).precision_
S_n = (Xn - means_n[y]).T @ (Xn - means_n[y]) / len(Xn)
P_float32 = pinv_cut(S_n, D * 1.1920929e-7)

tally = Tally()
got = tally.compare("mahalanobis", (("normalize", True),), lambda x: maha_pp(x, P_default))
tally.compare("mahalanobis", (("normalize", True), ("rcond", D * 1.1920929e-7)), lambda x: maha_pp(x, P_float32))
tally.compare("mahalanobis", (("normalize", True), ("shrinkage", "ridge")),
              lambda x: maha_pp(x, np.linalg.inv(S_n + 1e-6 * np.eye(D))))
# Able to fail: normalising changes the scores on the real data.
raw = run_score("mahalanobis")
diff = np.linalg.norm(raw["chestxray_test"] - got["chestxray_test"]) / np.linalg.norm(raw["chestxray_test"])
tally.record(diff > 0.5, f"normalize = true differs from the raw Mahalanobis: rel diff {diff:.2f}")

# By hand: train (2, 0), (0, 2) in class 0 and (-3, 0), (0, -3) in class 1 normalise to (1, 0), (0, 1) and
# (-1, 0), (0, -1): means (.5, .5) and (-.5, -.5), every centred row ±(.5, -.5), so Σ = [[.25, -.25], [-.25, .25]],
# one eigenvalue .5 along v = (1, -1)/√2 (the other 0, cut by rcond), P = 2 v vᵀ and (x̂ - μ)ᵀ P (x̂ - μ) =
# ((x̂1 - x̂2) - (μ1 - μ2))² = (x̂1 - x̂2)² for both classes. x = (3, 4): x̂ = (.6, .8), s = .04; x = (10, 0): s = 1.
tally.hand_case("mahalanobis", (("normalize", True), ("rcond", 1e-6)), train=[[2, 0], [0, 2], [-3, 0], [0, -3]],
                labels=[0, 0, 1, 1], test=[[3, 4], [10, 0]], expected=[0.04, 1.0])
tally.finish()
