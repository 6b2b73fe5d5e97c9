#!/usr/bin/env python3
"""cfood against a float64 NumPy/SciPy reference written from OpenOOD's cfood_postprocessor.py (docs/methods.md), on
the bundled data, on a synthetic case larger than one tile, and by hand."""
import numpy as np
from scipy.spatial.distance import cdist
from reference_common import X, Tally, seeded_permutation

GRID = np.concatenate((np.linspace(0.001, 0.1, 100), np.linspace(0.105, 0.5, 81), np.linspace(0.51, 0.99, 49)))


def unit(v):
    return v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-10)


def cfood_reference(alpha=0.1, k=0.01, seed=0, train=X):
    """Returns reference(x): the first grid fraction kappa_j at which at least a fraction k (compared in float32, as
    the reference's tensors) of the reference rows r have their rank-(pos_j + 1) self distance >= |x - r|^2."""
    feats = unit(train)
    total = len(feats)
    if alpha < 1:
        n = int(alpha * total)
        ref = feats[seeded_permutation(seed, total)[:n]]
    else:
        n, ref = total, feats
    pos = np.array(GRID * n - 1, dtype=int)
    keep = np.concatenate(([True], pos[:-1] < pos[1:]))
    kval, pos = GRID[keep], pos[keep]
    radius = np.sort(cdist(ref, ref, "sqeuclidean"), axis=1)[:, pos + 1]  # n x klen; sorted rank 0 is the row itself

    def reference(x):
        out = np.empty(len(x))
        for s in range(0, len(x), 64):
            d = cdist(unit(x[s:s + 64]), ref, "sqeuclidean")  # b x n
            count = (radius[None, :, :] >= d[:, :, None]).sum(1)  # b x klen
            ok = count.astype(np.float32) / np.float32(n) >= np.float32(k)
            out[s:s + 64] = np.where(ok.any(1), kval[ok.argmax(1)], 1.0)
        return out

    return reference


tally = Tally()
# 388 reference rows (int(0.1 * 3882)) drawn by SeededRandom(0).permutation.
tally.compare("cfood", (), cfood_reference(), head=False, train_labels=False)
tally.compare("cfood", (("alpha", 0.2), ("k", 0.05), ("seed", 1)), cfood_reference(0.2, 0.05, 1),
              head=False, train_labels=False)
tally.compare("cfood", (("k", 0.001), ("seed", 5)), cfood_reference(0.1, 0.001, 5), head=False, train_labels=False)

# alpha = 1 and more than one tile everywhere: 4500 reference rows (self distances in blocks of 932 rows, test
# distances in blocks of 4096 reference rows), 1100 test rows (> 1024 per tile).
rng = np.random.default_rng(5)
train_syn = rng.normal(size=(4500, 8)).astype(np.float32).astype(np.float64)
test_syn = (rng.normal(size=(1100, 8)) * rng.uniform(0.5, 1.5, size=(1100, 1))).astype(np.float32).astype(np.float64)
for params in [(("alpha", 1.0),), (("alpha", 1.0), ("k", 0.2))]:
    tally.hand_case("cfood", params, train=train_syn, test=test_syn, tol=1e-6,
                    expected=cfood_reference(**dict(params), train=train_syn)(test_syn))

# By hand: train e1, e2, -e1 (alpha = 1, n = 3, unit already). pos_j = int(kappa_j * 3 - 1) is 0 for kappa < 2/3
# and 1 from 0.67 on (0.66 * 3 - 1 = 0.98), so the kept grid is (0.001, 0.67), read at sorted ranks 1 and 2.
# Squared distances: e1-e2 = 2, e1-(-e1) = 4, e2-(-e1) = 2, so t(e1) = (2, 4), t(e2) = (2, 2), t(-e1) = (2, 4).
# Test e3: distance 2 to all three, covered by every row at j = 0 -> 0.001 whatever k.
# Test -e2: distances (2, 4, 2): e1 and -e1 cover it at j = 0, e2 never (t <= 2 < 4): 2 of 3 rows.
# Test (-1, -1, 0)/sqrt 2: distances (2 + sqrt 2, 2 + sqrt 2, 2 - sqrt 2): -e1 covers it at j = 0, e1 at j = 1
# (4 >= 3.41), e2 never: 1 of 3 at j = 0, 2 of 3 at j = 1.
# k = 0.5 (2 rows needed): 0.001, 0.001, 0.67. k = 1 (all 3 rows needed): 0.001, 1 (never), 1 (never).
hand = dict(train=[[1, 0, 0], [0, 1, 0], [-1, 0, 0]], test=[[0, 0, 1], [0, -1, 0], [-1, -1, 0]])
tally.hand_case("cfood", (("alpha", 1.0), ("k", 0.5)), expected=[0.001, 0.001, 0.67], **hand)
tally.hand_case("cfood", (("alpha", 1.0), ("k", 1.0)), expected=[0.001, 1.0, 1.0], **hand)
tally.finish()
