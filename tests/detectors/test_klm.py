#!/usr/bin/env python3
"""klm against a float64 NumPy reference written from docs/methods.md (typical posteriors from the head's predicted
classes on ID val, else ID train), on the bundled data and by hand."""
import numpy as np
from scipy.special import rel_entr, softmax

from reference_common import C, Tally, X, X_val, logits


def klm_reference(fit_rows):
    z = logits(fit_rows)
    p, pred = softmax(z, axis=1), z.argmax(1)
    d = np.stack([p[pred == c].mean(0) if (pred == c).any() else np.eye(C)[c] for c in range(C)])

    def score(x):
        q = softmax(logits(x), axis=1)
        return np.min([rel_entr(q, dc).sum(1) for dc in d], axis=0)
    return score


tally = Tally()
tally.compare("klm", (), klm_reference(X_val), val=True)
tally.compare("klm", (), klm_reference(X))  # no val: the typical posteriors come from ID train
# By hand, identity head, one ID val row z = (ln 3, 0): d_0 = (3/4, 1/4); nothing is predicted as class 1, so
# d_1 = (0, 1), at infinite KL from any softmax. Test z = (0, 0): p = (1/2, 1/2), KL(p ‖ d_0) = 1/2 ln(2/3) +
# 1/2 ln 2 = 1/2 ln(4/3); test z = (ln 3, 0) matches d_0 exactly: 0.
tally.hand_case("klm", (), train=[[1, 0], [0, 1]], val=[[np.log(3), 0]], test=[[0, 0], [np.log(3), 0]],
                expected=[0.5 * np.log(4 / 3), 0], head=([[1, 0], [0, 1]], [0, 0]))
tally.finish()
