#!/usr/bin/env python3
"""nnguide against a float64 NumPy reference written from docs/methods.md, on the bundled data, on a synthetic case
larger than one tile, and by hand."""
import math

import numpy as np
from scipy.special import logsumexp
from reference_common import Tally, X, logits, multi_tile_case, seeded_permutation


def nnguide_reference(k=100, alpha=0.01, bank_seed=-1, train=X, head=(None, None)):
    """Returns reference(x): s = -mean(K_eff largest <x/|x|, b_i>) * logsumexp(z(x))."""
    W, b = head
    lg = (lambda v: logits(v)) if W is None else (lambda v: v @ W.T + b)
    n = len(train)
    m = math.ceil(round(alpha * n, 9))
    rows = np.arange(m) if bank_seed < 0 else seeded_permutation(bank_seed, n)[:m]
    B = train[rows]
    bank = B / np.linalg.norm(B, axis=1, keepdims=True) * logsumexp(lg(B), axis=1)[:, None]

    def reference(x):
        q = x / np.linalg.norm(x, axis=1, keepdims=True)
        top = -np.sort(-(q @ bank.T), axis=1)[:, :min(k, m)]
        return -top.mean(1) * logsumexp(lg(x), axis=1)

    return reference


tally = Tally()
tally.compare("nnguide", (), nnguide_reference())  # the bank: rows 0..38 of 3882 (0.01 N = 38.82)
tally.compare("nnguide", (("k", 10), ("alpha", 0.05)), nnguide_reference(k=10, alpha=0.05))
# K = 1000 above the 78-row bank: K_eff = 78 (OpenOOD would pad with faiss's empty results).
tally.compare("nnguide", (("k", 1000), ("alpha", 0.02)), nnguide_reference(k=1000, alpha=0.02))
tally.compare("nnguide", (("bank_seed", 3), ("alpha", 0.03)), nnguide_reference(alpha=0.03, bank_seed=3))

# More than one tile on both sides (1100 queries > 1024, 4500 bank rows > 4096): the kept top-K merge across tiles.
W_syn, b_syn, train_syn, test_syn = multi_tile_case(7)
tally.hand_case("nnguide", (("k", 300), ("alpha", 1.0)), train=train_syn, test=test_syn,
                expected=nnguide_reference(300, 1.0, train=train_syn, head=(W_syn, b_syn))(test_syn),
                head=(W_syn, b_syn), tol=1e-4)

# By hand: W = I, b = 0. Bank rows (alpha = 1): x1 = (1, 0), z = (1, 0), logsumexp = 1 + log(1 + e^-1) = 1.3132617,
# b1 = (1.3132617, 0); x2 = (0, 2), z = (0, 2), logsumexp = 2 + log(1 + e^-2) = 2.1269280, b2 = (0, 2.1269280).
# Test (3, 4): x/|x| = (0.6, 0.8); <., b1> = 0.7879570, <., b2> = 1.7015424; logsumexp(3, 4) = 4.3132617.
# K = 1: -1.7015424 * 4.3132617 = -7.3391977; K = 2: -(0.7879570 + 1.7015424) / 2 * 4.3132617 = -5.3689312.
hand = dict(train=[[1, 0], [0, 2]], test=[[3, 4]], head=([[1, 0], [0, 1]], [0, 0]))
tally.hand_case("nnguide", (("k", 1), ("alpha", 1.0)), expected=[-7.3391977], **hand)
tally.hand_case("nnguide", (("k", 2), ("alpha", 1.0)), expected=[-5.3689312], **hand)
# alpha = 0.5 of 2 rows: the bank is row 0 alone (file order) and K = 100 is capped at 1: -0.7879570 * 4.3132617.
tally.hand_case("nnguide", (("alpha", 0.5),), expected=[-3.3986648], **hand)
tally.finish()
