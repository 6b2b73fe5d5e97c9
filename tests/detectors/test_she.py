#!/usr/bin/env python3
"""she (Simplified Hopfield Energy) against a float64 NumPy reference written from docs/methods.md and OpenOOD's
she_postprocessor.py `distance` (each metric's similarity, negated), on the bundled data and by hand."""
import numpy as np
from reference_common import C, X, Tally, logits, means, refused, run_score, tests, y

correct = logits(X).argmax(1) == y
patterns = np.stack([X[correct & (y == c)].mean(0) for c in range(C)])


def she_reference(x, metric="inner_product"):
    m = patterns[logits(x).argmax(1)]
    if metric == "euclidean":
        return np.linalg.norm(x - m, axis=1)
    if metric == "cosine":
        return -(x * m).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(m, axis=1))
    return -(x * m).sum(1)


tally = Tally()
tally.record(0 < (~correct).sum(), f"the head misclassifies {(~correct).sum()} of {len(y)} train rows, so the "
             "correct-only means differ from the class means")
tally.compare("she", (), she_reference)
tally.compare("she", (("metric", "euclidean"),), lambda x: she_reference(x, "euclidean"))
tally.compare("she", (("metric", "cosine"),), lambda x: she_reference(x, "cosine"))
# Able to fail: all-row class means instead of the correctly classified rows' give other scores.
x = tests["chestxray_test"]
got = run_score("she")["chestxray_test"]
wrong = -(x * means[logits(x).argmax(1)]).sum(1)
diff = np.linalg.norm(got - wrong) / np.linalg.norm(wrong)
tally.record(diff > 1e-3, f"the all-row class means would differ: rel diff {diff:.2e}")

# By hand: head W = (1, 0; -1, 0), b = 0 predicts class 0 when x1 > 0. Train (2, 1) and (4, 3) are class 0 and
# predicted 0; (1, 5) is labelled 1 but predicted 0 (left out); (-2, 2) is class 1, predicted 1.
# m_0 = (3, 2), m_1 = (-2, 2). x = (1, 1): ŷ = 0, s = -(3 + 2) = -5. x = (-1, 3): ŷ = 1, s = -(2 + 6) = -8.
head = ([[1, 0], [-1, 0]], [0, 0])
train, labels, test = [[2, 1], [4, 3], [1, 5], [-2, 2]], [0, 0, 1, 1], [[1, 1], [-1, 3]]
tally.hand_case("she", (), train=train, labels=labels, test=test, expected=[-5, -8], head=head)
# euclidean: ‖(1, 1) - (3, 2)‖ = √5, ‖(-1, 3) - (-2, 2)‖ = √2.
tally.hand_case("she", (("metric", "euclidean"),), train=train, labels=labels, test=test,
                expected=[np.sqrt(5), np.sqrt(2)], head=head)
# cosine: 5 / (√2 √13), 8 / (√10 √8).
tally.hand_case("she", (("metric", "cosine"),), train=train, labels=labels, test=test,
                expected=[-5 / np.sqrt(26), -8 / np.sqrt(80)], head=head)
# A class without a correctly classified train row is refused: here no row is predicted as class 1.
message = refused("she", (), train=[[2, 1], [1, 5]], labels=[0, 1], test=test, head=head)
tally.record(message is not None and "class 1" in message, f"no correctly classified row of class 1: {message}")
tally.finish()
