#!/usr/bin/env python3
"""gmm against a float64 NumPy reference written from docs/methods.md (class covariances through Cholesky factors,
independently of the eigendecompositions oodbench uses): the mixture's negative log-likelihood and pytorch-ood's
min-Mahalanobis variant, on the bundled data (1280 dimensions: both class covariances singular, reg decides),
on the 16 most variable features (full-rank covariances, where the two variants rank differently), and by hand."""
import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import logsumexp
from scipy.stats import kendalltau

from reference_common import X, Tally, refused, run_case, tests, y


def gmm_reference(train, labels, reg=1e-6, variant="nll"):
    d = train.shape[1]
    fits = []
    for c in range(labels.max() + 1):
        rows = train[labels == c]
        mu = rows.mean(0)
        cov = (rows - mu).T @ (rows - mu) / len(rows) + reg * np.eye(d)
        chol = np.linalg.cholesky(cov)
        fits.append((mu, chol, 2 * np.log(np.diag(chol)).sum(), len(rows) / len(train)))

    def score(x):
        quad = np.stack([(solve_triangular(chol, (x - mu).T, lower=True) ** 2).sum(0) for mu, chol, _, _ in fits], 1)
        if variant == "pytorch-ood":
            return quad.min(1) / d
        log_norm = np.array([np.log(w) - 0.5 * (d * np.log(2 * np.pi) + log_det) for _, _, log_det, w in fits])
        return -logsumexp(log_norm - 0.5 * quad, axis=1)
    return score


tally = Tally()
tally.compare("gmm", (), gmm_reference(X, y), head=False)
tally.compare("gmm", (("variant", "pytorch-ood"),), gmm_reference(X, y, variant="pytorch-ood"), head=False)
tally.compare("gmm", (("reg", 1e-3),), gmm_reference(X, y, reg=1e-3), head=False)
run, _ = run_case("gmm_warn", "gmm", (), train=X, test=tests["mnist_far"], labels=y)
tally.record(run.returncode == 0 and "class 0 (rank" in run.stderr and "class 1 (rank" in run.stderr,
             f"singular class covariances are announced: {run.stderr.strip()}")
tally.record("gmm: gmm:" not in run.stderr, f"the warning names the detector once: {run.stderr.strip()}")

# The 16 most variable features: every class covariance has full rank, reg hardly matters, and the log-determinants
# and weights that pytorch-ood's variant drops reorder the scores.
keep = np.argsort(X.var(0))[-16:]
test16 = np.r_[tests["chestxray_test"], tests["breastus_test"], tests["mnist_far"]][:, keep]
nll, mahalanobis = gmm_reference(X[:, keep], y)(test16), gmm_reference(X[:, keep], y, variant="pytorch-ood")(test16)
tau = kendalltau(nll, mahalanobis)[0]
tally.record(tau < 0.99, f"in 16 dimensions the variants rank differently: Kendall tau {tau:.4f}")
tally.hand_case("gmm", (), train=X[:, keep], labels=y, test=test16, expected=nll, tol=1e-5)
tally.hand_case("gmm", (("variant", "pytorch-ood"),), train=X[:, keep], labels=y, test=test16, expected=mahalanobis,
                tol=1e-5)

# By hand, reg = 0: class 0 = the corners of [-1, 1]^2 (mean 0, covariance I), class 1 = the corners of
# [8, 12] x [-2, 2] twice (mean (10, 0), covariance 4 I): weights 1/3 and 2/3. x = (3, 4): q_0 = 25,
# q_1 = (49 + 16) / 4 = 16.25; log N_0 = -log 2 pi - 12.5, log N_1 = -log 2 pi - log 4 - 8.125.
corners = np.array([[-1, -1], [1, 1], [-1, 1], [1, -1]])
train = np.r_[corners, corners * 2 + [10, 0], corners * 2 + [10, 0]]
labels = [0] * 4 + [1] * 8
expected = -np.log(np.exp(-12.5) / 3 + 2 / 3 * np.exp(-8.125) / 4) + np.log(2 * np.pi)
tally.hand_case("gmm", (("reg", 0.0),), train=train, labels=labels, test=[[3, 4]], expected=[expected])
tally.hand_case("gmm", (("reg", 0.0), ("variant", "pytorch-ood")), train=train, labels=labels, test=[[3, 4]],
                expected=[16.25 / 2])
# reg = 0 with a singular class covariance (two rows of class 0 on a line) is refused, naming the class.
message = refused("gmm", (("reg", 0.0),), train=[[0, 0], [1, 1], *train[4:]], labels=[0, 0] + labels[4:],
                  test=[[3, 4]])
tally.record(message is not None and "class 0" in message and "reg" in message, f"singular, reg = 0: {message}")
tally.finish()
