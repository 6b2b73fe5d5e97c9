#!/usr/bin/env python3
"""nero against a float64 NumPy reference of each of docs/methods.md's six NERO steps, written here independently,
on the bundled data with a supplied head (‖s - s_ref‖ / ‖s_ref‖ <= 1e-4), plus the explain command."""
import json
import subprocess

import numpy as np
from reference_common import C, D, TEST_SETS, W_head, X, Tally, b_head, binary, data_dir, tmp, y
from scipy.special import softmax


def relevance(a):
    a1 = np.hstack([a, np.ones((len(a), 1))])              # a' = [a, 1]
    W1 = np.hstack([W_head, b_head[:, None]])               # W' = [W | b]
    f = a1 @ W1.T
    f = np.where(np.abs(f) < 1e-12, np.where(f < 0, -1e-12, 1e-12), f)
    return a1 * ((softmax(a1 @ W1.T, axis=1) / f) @ W1)     # R_j = sum_c p_c a'_j W'_cj / f_c


def nero_fit(k=175, pca_dims=None):
    R = relevance(X)
    assert np.allclose(R.sum(1), 1.0), "relevance must be conserved"
    dims = pca_dims or int(2 * D / 3)
    Rf = R[:, :D]
    lam, U = np.linalg.eigh(np.cov(Rf.T, bias=True))
    P = U[:, ::-1][:, :dims]                                 # exact PCA, largest variance first
    mean = Rf.mean(0)
    proj = (Rf - mean) @ P
    centroids = np.stack([proj[y == c].mean(0) for c in range(C)])
    nu = np.stack([R[y == c].mean(0) for c in range(C)])
    dist = np.min([np.abs(R - v).sum(1) for v in nu], axis=0)
    lam_scale = dist.mean() / np.abs(R[:, D]).mean()
    return P, mean, centroids, lam_scale, min(k, D)


def nero_reference(a, k=175, pca_dims=None):
    P, mean, centroids, lam_scale, k = nero_fit(k, pca_dims)
    R = relevance(a)
    proj = (R[:, :D] - mean) @ P
    d_rel = np.min([np.abs(proj - m).sum(1) for m in centroids], axis=0)
    K = np.argsort(R[:, :D], axis=1, kind="stable")[:, :k]  # the k most negative relevances
    rho = np.abs(np.take_along_axis(a, K, axis=1)).sum(1) / np.abs(a).sum(1)
    return (d_rel + lam_scale * np.abs(R[:, D])) * rho


tally = Tally()
tally.compare("nero", (), nero_reference)
tally.compare("nero", (("k", 50), ("pca_dims", 100)), lambda a: nero_reference(a, 50, 100))

# explain: the JSON's terms recombine into the score that `score` wrote for the same row, and an SVG is written.
far = np.load(data_dir / "mobilenet_v2.npz")[TEST_SETS[2]].astype(np.float64)
far_scores = nero_reference(far)
row = int(np.argsort(far_scores)[len(far) // 2])  # a typical sample, with a non-zero score
expected = float(far_scores[row])
np.save(tmp / "W.npy", W_head.astype(np.float32))
np.save(tmp / "b.npy", b_head.astype(np.float32))
run = subprocess.run([binary, "--device", "cpu", "explain", "--detector", "nero",
                      "--train", f"{data_dir}/mobilenet_v2.npz:chestxray_train",
                      "--train-labels", f"{data_dir}/labels.npz:chestxray_train",
                      "--head", str(tmp / "W.npy"), "--bias", str(tmp / "b.npy"),
                      "--test", f"{data_dir}/mobilenet_v2.npz:{TEST_SETS[2]}", "--row", str(row),
                      "--svg", str(tmp / "row.svg")], capture_output=True, text=True)
if run.returncode != 0:
    tally.record(False, f"explain failed: {run.stderr}")
else:
    e = json.loads(run.stdout)
    terms = e["terms"]
    recombined = (terms["d_rel"] + terms["lambda_abs_bias_relevance"]) * terms["rho"]
    tally.record(expected > 0 and abs(recombined - expected) <= 1e-4 * expected and abs(e["score"] - expected) <= 1e-4 * expected,
                 f"explain terms recombine to the score: {recombined:.6g} vs {expected:.6g}")
    tally.record(e["nearest_class"] in range(C) and len(e["top_neurons"]) == 10,
                 f"explain names the nearest class ({e['nearest_class']}) and 10 neurons")
    svg = (tmp / "row.svg").read_text()
    tally.record(svg.startswith("<svg") and "polyline" in svg and svg.rstrip().endswith("</svg>"), "explain wrote an SVG")

# A detector without an explanation (or a diagnostic) is refused before its inputs are read (train does not exist),
# naming the detectors that have one; nothing is written.
for command, lists, extra in [("explain", "nero", ["--test", "x.npy", "--row", "0", "--svg", str(tmp / "knn.svg")]),
                              ("diagnose", "mars", ["--ood", "x.npy", "--out", str(tmp / "knn.json")])]:
    run = subprocess.run([binary, "--device", "cpu", command, "--detector", "knn", "--train", str(tmp / "none.npy"),
                          *extra], capture_output=True, text=True)
    tally.record(run.returncode == 2 and f"`oodbench {command}` supports: " in run.stderr and lists in run.stderr and
                 "none.npy" not in run.stderr and not list(tmp.glob("knn.*")),
                 f"{command} knn refused first: {run.returncode}, {run.stderr.strip()}")
tally.finish()
