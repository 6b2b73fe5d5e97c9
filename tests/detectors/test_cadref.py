#!/usr/bin/env python3
"""cadref (CADRef, CVPR 2025) against a float64 NumPy reference written from docs/methods.md: the relative l1 error to
the predicted class's centroid split by the signs of that class's weights, s = E+ / S(x) + E- / mean_train S, for each
logit confidence S; on the bundled data, with a 10-class head (where GEN's M = 10 matters), and by hand."""
import numpy as np
from scipy.special import logsumexp, softmax

from reference_common import X, Tally, W_head, b_head, run_score, ten_class_case, tests


def confidence(z, kind):
    if kind == "energy":
        return logsumexp(z, axis=1)
    if kind == "maxlogit":
        return z.max(1)
    if kind == "msp":
        return softmax(z, axis=1).max(1)
    m = max(10, z.shape[1] // 10)  # gen: the M largest probabilities (all of them when C < M)
    p = np.sort(softmax(z, axis=1), axis=1)[:, ::-1][:, :m]
    return 1 / (p**0.1 * (1 - p) ** 0.1).sum(1)


def centroids(train, W, b):
    """Mean train row per predicted class; a class never predicted takes the mean of all rows."""
    yhat = (train @ W.T + b).argmax(1)
    return np.stack([train[yhat == k].mean(0) if (yhat == k).any() else train.mean(0) for k in range(W.shape[0])])


def cadref_reference(train, W, b, kind):
    mu = centroids(train, W, b)
    mean_s = confidence(train @ W.T + b, kind).mean()

    def score(x):
        z = x @ W.T + b
        k = z.argmax(1)
        a = (x - mu[k]) * np.sign(W[k])
        norm = np.maximum(np.abs(x).sum(1), 1e-12)
        return np.maximum(a, 0).sum(1) / norm / confidence(z, kind) + np.maximum(-a, 0).sum(1) / norm / mean_s
    return score


tally = Tally()
for kind in ("energy", "maxlogit", "msp", "gen"):
    tally.compare("cadref", (("confidence", kind),), cadref_reference(X, W_head, b_head, kind))
# Able to fail: without the sign split (the whole relative error over S(x)) the scores differ.
x = tests["chestxray_test"]
got = run_score("cadref")["chestxray_test"]
z = x @ W_head.T + b_head
unsplit = np.abs(x - centroids(X, W_head, b_head)[z.argmax(1)]).sum(1) / np.abs(x).sum(1) / logsumexp(z, axis=1)
diff = np.linalg.norm(got - unsplit) / np.linalg.norm(got)
tally.record(diff > 1e-2, f"scaling the whole error by S(x) would differ: rel diff {diff:.2e}")

# Ten classes (nearest class mean of 600 labelled fashion rows), and a random 30-class head, where GEN sums the
# M = max(10, C // 10) = 10 largest of 30 probabilities.
fashion, _, W10, b10, test10 = ten_class_case()
rng = np.random.default_rng(0)
W30 = (rng.normal(size=(30, X.shape[1])) * 0.05).astype(np.float32).astype(np.float64)
b30 = rng.normal(size=30).astype(np.float32).astype(np.float64)
for kind, (W, b) in (("energy", (W10, b10)), ("gen", (W10, b10)), ("gen", (W30, b30))):
    tally.hand_case("cadref", (("confidence", kind),), train=fashion, test=test10, head=(W, b),
                    expected=cadref_reference(fashion, W, b, kind)(test10), tol=1e-5)
p30 = np.sort(softmax(test10 @ W30.T + b30, axis=1), axis=1)
all30 = 1 / (p30**0.1 * (1 - p30) ** 0.1).sum(1)
diff = np.abs(confidence(test10 @ W30.T + b30, "gen") - all30).max()
tally.record(diff > 1e-3, f"with 30 classes, GEN over the 10 largest differs from GEN over all 30 by {diff:.2e}")

# By hand, maxlogit: head W = (1, 0; -1, 0), b = 0. Train (2, 1), (4, 3) are predicted 0, (-2, 2), (-1, 5)
# predicted 1: mu_0 = (3, 2), mu_1 = (-1.5, 3.5); their max logits 2, 4, 2, 1 average to 9/4.
# x = (1, 1): yhat 0, signs (1, 0), a = (-2, 0): E+ = 0, E- = 2/2; s = 1 / (9/4) = 4/9.
# x = (-1, 3): yhat 1, signs (-1, 0), a = (-0.5, 0): E- = 0.5/4; s = 0.125 * 4/9 = 1/18.
# x = (5, 1): yhat 0, S = 5, a = (2, 0): E+ = 2/6; s = (1/3) / 5 = 1/15.
tally.hand_case("cadref", (("confidence", "maxlogit"),), train=[[2, 1], [4, 3], [-2, 2], [-1, 5]],
                test=[[1, 1], [-1, 3], [5, 1]], expected=[4 / 9, 1 / 18, 1 / 15], head=([[1, 0], [-1, 0]], [0, 0]))
tally.finish()
