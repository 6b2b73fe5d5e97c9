#!/usr/bin/env python3
"""lts (logit scaling) against a float64 NumPy reference written from docs/methods.md and the authors' lts.py: the
authors' definition (ReLU, logits multiplied by S) and pytorch-ood's variant (no ReLU, logits divided by S), with
energy and MSP scoring, on the bundled data, on signed features (where the ReLU matters), and by hand."""
import numpy as np
from scipy.special import logsumexp, softmax

from reference_common import Tally, logits, refused, run_score, tests


def lts_reference(percentile=95.0, variant="authors", scoring="energy", W=None, b=None):
    def score(x):
        d = x.shape[1]
        if variant == "authors":
            f, k = np.maximum(x, 0), d - int(np.round(d * percentile / 100))
        else:
            f, k = x, max(1, int(round(d * (100 - percentile) / 100)))
        top = -np.sort(-f, axis=1)[:, :k].sum(1)
        scale = np.where(top != 0, (f.sum(1) / np.where(top != 0, top, 1)) ** 2, 1.0)
        z = logits(x) if W is None else x @ W.T + b
        z = z * scale[:, None] if variant == "authors" else z / scale[:, None]
        return -logsumexp(z, axis=1) if scoring == "energy" else -softmax(z, axis=1).max(1)
    return score


tally = Tally()
tally.compare("lts", (), lts_reference())
tally.compare("lts", (("scoring", "msp"),), lts_reference(scoring="msp"))
tally.compare("lts", (("percentile", 85),), lts_reference(85.0))
tally.compare("lts", (("variant", "pytorch-ood"),), lts_reference(variant="pytorch-ood"))
# Able to fail: the two variants are different detectors, not one rescaled.
x = tests["breastus_test"]
got = run_score("lts")["breastus_test"]
other = lts_reference(variant="pytorch-ood")(x)
tally.record(np.corrcoef(got, other)[0, 1] < 0.9, f"authors' and pytorch-ood's scores correlate only "
             f"{np.corrcoef(got, other)[0, 1]:.3f}")

# Signed features (the bundled ones shifted by -0.3), where the authors' ReLU and pytorch-ood's raw sums differ.
rng = np.random.default_rng(0)
W = rng.normal(size=(3, x.shape[1])).astype(np.float32).astype(np.float64) * 0.05
b = rng.normal(size=3).astype(np.float32).astype(np.float64)
signed = np.r_[tests["chestxray_test"], tests["mnist_far"]] - 0.3
for variant in ("authors", "pytorch-ood"):
    tally.hand_case("lts", (("variant", variant),), train=signed[:10], test=signed, head=(W, b),
                    expected=lts_reference(variant=variant, W=W, b=b)(signed), tol=1e-5)

# By hand, percentile 50 on D = 4 (k = 2), head z = (x_1, x_2). x = (1, 2, 3, 4): S = (10 / 7)^2 = 100/49,
# s = -log(e^(100/49) + e^(200/49)); pytorch-ood: -log(e^0.49 + e^0.98). x = (-2, 1, 3, 0): ReLU gives (0, 1, 3, 0),
# S = (4 / 4)^2 = 1, s = -log(e^-2 + e^1); pytorch-ood: T = (2 / 4)^2 = 1/4, s = -log(e^-8 + e^4). x = 0: S = 1.
head = ([[1, 0, 0, 0], [0, 1, 0, 0]], [0, 0])
test = [[1, 2, 3, 4], [-2, 1, 3, 0], [0, 0, 0, 0]]
tally.hand_case("lts", (("percentile", 50),), train=test, test=test, head=head,
                expected=[-np.log(np.exp(100 / 49) + np.exp(200 / 49)), -np.log(np.exp(-2) + np.e), -np.log(2)])
tally.hand_case("lts", (("percentile", 50), ("variant", "pytorch-ood")), train=test, test=test, head=head,
                expected=[-np.log(np.exp(0.49) + np.exp(0.98)), -np.log(np.exp(-8) + np.exp(4)), -np.log(2)])
# msp: x = (1, 2, 3, 4) scaled logits (100/49, 200/49): -1 / (1 + e^(-100/49)).
tally.hand_case("lts", (("percentile", 50), ("scoring", "msp")), train=test, test=test[:1], head=head,
                expected=[-1 / (1 + np.exp(-100 / 49))])
# A percentile that keeps none of the D = 4 features (k = 4 - round(3.9996) = 0) is refused before fitting.
message = refused("lts", (("percentile", 99.99),), train=test, test=test, head=head)
tally.record(message is not None and "percentile" in message and "keeps none" in message, f"k = 0: {message}")
tally.finish()
