#!/usr/bin/env python3
"""nac (NAC-UE on the penultimate layer) against a float64 NumPy reference written from docs/methods.md and the
authors' nac/coverage.py: neuron states sigmoid(alpha x (W^T (p - 1/C))), the authors' bins, coverage min(count / O,
1) on the seeded class-balanced fit subset (drawn with reference_common's port of SeededRandom), on the bundled data,
with every train row, without labels, with a 10-class head, and by hand."""
import numpy as np
from scipy.special import softmax

from reference_common import (W_head, X, Tally, b_head, refused, run_score, seeded_permutation, ten_class_case, tests,
                              y)


def edges(m):
    """The authors' logspace(1e3, M): fine bins around 0.5, [t_k, t_{k+1})."""
    left = np.log(np.linspace(1, np.sqrt(1e3), m // 2)) / np.log(1e3)
    e = np.r_[left[:-1], (1 - left)[::-1]]
    e[-1] += 0.01
    return np.r_[e, 1.2]


def states(x, W, b, alpha):
    p = softmax(x @ W.T + b, axis=1)
    grad = (p - 1 / W.shape[0]) @ W  # d/dx of the KL divergence from uniform, -(1/C) sum_c log p_c
    return 1 / (1 + np.exp(-alpha * x * grad))


def fit_rows(train_labels, n, wanted, seed):
    if wanted == 0:
        return np.arange(n)
    if train_labels is None:
        return seeded_permutation(seed, n)[:min(wanted, n)]
    groups = [np.flatnonzero(train_labels == c) for c in range(train_labels.max() + 1)]
    per_class = min(wanted // len(groups), min(len(g) for g in groups))
    return np.concatenate([g[seeded_permutation(seed, len(g))[:per_class]] for g in groups])


def nac_reference(train, train_labels, W, b, O=50, M=50, alpha=100.0, fit=1000, seed=0):
    e = edges(M)
    fitted = states(train[fit_rows(train_labels, len(train), fit, seed)], W, b, alpha)
    counts = np.zeros((M - 1, train.shape[1]))
    np.add.at(counts, (np.searchsorted(e, fitted, side="right") - 1, np.arange(train.shape[1])), 1)
    coverage = np.minimum(counts / O, 1)

    def score(x):
        k = np.searchsorted(e, states(x, W, b, alpha), side="right") - 1
        return -coverage[k, np.arange(x.shape[1])].mean(1)
    return score


tally = Tally()
tally.record(len(fit_rows(y, len(y), 1000, 0)) == 2 * 388, "1000 balanced rows of 2 classes: 388 each (the smaller "
             "class's size)")
tally.compare("nac", (), nac_reference(X, y, W_head, b_head))
tally.compare("nac", (("fit_rows", 0),), nac_reference(X, y, W_head, b_head, fit=0))
tally.compare("nac", (("alpha", 20.0), ("O", 10), ("M", 100), ("seed", 3)),
              nac_reference(X, y, W_head, b_head, O=10, M=100, alpha=20.0, seed=3))
tally.compare("nac", (("fit_rows", 500),), nac_reference(X, None, W_head, b_head, fit=500), train_labels=False)
# Able to fail: another seed draws another subset, which moves the scores.
x = tests["breastus_test"]
got = run_score("nac")["breastus_test"]
other = nac_reference(X, y, W_head, b_head, seed=1)(x)
tally.record(np.linalg.norm(got - other) / np.linalg.norm(got) > 1e-4, "seed 1's subset gives other scores")
share = (states(tests["chestxray_test"], W_head, b_head, 100.0) == 0.5).mean()
tally.record(share > 0.5, f"{share:.0%} of the states are exactly 0.5 (dead units), on the edge between two bins")

# Ten classes (nearest class mean of 600 labelled fashion rows); 1000 rows ask for 100 per class, each has ~60.
fashion, fashion_y, W10, b10, test10 = ten_class_case()
tally.hand_case("nac", (), train=fashion, labels=fashion_y, test=test10, head=(W10, b10),
                expected=nac_reference(fashion, fashion_y, W10, b10)(test10), tol=1e-6)

# By hand, M = 4 (bins [0, 0.5), [0.5, 1.01)), O = 2, alpha = 1, every row: head z = (x_1 + x_2, 0), so the gradient
# is (p_0 - 1/2)(1, 1) and a state is >= 0.5 exactly when x_j has the sign of x_1 + x_2 (or is 0).
# Train (2, -1), (1, 1), (-1, -1): neuron 1 counts (0, 3), neuron 2 (1, 2): coverage (0, 1) and (0.5, 1).
# (2, -1): 1 and 0.5 -> -0.75; (-2, 1): 1 and 0.5 -> -0.75; (0, 0): both states 0.5 -> -1; (-1, 2): 0 and 1 -> -0.5.
params = (("M", 4), ("O", 2), ("alpha", 1.0), ("fit_rows", 0))
tally.hand_case("nac", params, train=[[2, -1], [1, 1], [-1, -1]], test=[[2, -1], [-2, 1], [0, 0], [-1, 2]],
                head=([[1, 1], [0, 0]], [0, 0]), expected=[-0.75, -0.75, -1, -0.5])
head = ([[1, 1], [0, 0]], [0, 0])
message = refused("nac", (("M", 5),), train=[[1, 0]], test=[[1, 0]], head=head)
tally.record(message is not None and "even" in message, f"odd M: {message}")
message = refused("nac", (("fit_rows", 1),), train=[[1, 0], [0, 1]], labels=[0, 1], test=[[1, 0]], head=head)
tally.record(message is not None and "fit_rows" in message, f"fewer fit rows than classes: {message}")
tally.finish()
