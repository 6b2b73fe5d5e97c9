#!/usr/bin/env python3
"""caref (CARef, CVPR 2025) against a float64 NumPy reference written from docs/methods.md: centroids of the ID train
rows by *predicted* class, s = ||x - mu_yhat||_1 / ||x||_1; on the bundled data, a 10-class head with classes it
never predicts (the global-mean fallback), and by hand."""
import numpy as np
from reference_common import C, X, Tally, logits, means, run_case, run_score, ten_class_case, tests

predicted = logits(X).argmax(1)


def centroids(train, yhat, classes):
    """Mean train row per predicted class; a class never predicted takes the mean of all rows."""
    return np.stack([train[yhat == k].mean(0) if (yhat == k).any() else train.mean(0) for k in range(classes)])


def caref_reference(x, mu, z):
    return np.abs(x - mu[z.argmax(1)]).sum(1) / np.maximum(np.abs(x).sum(1), 1e-12)


mu = centroids(X, predicted, C)
tally = Tally()
tally.compare("caref", (), lambda x: caref_reference(x, mu, logits(x)))
# Able to fail: centroids of the true labels (what reference_common's `means` are) give other scores.
x = tests["chestxray_test"]
got = run_score("caref")["chestxray_test"]
wrong = caref_reference(x, means, logits(x))
diff = np.linalg.norm(got - wrong) / np.linalg.norm(wrong)
tally.record(diff > 1e-3, f"labelled-class centroids would differ: rel diff {diff:.2e}")

# A 10-class head (nearest class mean of 600 labelled fashion rows) fitted on only the rows it predicts as 0..6:
# classes 7, 8, 9 are never predicted on train, take the global mean, and are predicted for some test rows.
fashion, _, W10, b10, test10 = ten_class_case()
train10 = fashion[(fashion @ W10.T + b10).argmax(1) < 7]
never = sorted(set(range(10)) - set((train10 @ W10.T + b10).argmax(1)))
tested = np.isin((test10 @ W10.T + b10).argmax(1), never).sum()
tally.record(never == [7, 8, 9] and tested > 50, f"never predicted on train: {never}; {tested} test rows predicted so")
mu10 = centroids(train10, (train10 @ W10.T + b10).argmax(1), 10)
tally.hand_case("caref", (), train=train10, test=test10, head=(W10, b10),
                expected=caref_reference(test10, mu10, test10 @ W10.T + b10), tol=1e-5)
run, _ = run_case("caref_warn", "caref", (), train=train10, test=test10, head=(W10, b10))
tally.record(run.returncode == 0 and f"class {never[0]}" in run.stderr and "mean of all train rows" in run.stderr,
             f"the fallback is announced: {run.stderr.strip()}")

# By hand: head W = (1, 0; -1, 0), b = 0 predicts class 0 when x1 > 0. Train (2, 1), (4, 3) are predicted 0,
# (-2, 2), (-1, 5) predicted 1: mu_0 = (3, 2), mu_1 = (-1.5, 3.5). x = (1, 1): (2 + 1) / 2 = 1.5;
# x = (-1, 3): (0.5 + 0.5) / 4 = 0.25; x = (0, 0): yhat = 0 (first maximum), 5 / 1e-12.
head = ([[1, 0], [-1, 0]], [0, 0])
tally.hand_case("caref", (), train=[[2, 1], [4, 3], [-2, 2], [-1, 5]], test=[[1, 1], [-1, 3], [0, 0]],
                expected=[1.5, 0.25, 5e12], head=head)
# Every train row predicted 0: class 1's centroid is the mean of all rows, (4, 2). x = (-1, 3): (5 + 1) / 4 = 1.5.
tally.hand_case("caref", (), train=[[2, 1], [4, 3], [6, 2]], test=[[-1, 3]], expected=[1.5], head=head)
tally.finish()
