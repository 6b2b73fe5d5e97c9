#!/usr/bin/env python3
"""optfs (optimal piecewise feature shaping) against a float64 NumPy reference written from docs/methods.md, on the
bundled data, a 10-class case, the arange that makes 101 intervals, and by hand."""
import subprocess
import sys

import numpy as np
from reference_common import Tally, W_head, X, b_head, multiclass_case, refused, tests, tmp


def optfs_reference(train, W, b, score="vanilla", ends_dtype=np.float32):
    lo, hi = np.quantile(train, 1e-3), np.quantile(train, 1 - 1e-3)
    width = (hi - lo) / 100
    lefts = np.arange(lo, hi, width)
    # The ends are compared at the features' precision, float32 (as the reference's float32 arrays and tensors).
    ends = [(ends_dtype(a), ends_dtype(a + width)) for a in lefts]
    predicted = (train @ W.T + b).argmax(1)
    contribution = W[predicted] * train
    total = np.array([(contribution * ((train >= a) & (train < e))).sum(1).mean() for a, e in ends])
    theta = total / np.linalg.norm(total) * 1000

    def shape(x):
        return sum(((x >= a) & (x < e)) * x * t for (a, e), t in zip(ends, theta))

    def scores(x):
        h = shape(x)
        if score == "energy":
            z = h @ W.T + b
            top = z.max(1)
            return -(top + np.log(np.exp(z - top[:, None]).sum(1)))
        return -(W[(x @ W.T + b).argmax(1)] * h).sum(1)
    scores.lefts = lefts
    return scores


tally = Tally()
for score in ("vanilla", "energy"):
    tally.compare("optfs", (("score", score),), optfs_reference(X, W_head, b_head, score))
# Able to fail: on the bundled float16-valued features some interval ends fall exactly on feature values (the width
# is 3.6640625 / 100, so the 25th end is 469 / 512); compared in float64 such values land in the interval before.
x = tests["chestxray_test"]
ends64 = optfs_reference(X, W_head, b_head, ends_dtype=np.float64)(x)
diff = np.linalg.norm(ends64 - optfs_reference(X, W_head, b_head)(x)) / np.linalg.norm(ends64)
tally.record(diff > 1e-3, f"float64 interval ends would move the scores by {diff:.2e} relative")
# Able to fail: the vanilla score leaves the bias out, which the comparison would notice.
x = tests["mnist_far"]
bias = np.linalg.norm(b_head[(x @ W_head.T + b_head).argmax(1)]) / np.linalg.norm(optfs_reference(X, W_head, b_head)(x))
tally.record(bias > 1e-3, f"the bias would move the vanilla scores by {bias:.2e} relative")

W, b, train, train_y, sets = multiclass_case()
for score in ("vanilla", "energy"):
    tally.compare_case("optfs", (("score", score),), optfs_reference(train, W, b, score), train, sets, head=(W, b))

# np.arange's rounding: lo = 0, hi = 6.599526882171631 (a float32) gives 101 intervals, the last one starting at hi.
hi = 6.599526882171631
case = np.array([[0, 0], [0, 1], [2, 3], [4, hi], [hi, 5], [1, 2]])
head = (np.array([[1.0, 0.5], [-1.0, 0.25]]), np.array([0.0, 0.1]))
ref = optfs_reference(case, *head)
model = tmp / "optfs_101.oodb"
np.save(tmp / "arange_train.npy", case.astype(np.float32))
np.save(tmp / "arange_W.npy", head[0].astype(np.float32))
np.save(tmp / "arange_b.npy", head[1].astype(np.float32))
fit = subprocess.run([sys.argv[1], "--device", "cpu", "fit", "--detector", "optfs", "--train",
                      tmp / "arange_train.npy", "--head", tmp / "arange_W.npy", "--bias", tmp / "arange_b.npy",
                      "--save", model], capture_output=True, text=True)
lefts = np.load(model)["state/lefts"] if fit.returncode == 0 else []
tally.record(len(ref.lefts) == 101 and len(lefts) == 101 and np.array_equal(lefts, ref.lefts.astype(np.float32)),
             f"101 intervals as np.arange makes them: {len(lefts)} (reference {len(ref.lefts)}) {fit.stderr}")
tally.hand_case("optfs", (), train=case, test=[[hi, 0], [3, 3]], head=head, expected=ref(np.array([[hi, 0], [3, 3]])))
tally.record(ref(np.array([[hi, 0]]))[0] != 0, "the 101st interval shapes the value hi")

# By hand: D = 1, W = (1; -1), b = 0, train 0, 1, ..., 10. lo = 0.01, hi = 9.99, width 0.0998, 100 intervals;
# 0 and 10 lie outside, every other integer k alone in its interval and predicted as class 0, so θ = 1000 k / √285
# there and 0 elsewhere. x = 3: h = 3 θ = 9000 / √285, s = -h; x = 2.96 shares 3's interval [2.9042, 3.004):
# s = -2.96 · 3000 / √285; x = 3.05 and x = 20 fall where no train value does: s = 0.
train = np.arange(11.0)[:, None]
head = ([[1.0], [-1.0]], [0.0, 0.0])
expected = np.array([-9000, -2.96 * 3000, 0, 0]) / np.sqrt(285)
tally.hand_case("optfs", (), train=train, test=[[3], [2.96], [3.05], [20]], head=head, expected=expected, tol=1e-4)
# energy: -logsumexp(h, -h) = -h for these h
tally.hand_case("optfs", (("score", "energy"),), train=train, test=[[3]], head=head, expected=[-9000 / np.sqrt(285)],
                tol=1e-4)
message = refused("optfs", (), train=[[1, 1], [1, 1]], test=[[1, 1]], head=([[1, 0], [0, 1]], [0, 0]))
tally.record(message is not None and "quantiles" in message, f"constant train values are refused: {message}")
tally.finish()
