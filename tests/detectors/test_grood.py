#!/usr/bin/env python3
"""grood against a float64 reference written from docs/methods.md: the per-row gradient of the nearest-prototype
cross-entropy with respect to the OOD prototype taken by PyTorch's autograd (not the closed form oodbench uses), and
the exact nearest neighbour among the correctly classified train rows' gradients by brute force; on the bundled data,
a 10-class case and by hand."""
import numpy as np
import torch
from scipy.spatial.distance import cdist
from reference_common import Tally, W_head, X, b_head, multiclass_case, refused, run_score, tests, y


def autograd_gradients(x, prototypes, predicted):
    """d CE(-‖x - P_j‖, predicted) / d μ_o per row, P = [class prototypes; μ_o], by autograd in float64."""
    rows = torch.from_numpy(x)
    ood = torch.from_numpy(prototypes[-1]).repeat(len(x), 1).requires_grad_(True)  # one μ_o per row
    others = torch.from_numpy(prototypes[:-1])
    distances = torch.cat([torch.cdist(rows, others), (rows - ood).norm(dim=1, keepdim=True)], dim=1)
    loss = torch.nn.functional.cross_entropy(-distances, torch.from_numpy(predicted), reduction="sum")
    loss.backward()
    return ood.grad.numpy()


def grood_reference(train, train_y, W, b, bank_rows=None):
    classes = W.shape[0]
    means = np.stack([train[train_y == c].mean(0) for c in range(classes)])
    prototypes = np.vstack([means, means.mean(0)])
    predicted = (train @ W.T + b).argmax(1)
    keep = predicted == train_y if bank_rows is None else bank_rows
    bank = autograd_gradients(train[keep], prototypes, predicted[keep])

    def score(x):
        g = autograd_gradients(x, prototypes, (x @ W.T + b).argmax(1))
        return cdist(g, bank, "sqeuclidean").min(1)  # from the differences, not the expanded square
    return score


tally = Tally()
tally.compare("grood", (), grood_reference(X, y, W_head, b_head))
# Able to fail: a bank of every train row, misclassified ones included, gives other scores.
x = tests["chestxray_test"]
got = run_score("grood")["chestxray_test"]
wrong = grood_reference(X, y, W_head, b_head, bank_rows=np.ones(len(y), bool))(x)
diff = np.linalg.norm(got - wrong) / np.linalg.norm(wrong)
tally.record(diff > 1e-3, f"a bank of all train rows would differ: rel diff {diff:.2e}")

W, b, train, train_y, sets = multiclass_case()
tally.compare_case("grood", (), grood_reference(train, train_y, W, b), train, sets, labels=train_y, head=(W, b))

# By hand: D = 1, W = (1; -1), b = 0 (predicts 0 for x >= 0). Train 2, 4 (class 0), -2 and 1 (class 1; 1 is
# predicted 0, so it stays out of the bank). μ_0 = 3, μ_1 = -0.5, μ_o = 1.25. In one dimension g(x) =
# p_o(x) sign(x - μ_o), p_o(x) = e^-|x - μ_o| / Σ_j e^-|x - μ_j|; x = 1.25 = μ_o has g = 0.
def p_ood(v):
    d = np.abs(v - np.array([3, -0.5, 1.25]))
    return np.exp(-d[2]) / np.exp(-d).sum()


bank = np.array([p_ood(2), p_ood(4), -p_ood(-2)])
expected = [((p_ood(2.5) - bank) ** 2).min(), (bank ** 2).min(), ((-p_ood(0) - bank) ** 2).min()]
tally.hand_case("grood", (), train=[[2], [4], [-2], [1]], labels=[0, 0, 1, 1], test=[[2.5], [1.25], [0]],
                head=([[1], [-1]], [0, 0]), expected=expected)
message = refused("grood", (), train=[[2], [-2]], labels=[1, 0], test=[[1]], head=([[1], [-1]], [0, 0]))
tally.record(message is not None and "no ID train row" in message, f"a head that gets every row wrong: {message}")
tally.finish()
