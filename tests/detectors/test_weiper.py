#!/usr/bin/env python3
"""weiper (WeiPer + KL divergence) against a float64 NumPy/SciPy reference written from docs/methods.md, on the bundled
data, a 10-class case and by hand. The perturbed head comes from oodbench's seeded generator: the reference is fed
the head oodbench saved in its model file (state/perturbed_head), which is checked to be W plus perturbations of
length δ‖W_c‖ in random directions."""
import subprocess
import sys

import numpy as np
from scipy import stats
from scipy.special import rel_entr, softmax
from reference_common import Tally, W_head, X, b_head, multiclass_case, run_case, tests, tmp

DEFAULTS = dict(n_repeats=100, perturbation_distance=1.8, n_bins=100, lambda_1=2.5, lambda_2=0.1, smoothing=4,
                smoothing_perturbed=15, epsilon=0.01, epsilon_noise=0.025, chunked_density=False)


def fitted_head(params, train, W, b):
    """Fits weiper on `train` with head (W, b) and returns the perturbed head (W~, b~) it saved."""
    for name, a in (("train", train), ("W", W), ("b", b)):
        np.save(tmp / f"weiper_{name}.npy", np.asarray(a, np.float32))
    args = [sys.argv[1], "--device", "cpu", "fit", "--detector", "weiper", "--train", tmp / "weiper_train.npy",
            "--head", tmp / "weiper_W.npy", "--bias", tmp / "weiper_b.npy", "--save", tmp / "weiper.oodb"]
    for key, value in params:
        args += ["--param", f"{key}={str(value).lower()}"]
    run = subprocess.run(list(map(str, args)), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with np.load(tmp / "weiper.oodb") as archive:
        return archive["state/perturbed_head/weight"].astype(np.float64), archive["state/perturbed_head/bias"]


def densities(values, lo, hi, bins, chunked):
    """Each row's fractions of its values per bin [e_k, e_k+1) of [lo, hi + 1e-8); chunks of 1000 values averaged."""
    edges = lo + (np.arange(bins + 1) / bins) * ((hi + 1e-8) - lo)
    width = 1000 if chunked and values.shape[1] > 1000 else values.shape[1]
    parts = [values[:, s:s + width] for s in range(0, values.shape[1], width)]
    out = np.zeros((len(values), bins))
    for part in parts:
        k = np.searchsorted(edges, part, side="right") - 1
        inside = (k >= 0) & (k < bins)
        rows = np.broadcast_to(np.arange(len(values))[:, None], k.shape)
        counts = np.zeros((len(values), bins))
        np.add.at(counts, (rows[inside], k[inside]), 1)
        out += counts / part.shape[1] / len(parts)
    return out


def symmetric_kl(p, q, width, eps):
    left = (width - 1) // 2
    padded = np.pad(q, ((0, 0), (left, width - 1 - left)), mode="edge")
    smooth = np.stack([np.convolve(row, np.ones(width) / width, mode="valid") for row in padded])
    a = (p + eps) / (p + eps).sum()
    b = (smooth + eps) / (smooth + eps).sum(1, keepdims=True)
    return rel_entr(a, b).sum(1) + rel_entr(b, a).sum(1)


def weiper_reference(train, W, b, params=()):
    p = {**DEFAULTS, **dict(params)}
    Wt, bt = fitted_head(params, train, W, b)
    lo, hi = train.min(), train.max()
    z_train = train @ Wt.T + bt
    wlo, whi = z_train.min(), z_train.max()
    bins, chunked = p["n_bins"], p["chunked_density"]
    p_feat = densities(train, lo, hi, bins, chunked).mean(0)
    p_pert = densities(z_train, wlo, whi, bins, chunked).mean(0)

    def score(x):
        z = x @ Wt.T + bt
        msp = softmax(z.reshape(len(x), p["n_repeats"], -1), axis=2).max(2).mean(1)
        return (symmetric_kl(p_feat, densities(x, lo, hi, bins, chunked), p["smoothing"], p["epsilon"]) +
                p["lambda_1"] * symmetric_kl(p_pert, densities(z, wlo, whi, bins, chunked), p["smoothing_perturbed"],
                                             p["epsilon_noise"]) - p["lambda_2"] * msp)
    score.head = Wt, bt
    return score


tally = Tally()
reference = weiper_reference(X, W_head, b_head)
tally.compare("weiper", (), reference)
# The saved head is W plus R perturbations of length δ ‖W_c‖ whose directions are uniform (normalised normals).
Wt, bt = reference.head
perturbations = Wt.reshape(100, len(W_head), -1) - W_head
lengths = np.linalg.norm(perturbations, axis=2) / np.linalg.norm(W_head, axis=1)
directions = (perturbations / np.linalg.norm(perturbations, axis=2, keepdims=True)).ravel() * np.sqrt(X.shape[1])
ks = stats.kstest(directions, "norm").pvalue
tally.record(np.allclose(lengths, 1.8, rtol=1e-5) and np.array_equal(bt, np.tile(b_head.astype(np.float32), 100)) and
             ks > 1e-3, f"the perturbed head: lengths δ = 1.8 ‖W_c‖ (max dev {np.abs(lengths - 1.8).max():.1e}), "
             f"bias tiled, directions √D-scaled N(0, 1) (KS p = {ks:.3f})")
for params in [(("chunked_density", True),),
               (("seed", 3), ("n_bins", 60), ("lambda_1", 0.1), ("lambda_2", 1.0), ("smoothing", 40),
                ("perturbation_distance", 2.4))]:
    tally.compare("weiper", params, weiper_reference(X, W_head, b_head, params))
# Able to fail: the chunked histogram (1000 + 280 of the 1280 features) differs from the plain one.
x = tests["chestxray_test"]
chunked = weiper_reference(X, W_head, b_head, (("chunked_density", True),))(x)
diff = np.linalg.norm(chunked - reference(x)) / np.linalg.norm(reference(x))
tally.record(diff > 1e-3, f"chunked_density moves the bundled scores by {diff:.2e} relative")

W, b, train, train_y, sets = multiclass_case()
tally.compare_case("weiper", (), weiper_reference(train, W, b), train, sets, head=(W, b))
tally.compare_case("weiper", (("n_repeats", 120), ("chunked_density", True)),
                   weiper_reference(train, W, b, (("n_repeats", 120), ("chunked_density", True))), train, sets,
                   head=(W, b))

# By hand, with no perturbation (δ = 0, R = 1): W = (1, 0; 0, 1), b = 0, one bin, s1 = s2 = 1. Train rows (0, 1) and
# (1, 0): lo = 0, hi = 1, every value inside, so p = p~ = (1) and any q = (1): both divergences 0. The score is
# -λ2 max softmax(x): for x = (1, 0), -0.1 e / (e + 1). With two bins [0, 0.5), [0.5, 1 + 1e-8): the train features
# and logits put one value in each bin, p = (1/2, 1/2); x = (1, 0.75) puts both in the second: q = (0, 1), and with
# ε = 0.01: p' = (1/2, 1/2), q' = (0.01, 1.01) / 1.02, KL_sym = Σ (p' - q') ln(p' / q').
hand = (("n_repeats", 1), ("perturbation_distance", 0.0), ("n_bins", 1), ("smoothing", 1), ("smoothing_perturbed", 1))
head = ([[1, 0], [0, 1]], [0, 0])
tally.hand_case("weiper", hand, train=[[0, 1], [1, 0]], test=[[1, 0]], head=head,
                expected=[-0.1 * np.e / (np.e + 1)])
q1, q2 = np.array([0.01, 1.01]) / 1.02, np.array([0.025, 1.025]) / 1.05
kl = ((0.5 - q1) * np.log(0.5 / q1)).sum() + 2.5 * ((0.5 - q2) * np.log(0.5 / q2)).sum()
tally.hand_case("weiper", hand[:2] + (("n_bins", 2),) + hand[3:], train=[[0, 1], [1, 0]], test=[[1, 0.75]], head=head,
                expected=[kl - 0.1 * np.exp(1) / (np.exp(1) + np.exp(0.75))])
run, _ = run_case("bad", "weiper", (("n_bins", 0),), train=[[0, 1], [1, 0]], test=[[1, 0]], head=head)
tally.record(run.returncode == 2 and "n_bins must be >= 1" in run.stderr, f"n_bins = 0 is refused: {run.stderr}")
tally.finish()
