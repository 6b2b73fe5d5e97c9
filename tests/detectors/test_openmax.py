#!/usr/bin/env python3
"""openmax against a float64 NumPy reference written from docs/methods.md and OpenOOD's openmax_postprocessor.py
(libMR's fit_high / w_score: translate by 10000 - min(tail), Weibull with location 0 by maximum likelihood), on the
bundled data and by hand. The reference's Weibull is solved from the likelihood equation and checked against
scipy.stats.weibull_min.fit(floc=0) and exponweib.fit(floc=0, f0=1) (pytorch-ood's LibNotMR)."""
import numpy as np
from reference_common import X, Tally, logits, tests, y
from scipy.optimize import brentq
from scipy.stats import exponweib, weibull_min

TRANSLATION = 10000.0


def weibull_mle(x):
    """Shape and scale of the location-0 Weibull maximising the likelihood of x (the root of its shape equation)."""
    L = np.log(x / x.max())

    def shape_equation(log_k):
        w = np.exp(np.exp(log_k) * L)
        return (w * L).sum() / w.sum() - L.mean() - np.exp(-log_k)

    k = np.exp(brentq(shape_equation, -20, 60, xtol=1e-15, rtol=1e-15))
    return k, x.max() * np.mean(np.exp(k * L)) ** (1 / k)


def openmax_fit(Z, labels, tail_size=20, correct_only=True):
    pred = Z.argmax(1)
    model = []
    for c in range(Z.shape[1]):
        rows = Z[(labels == c) & (pred == c)] if correct_only else Z[labels == c]
        mean = rows.mean(0)
        tail = np.sort(np.linalg.norm(rows - mean, axis=1))[-tail_size:]
        k, lam = weibull_mle(tail + TRANSLATION - tail.min())
        model.append((mean, tail.min(), k, lam))
    return model


def openmax_score(Z, model, alpha=3):
    alpha = min(alpha, Z.shape[1])
    out = np.empty(len(Z))
    for i, z in enumerate(Z):
        omega = np.zeros(len(z))
        # OpenOOD's ranking: ascending argsort reversed (stable, so among equal logits the higher index first)
        omega[np.argsort(z, kind="stable")[::-1][:alpha]] = (alpha - np.arange(alpha)) / alpha
        w = np.array([weibull_min.cdf(np.linalg.norm(z - mean) + TRANSLATION - low, k, scale=lam)
                      for mean, low, k, lam in model])
        v, unknown = z * (1 - omega * w), (z * omega * w).sum()
        top = max(v.max(), unknown)
        out[i] = np.exp(unknown - top) / (np.exp(unknown - top) + np.exp(v - top).sum())
    return out


tally = Tally()
Z_train = logits(X)
model = openmax_fit(Z_train, y)
pred = Z_train.argmax(1)
for c, (mean, low, k, lam) in enumerate(model):
    d = np.linalg.norm(Z_train[(y == c) & (pred == c)] - mean, axis=1)
    x = np.sort(d)[-20:] + TRANSLATION - low
    k_sp, _, lam_sp = weibull_min.fit(x, floc=0)
    _, k_ew, _, lam_ew = exponweib.fit(x, floc=0, f0=1)
    tally.record(abs(k_sp / k - 1) < 1e-6 and abs(lam_sp / lam - 1) < 1e-9,
                 f"class {c} Weibull: shape {k:.6f} scale {lam:.6f}; scipy weibull_min.fit shape rel diff "
                 f"{abs(k_sp / k - 1):.1e}, scale {abs(lam_sp / lam - 1):.1e}; exponweib (pytorch-ood) shape "
                 f"{abs(k_ew / k - 1):.1e}")
got = tally.compare("openmax", (), lambda x: openmax_score(logits(x), model))
tally.compare("openmax", (("tail_size", 50), ("alpha", 1)),
              lambda x: openmax_score(logits(x), openmax_fit(Z_train, y, 50), 1))
# Able to fail, and the measured difference from pytorch-ood's fit: every row of a class instead of the correctly
# classified ones.
x = tests["chestxray_test"]
all_rows = openmax_score(logits(x), openmax_fit(Z_train, y, correct_only=False))
diff = np.linalg.norm(got["chestxray_test"] - all_rows) / np.linalg.norm(all_rows)
tally.record(diff > 1e-2, f"fitting on all rows of a class (pytorch-ood) would differ: rel diff {diff:.2e}")

