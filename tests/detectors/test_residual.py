#!/usr/bin/env python3
"""residual (ViM's residual alone) against a float64 NumPy reference written from docs/methods.md and OpenOOD's
residual_postprocessor.py (u = -pinv(W) b, Σ_u of the ID val rows about u, R its D - D_p smallest-eigenvalue
directions, s = ‖Rᵀ(x - u)‖), fitted on ID val when given, else on ID train; on the bundled data and by hand."""
import numpy as np
from reference_common import D, W_head, X, X_val, Tally, b_head, refused, tests

u = -np.linalg.pinv(W_head) @ b_head  # W_head has full row rank: no singular value near the cut


def residual_reference(rows, dp):
    lam, U = np.linalg.eigh((rows - u).T @ (rows - u) / len(rows))
    R = U[:, : D - dp]  # eigh sorts ascending: the D - D_p smallest
    return lambda x: np.linalg.norm((x - u) @ R, axis=1)


tally = Tally()
tally.compare("residual", (), residual_reference(X, 512))  # no --val: fitted on ID train, OpenOOD's D_p = 512
tally.compare("residual", (("principal_dims", D // 2),), residual_reference(X, D // 2))
got = tally.compare("residual", (("principal_dims", 300),), residual_reference(X_val, 300), val=True)
# Able to fail: the val fit differs from the train fit.
train_fit = residual_reference(X, 300)
val_scores = got["chestxray_test"]
diff = np.linalg.norm(val_scores - train_fit(tests["chestxray_test"])) / np.linalg.norm(val_scores)
tally.record(diff > 1e-3, f"fitting on ID val differs from fitting on ID train: rel diff {diff:.2e}")

# By hand: W = I, b = (-1, 0), so u = (1, 0); D = 2, D_p = 1. Train rows minus u: (2, 0), (-2, 0), (0, 1), (0, -1):
# Σ_u = diag(2, 0.5), principal direction e1, residual e2, s = |x2|: (5, 3) -> 3, (0, -2) -> 2.
head = ([[1, 0], [0, 1]], [-1, 0])
train, test = [[3, 0], [-1, 0], [1, 1], [1, -1]], [[5, 3], [0, -2]]
tally.hand_case("residual", (), train=train, test=test, expected=[3, 2], head=head)
# With val rows (1, 3), (1, -3), (2, 0), (0, 0): minus u (0, ±3), (±1, 0), Σ_u = diag(0.5, 4.5), residual e1,
# s = |x1 - 1|: (5, 3) -> 4, (0, -2) -> 1.
tally.hand_case("residual", (), train=train, test=test, expected=[4, 1], head=head,
                val=[[1, 3], [1, -3], [2, 0], [0, 0]])
# split = train ignores the val rows: the train fit's scores again.
tally.hand_case("residual", (("split", "train"),), train=train, test=test, expected=[3, 2], head=head,
                val=[[1, 3], [1, -3], [2, 0], [0, 0]])
# Fewer fit rows than D_p is refused: D = 4, D_p = 2, one val row.
message = refused("residual", (), train=[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]], test=[[1, 1, 1, 1]],
                  head=([[1, 0, 0, 0], [0, 1, 0, 0]], [0, 0]), val=[[1, 2, 3, 4]])
tally.record(message is not None and "D_p = 2" in message, f"one val row for D_p = 2 is refused: {message}")
tally.finish()
