#!/usr/bin/env python3
"""kpca (kernel PCA reconstruction error, CoP and CoRP) against a float64 NumPy reference written from
docs/methods.md, on the bundled data and by hand. CoRP's random Fourier features come from oodbench's own seeded
generator, which NumPy cannot replay: the reference is fed the draws oodbench saved in its model file
(state/fourier_weights, state/fourier_phases), and the draws themselves are checked to be N(0, 2γ) and U[0, 2π)."""
import subprocess
import sys

import numpy as np
from scipy import stats
from reference_common import ID, Tally, X, data_dir, run_score, tests, tmp


def saved_state(params):
    """Fits kpca with `params` on the bundled train rows and returns its saved state arrays."""
    model = tmp / "kpca.oodb"
    args = [sys.argv[1], "--device", "cpu", "fit", "--detector", "kpca", "--train",
            str(data_dir / f"mobilenet_v2.npz:{ID}_train"), "--save", str(model)]
    for key, value in params:
        args += ["--param", f"{key}={value}"]
    run = subprocess.run(args, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with np.load(model) as archive:
        return {name[len("state/"):]: archive[name] for name in archive.files if name.startswith("state/")}


def kpca_reference(train, ratio, fourier=None):
    def mapped(x):
        unit = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-10)
        if fourier is None:
            return unit
        w, u = fourier
        return np.sqrt(2 / len(u)) * np.cos(unit @ w.T + u)

    f = mapped(train)
    mu = f.mean(0)
    values, vectors = np.linalg.eigh((f - mu).T @ (f - mu))
    values, vectors = np.abs(values[::-1]), vectors[:, ::-1]
    explained = np.cumsum(values) / values.sum()  # explained[i - 1]: the share of the first i axes
    reached = np.nonzero(explained[:-1] >= ratio)[0]
    q = reached[0] + 1 if len(reached) else len(values) - 1
    axes = vectors[:, :q]

    def score(x):
        c = mapped(x) - mu
        return np.linalg.norm(c - (c @ axes) @ axes.T, axis=1)
    score.q = q
    return score


tally = Tally()
for params in [(("features", 1024),), (("features", 1024), ("seed", 7), ("gamma", 1.0), ("exp_var_ratio", 0.8))]:
    state = saved_state(params)
    w, u = state["fourier_weights"].astype(np.float64), state["fourier_phases"]
    p = dict(params)
    gamma = p.get("gamma", 3.0)
    tally.record(w.shape == (1024, X.shape[1]) and u.shape == (1024,), f"CoRP draws of shape {w.shape}, {u.shape}")
    ks_w = stats.kstest(w.ravel() / np.sqrt(2 * gamma), "norm").pvalue
    ks_u = stats.kstest(u / (2 * np.pi), "uniform").pvalue
    tally.record(ks_w > 1e-3 and ks_u > 1e-3, f"the weights are N(0, 2γ) (KS p = {ks_w:.3f}), the phases "
                 f"U[0, 2π) (p = {ks_u:.3f})")
    reference = kpca_reference(X, p.get("exp_var_ratio", 0.5), (w, u))
    tally.compare("kpca", params, reference, head=False, train_labels=False)
    tally.record(len(state["components"]) == reference.q, f"q = {len(state['components'])} (reference {reference.q})")
# Seeded: the same seed gives the same bits; another seed other draws and other scores.
first, again = run_score("kpca", (("features", 256),), head=False), run_score("kpca", (("features", 256),), head=False)
other = run_score("kpca", (("features", 256), ("seed", 1)), head=False)
name = "chestxray_test"
tally.record(all(np.array_equal(first[n], again[n]) for n in first), "the same seed gives the same bits")
diff = np.linalg.norm(first[name] - other[name]) / np.linalg.norm(first[name])
tally.record(diff > 1e-3, f"another seed moves the scores by {diff:.2e} relative")

for ratio in (0.99, 0.85):
    tally.compare("kpca", (("method", "CoP"), ("exp_var_ratio", ratio)), kpca_reference(X, ratio), head=False,
                  train_labels=False)
# Able to fail: without centring, the CoP scores would differ.
x = tests[name]
got = run_score("kpca", (("method", "CoP"), ("exp_var_ratio", 0.99)), head=False)[name]
unit = X / np.linalg.norm(X, axis=1, keepdims=True)
values, vectors = np.linalg.eigh(unit.T @ unit)
axes = vectors[:, ::-1][:, :kpca_reference(X, 0.99).q]
ux = x / np.linalg.norm(x, axis=1, keepdims=True)
uncentred = np.linalg.norm(ux - (ux @ axes) @ axes.T, axis=1)
diff = np.linalg.norm(got - uncentred) / np.linalg.norm(uncentred)
tally.record(diff > 1e-3, f"uncentred, the scores would differ by {diff:.2e} relative")

# By hand (CoP): train (1, 0), (0, 1), (-1, 0) are unit already; μ = (0, 1/3); the centred scatter is
# diag(2, 2/3), so the first axis (x) explains 3/4: q = 1 for any ratio <= 3/4, and q = 1 = D - 1 (at most) above.
# The residual is |φ_y - 1/3|: (3, 4) -> 0.8 - 1/3; (0, -2) -> 4/3.
train, test = [[1, 0], [0, 1], [-1, 0]], [[3, 4], [0, -2]]
for ratio in (0.5, 0.9):
    tally.hand_case("kpca", (("method", "CoP"), ("exp_var_ratio", ratio)), train=train, test=test,
                    expected=[0.8 - 1 / 3, 4 / 3])
tally.finish()