# By hand: head W = I, b = 0 (logits = features). Class 0 rows (3, 0), (1, 0), (2, 1.01), (2, -1.01): mean (2, 0),
# distances 1, 1, 1.01, 1.01; class 1 the mirror image, mean (0, 2). Translated tails 10000, 10000.01: the Weibull is
# so narrow (shape ~1e6) that its CDF is 0 to double precision 0.5 below the tail's minimum and 1 0.8 above it.
# alpha = min(3, C) = 2: the top class gets ω = 1, the other ω = 0.5.
# (2, 0): d0 = 0 -> w0 = 0, d1 = √8 -> w1 = 1; v = (2, 0 · 0.5), v_0 = 0 · 0.5: p = 1 / (e² + 2) = 0.106507.
# (0, 0): d0 = d1 = 2 -> w = 1; all logits 0: p = 1/3.
# (3, 2.5): d0 = 2.69, d1 = 3.04 -> w = 1; v = (3 · 0, 2.5 · 0.5), v_0 = 3 + 1.25: p = e^4.25 / (e^4.25 + 1 + e^1.25)
#   = 0.939804.
# (2, 0.5): d0 = 0.5 -> w0 = 0, d1 = 2.5 -> w1 = 1; v = (2, 0.25), v_0 = 0.25: p = e^.25 / (e² + 2 e^.25) = 0.128956.
hand_train = [[3, 0], [1, 0], [2, 1.01], [2, -1.01], [0, 3], [0, 1], [1.01, 2], [-1.01, 2]]
hand_labels = [0, 0, 0, 0, 1, 1, 1, 1]
hand_test = [[2, 0], [0, 0], [3, 2.5], [2, 0.5]]
expected = [1 / (np.e ** 2 + 2), 1 / 3, np.exp(4.25) / (np.exp(4.25) + 1 + np.exp(1.25)),
            np.exp(0.25) / (np.e ** 2 + 2 * np.exp(0.25))]
hand_model = openmax_fit(np.asarray(hand_train, dtype=np.float32).astype(np.float64), np.asarray(hand_labels))
tally.record(np.allclose(openmax_score(np.asarray(hand_test, dtype=float), hand_model), expected, atol=1e-9),
             f"the NumPy reference agrees with the hand values (shapes {[m[2] for m in hand_model]})")
tally.hand_case("openmax", (), train=hand_train, labels=hand_labels, test=hand_test, expected=expected,
                head=([[1, 0], [0, 1]], [0, 0]))

# Five classes, so that α = 3 < C: weights 1, 2/3, 1/3 on the three largest logits, the other two left as they are.
# Synthetic clustered features and a random head; expected values from the NumPy reference above.
rng = np.random.default_rng(3)
centers = rng.normal(0, 3, (5, 6))
syn_labels = np.repeat(np.arange(5), 40)
syn_train = (centers[syn_labels] + rng.normal(0, 1, (200, 6))).astype(np.float32)
syn_test = (rng.normal(0, 3, (30, 6))).astype(np.float32)
syn_W = (centers / 3 + rng.normal(0, 0.1, (5, 6))).astype(np.float32)
syn_b = rng.normal(0, 0.5, 5).astype(np.float32)


def syn_logits(x):
    return x.astype(np.float64) @ syn_W.astype(np.float64).T + syn_b.astype(np.float64)


syn_model = openmax_fit(syn_logits(syn_train), syn_labels)
syn_expected = openmax_score(syn_logits(syn_test), syn_model)
tally.record(syn_expected.std() > 1e-2, f"the five-class case spreads its scores: std {syn_expected.std():.3f}")
tally.hand_case("openmax", (), train=syn_train, labels=syn_labels, test=syn_test, expected=syn_expected,
                head=(syn_W, syn_b), tol=1e-4)

# Tied logits rank the higher class index first (both references reverse an ascending argsort). Class 0: mean (3, 1),
# rows at distance 3 and 3.01 along ±(1, 1)/√2; class 1: mean (1, 3), rows at 1 and 1.01. x = (2, 2): z0 = z1 = 2,
# d0 = d1 = √2, below class 0's tail (w0 = 0) and 0.41 beyond class 1's (w1 = 1). Class 1 ranks first (ω = 1), class 0
# second (ω = 0.5): v = (2, 2 · 0), v_0 = 2 · 1: p = e² / (2 e² + 1) = 0.468310 (lower index first would give
# e / (e² + 2e) = 0.211942).
diag = np.array([1.0, 1.0]) / np.sqrt(2)
tie_train = [m + sign * r * diag for m, radii in (((3, 1), (3, 3.01)), ((1, 3), (1, 1.01)))
             for r in radii for sign in (1, -1)]
tie_expected = [np.e ** 2 / (2 * np.e ** 2 + 1)]
tie_model = openmax_fit(np.asarray(tie_train, dtype=np.float32).astype(np.float64), np.repeat([0, 1], 4))
tally.record(np.allclose(openmax_score(np.array([[2.0, 2.0]]), tie_model), tie_expected, atol=1e-9),
             "the NumPy reference ranks the tie as by hand")
tally.hand_case("openmax", (), train=tie_train, labels=[0, 0, 0, 0, 1, 1, 1, 1], test=[[2, 2]], expected=tie_expected,
                head=([[1, 0], [0, 1]], [0, 0]))
tally.finish()
