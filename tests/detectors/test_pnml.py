#!/usr/bin/env python3
"""pnml against a float64 NumPy reference written from docs/methods.md (numpy.linalg.pinv's SVD, independently of
the eigendecomposition oodbench uses): the regret at the default cut and at the float32 cut, on the bundled data,
with a 10-class head, with fewer train rows than dimensions (a rank-deficient Gram matrix), and by hand."""
import numpy as np
from scipy.special import softmax

from reference_common import RCOND, W_head, X, Tally, b_head, refused, run_case, ten_class_case, tests

RCOND32 = X.shape[1] * np.finfo(np.float32).eps  # the cut that keeps only what float32 resolves


def unit(a):
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


def pnml_reference(train, W, b, rcond=RCOND):
    gram_pinv = np.linalg.pinv(unit(train).T @ unit(train), rcond=rcond)

    def score(x):
        xn = unit(x)
        p = softmax(xn @ W.T + b, axis=1)
        q = ((xn @ gram_pinv) * xn).sum(1)
        g = (q / (1 + q))[:, None]
        return np.log((p / (p + (1 - p) * p**g)).sum(1)) / np.log(W.shape[0])
    return score


tally = Tally()
tally.compare("pnml", (), pnml_reference(X, W_head, b_head))
tally.compare("pnml", (("rcond", RCOND32),), pnml_reference(X, W_head, b_head, RCOND32))
# Able to fail: the cut matters on these embeddings (the float32 cut keeps 34 of 1280 directions).
x = tests["chestxray_test"]
narrow = pnml_reference(X, W_head, b_head, RCOND32)(x)
wide = pnml_reference(X, W_head, b_head)(x)
tally.record(np.linalg.norm(wide - narrow) / np.linalg.norm(wide) > 0.5, "the two cuts give different regrets")
run, _ = run_case("pnml_warn", "pnml", (), train=X, test=x, head=(W_head, b_head))
tally.record(run.returncode == 0 and "pnml: the pseudo-inverse keeps" in run.stderr and "pnml: pnml:" not in run.stderr,
             f"poorly resolved directions are announced, the detector named once: {run.stderr.strip()}")

# Ten classes (nearest class mean of 600 labelled fashion rows): the regret is normalised by log 10.
fashion, _, W10, b10, test10 = ten_class_case()
tally.hand_case("pnml", (), train=fashion, test=test10, head=(W10, b10),
                expected=pnml_reference(fashion, W10, b10)(test10), tol=1e-5)
# 40 train rows in 1280 dimensions: the Gram matrix has rank 40, and its null space is cut.
tally.hand_case("pnml", (), train=X[:40], test=x, head=(W_head, b_head),
                expected=pnml_reference(X[:40], W_head, b_head)(x), tol=1e-5)

# By hand: train (1, 0), (0, 2) normalise to e_1, e_2, so G = I and q = 1 for any unit x: g = 1/2. Head z = (x_1, 0)
# on x̂: x = (3, 0) -> x̂ = (1, 0), p = (e/(e+1), 1/(e+1)); x = (0, 0) -> x̂ = 0, q = 0, g = 0, every term p_c, s = 0.
p = np.array([np.e, 1]) / (np.e + 1)
expected = np.log((p / (p + (1 - p) * np.sqrt(p))).sum()) / np.log(2)
tally.hand_case("pnml", (), train=[[1, 0], [0, 2]], test=[[3, 0], [0, 0]], head=([[1, 0], [0, 0]], [0, 0]),
                expected=[expected, 0])
message = refused("pnml", (), train=[[1, 0], [0, 2]], test=[[3, 0]], head=([[1, 0]], [0]))
tally.record(message is not None and "at least 2 classes" in message, f"a one-class head: {message}")
tally.finish()
