#!/usr/bin/env python3
"""ora (relative angles to the decision boundaries) against a float64 NumPy reference written from docs/methods.md:
each row projected onto every predicted-vs-c boundary, the angle at the mean of the ID train class means, on the
bundled data (C = 2), on a 10-class case where the aggregations differ, and by hand."""
import numpy as np
from reference_common import X, Tally, W_head, b_head, multiclass_case, run_score, tests, y


def ora_reference(train, train_y, W, b, aggregation="max", center=None):
    classes = W.shape[0]
    mu = np.stack([train[train_y == c].mean(0) for c in range(classes)]).mean(0) if center is None else center

    def unit(v):
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    def score(x):
        z = x @ W.T + b
        p = z.argmax(1)
        rows = np.arange(len(x))
        angles = np.full((len(x), classes), np.nan)
        for c in range(classes):
            d = W[p] - W[c]
            dd = (d * d).sum(1)
            other = p != c
            shift = (z[rows, p] - z[:, c])[other] / dd[other]
            boundary = x[other] - shift[:, None] * d[other]  # on the boundary: z_p = z_c there
            cos = (unit(x[other] - mu) * unit(boundary - mu)).sum(1)
            angles[other, c] = np.arccos(np.clip(cos, -1, 1)) / np.pi
        if aggregation == "min":
            return -np.nanmin(angles, axis=1)
        filled = np.nan_to_num(angles, nan=0.0)
        return -(filled.max(1) if aggregation == "max" else filled.mean(1))
    return score


tally = Tally()
reference = ora_reference(X, y, W_head, b_head)
tally.compare("ora", (), reference)
tally.compare("ora", (("aggregation", "mean"),), ora_reference(X, y, W_head, b_head, "mean"))
# Able to fail: μ is the mean of the class means, not of the rows (the chest X-ray classes have 388 and 3494 rows).
x = tests["chestxray_test"]
got = run_score("ora")["chestxray_test"]
wrong = ora_reference(X, y, W_head, b_head, center=X.mean(0))(x)
diff = np.linalg.norm(got - wrong) / np.linalg.norm(wrong)
tally.record(diff > 1e-3, f"centred at the mean of the rows instead, the scores would differ: rel diff {diff:.2e}")

# Ten classes: max, mean and min differ (with C = 2 there is one angle per row).
W, b, train, train_y, sets = multiclass_case()
for aggregation in ("max", "mean", "min"):
    tally.compare_case("ora", (("aggregation", aggregation),), ora_reference(train, train_y, W, b, aggregation),
                       train, sets, labels=train_y, head=(W, b))
spread = {a: ora_reference(train, train_y, W, b, a)(sets["mnist_far"]) for a in ("max", "mean", "min")}
tally.record(np.abs(spread["max"] - spread["mean"]).min() > 1e-3 and np.abs(spread["max"] - spread["min"]).max() > 1e-2,
             "with ten classes the aggregations differ")

# By hand: W = I, b = 0; class means (3, 0) and (0, 3), μ = (1.5, 1.5).
# x = (3, 1): p = 0, d = (1, -1), shift = (3 - 1) / 2 = 1, x_1 = (2, 2); v = (1.5, -0.5), x_1 - μ = (0.5, 0.5);
#   cos = 0.5 / (√2.5 √0.5) = 1/√5, s = -arccos(1/√5) / π.
# x = (0, 5): p = 1, d = (-1, 1), shift = 5 / 2, x_0 = (2.5, 2.5); v = (-1.5, 3.5), x_0 - μ = (1, 1);
#   cos = 2 / (√14.5 √2), s = -arccos(2 / √29) / π.
# x = (1, 1): a tie, p = 0 (the first maximum), shift = 0: x is on the boundary, the angle 0.
head = ([[1, 0], [0, 1]], [0, 0])
train, labels, test = [[2, 0], [4, 0], [0, 2], [0, 4]], [0, 0, 1, 1], [[3, 1], [0, 5], [1, 1]]
by_hand = np.array([-np.arccos(1 / np.sqrt(5)), -np.arccos(2 / np.sqrt(29)), 0]) / np.pi
tally.hand_case("ora", (), train=train, labels=labels, test=test, head=head, expected=by_hand)
tally.hand_case("ora", (("aggregation", "mean"),), train=train, labels=labels, test=test, head=head,
                expected=by_hand / 2)
tally.finish()
