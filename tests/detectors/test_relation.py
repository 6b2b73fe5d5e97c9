#!/usr/bin/env python3
"""relation against a float64 NumPy reference written from docs/methods.md, on the bundled data, on a synthetic case
larger than one tile, and by hand."""
import numpy as np
from scipy.special import softmax
from reference_common import Tally, X, logits, multi_tile_case


def relation_reference(pow=1.0, threshold=0.03, train=X, lg=logits):
    """Returns reference(x): s = -sum_{r_i > threshold} r_i^pow, r_i = max(<f, f_i>, 0) <p, p_i>."""
    def unit(v):
        return v / np.sqrt((v ** 2).sum(1, keepdims=True) + 1e-10)

    f_train, p_train = unit(train), softmax(lg(train), axis=1)

    def reference(x):
        r = np.maximum(unit(x) @ f_train.T, 0) * (softmax(lg(x), axis=1) @ p_train.T)
        return -np.where(r > threshold, r ** pow, 0).sum(1)

    return reference


tally = Tally()
tally.compare("relation", (), relation_reference())
tally.compare("relation", (("pow", 2.0),), relation_reference(pow=2.0))
tally.compare("relation", (("pow", 8), ("threshold", 0.2)), relation_reference(pow=8, threshold=0.2))

# More than one tile on both sides (1100 queries > 1024, 4500 train rows > 4096): sums accumulate across tiles.
W_syn, b_syn, train_syn, test_syn = multi_tile_case(11)
tally.hand_case("relation", (), train=train_syn, test=test_syn,
                expected=relation_reference(train=train_syn, lg=lambda v: v @ W_syn.T + b_syn)(test_syn),
                head=(W_syn, b_syn), tol=1e-4)

# By hand: W = I, b = 0; train (1, 0), (0, 1) with p1 = softmax(1, 0) = (0.7310586, 0.2689414), p2 = (0.2689414,
# 0.7310586). Test (3, 4): f = (0.6, 0.8), p = softmax(3, 4) = (0.2689414, 0.7310586);
# r1 = 0.6 * <p, p1> = 0.6 * 0.3932239 = 0.2359343, r2 = 0.8 * <p, p2> = 0.8 * 0.6067761 = 0.4854209.
# Test (-1, 0): <f, f1> = -1 is clamped to 0 and <f, f2> = 0, so both relations are 0 (dropped): s = 0.
hand = dict(train=[[1, 0], [0, 1]], test=[[3, 4], [-1, 0]], head=([[1, 0], [0, 1]], [0, 0]))
tally.hand_case("relation", (), expected=[-(0.2359343 + 0.4854209), 0], **hand)
tally.hand_case("relation", (("threshold", 0.3),), expected=[-0.4854209, 0], **hand)  # r1 < 0.3 dropped
tally.hand_case("relation", (("pow", 2.0),), expected=[-(0.2359343 ** 2 + 0.4854209 ** 2), 0], **hand)
tally.finish()
