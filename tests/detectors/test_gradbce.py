#!/usr/bin/env python3
"""gradbce against torch autograd: per-sample gradients of pytorch-ood's loss, BCE(softmax(z), y) summed over classes,
with respect to the weight and bias of a float64 torch.nn.Linear head, normed as pytorch-ood's GradUncertainty,
GradNorm and GradNormKL norm them. The closed forms docs/methods.md gives are checked against the same autograd on
random heads; oodbench on the bundled data, on a 10-class head and by hand."""
import numpy as np
import torch
import torch.nn.functional as F
from scipy.special import softmax

from reference_common import Tally, W_head, b_head, multiclass_case, run_case, tests

torch.set_default_dtype(torch.float64)
VARIANTS = ("graduncertainty", "gradnorm", "gradnormkl")


def autograd_reference(variant, W=W_head, b=b_head, reduction="sum"):
    """Each row's gradient with respect to its own copy of (W, b): one autograd pass over a block of rows gives every
    row's parameter gradient, as pytorch-ood's per-sample loop does one at a time."""
    def score(x):
        out = []
        for block in np.array_split(x, max(1, len(x) // 256)):
            n = len(block)
            weight = torch.tensor(W).expand(n, *W.shape).clone().requires_grad_(True)
            bias = torch.tensor(b).expand(n, len(b)).clone().requires_grad_(True)
            z = torch.einsum("ncd,nd->nc", weight, torch.tensor(block)) + bias
            target = torch.full_like(z, 1.0 / z.shape[1] if variant == "gradnormkl" else 1.0)
            p = z.softmax(dim=1)
            per_class = F.binary_cross_entropy(p, target, reduction="none")  # each row's loss: its own sum or mean
            loss = (per_class.sum(1) if reduction == "sum" else per_class.mean(1)).sum()
            gw, gb = torch.autograd.grad(loss, [weight, bias])
            if variant == "gradnormkl":
                norm = gw.abs().sum((1, 2)) + gb.abs().sum(1)
            else:
                norm = (gw ** 2).sum((1, 2)) + (gb ** 2).sum(1)
            out.append((norm if variant == "gradnorm" else -norm).detach().numpy())
        return np.concatenate(out)
    return score


def closed_form(variant, W=W_head, b=b_head):
    """docs/methods.md's closed forms, in float64 NumPy."""
    def score(x):
        p = softmax(x @ W.T + b, axis=1)
        C = p.shape[1]
        if variant == "gradnormkl":
            inverse = 1 / (1 - p)
            g = C * p - 1 + (1 - 1 / C) * (1 - p * (inverse.sum(1, keepdims=True) - inverse))
            return -np.abs(g).sum(1) * (np.abs(x).sum(1) + 1)
        norm = ((C * p - 1) ** 2).sum(1) * ((x ** 2).sum(1) + 1)
        return norm if variant == "gradnorm" else -norm
    return score


tally = Tally()
# The closed forms are the autograd gradients, on random heads of 2 to 10 classes with moderate logits (torch's BCE
# divides by max(p (1 - p), 1e-12), which departs from the exact gradient only where a probability is below 1e-12).
rng = np.random.default_rng(3)
for C in (2, 3, 5, 10):
    W, b, x = rng.normal(size=(C, 16)), rng.normal(size=C), rng.normal(size=(64, 16))
    for variant in VARIANTS:
        ref, form = autograd_reference(variant, W, b)(x), closed_form(variant, W, b)(x)
        err = np.abs(form - ref).max() / np.abs(ref).max()  # gradnormkl: both lose digits in 1 - p where p is near 1
        tally.record(err < 1e-9, f"{variant} closed form vs autograd, C = {C}: max rel err {err:.1e}")
    # pytorch-ood's Gradient (reduction "mean") is GradNorm over C^2: a constant factor, the same ranking.
    ref = autograd_reference("gradnorm", W, b, reduction="mean")(x)
    err = np.abs(closed_form("gradnorm", W, b)(x) / C ** 2 - ref).max() / np.abs(ref).max()
    tally.record(err < 1e-12, f"Gradient (mean reduction) = gradnorm / C^2, C = {C}: max rel err {err:.1e}")

for variant in VARIANTS:
    tally.compare("gradbce", (("variant", variant),), autograd_reference(variant))
tally.compare("gradbce", (), autograd_reference("graduncertainty"))

# C = 2 (the bundled head) makes gradnormkl's g equal C p - 1; ten classes tell the targets apart.
W, b, train, _, sets = multiclass_case()
for variant in VARIANTS:
    tally.compare_case("gradbce", (("variant", variant),), autograd_reference(variant, W, b), train, sets, head=(W, b))
x = sets["mnist_far"]
r = np.corrcoef(closed_form("graduncertainty", W, b)(x), closed_form("gradnormkl", W, b)(x))[0, 1]
tally.record(r < 0.99, f"graduncertainty and gradnormkl on the 10-class mnist_far rows correlate {r:.4f}")

# By hand, W = I (C = 3), x = (ln 2, 0, 0): p = (1/2, 1/4, 1/4). Targets 1: g = 3p - 1 = (1/2, -1/4, -1/4),
# ‖g‖² = 3/8, ‖x‖² + 1 = 1 + ln² 2. Targets 1/3: 1/(1 - p) = (2, 4/3, 4/3), so g_0 = 1/2 + (2/3)(1 - (1/2)(8/3)) = 5/18,
# g_1 = g_2 = -1/4 + (2/3)(1 - (1/4)(10/3)) = -5/36: ‖g‖₁ = 5/9, ‖x‖₁ + 1 = 1 + ln 2.
eye, ln2 = (np.eye(3), np.zeros(3)), np.log(2)
for variant, expected in (("graduncertainty", -3 / 8 * (1 + ln2 ** 2)), ("gradnorm", 3 / 8 * (1 + ln2 ** 2)),
                          ("gradnormkl", -5 / 9 * (1 + ln2))):
    tally.hand_case("gradbce", (("variant", variant),), train=[[0, 0, 0]], test=[[ln2, 0, 0]], expected=[expected],
                    head=eye)
# A confident row, z = (40, 0, 0): p_0 = 1 - 2e, e ~ 4e-18, and 1 - p_0 rounds to 0 in float64. Its limit: g_1 = g_2 =
# -1 + (2/3)(1 - 1/2) = -2/3 and g_0 = 4/3, ‖g‖₁ = 8/3, ‖x‖₁ + 1 = 41 (torch's eps gives 3.5e-4 here instead).
run, scores = run_case("confident", "gradbce", (("variant", "gradnormkl"),), [[0, 0]], [[40, 0]],
                       head=([[1, 0], [0, 0], [0, 0]], [0, 0, 0]))
got = np.load(scores) if run.returncode == 0 else None
tally.record(got is not None and np.allclose(got, [-8 / 3 * 41], rtol=1e-6),
             f"gradnormkl of a row whose top probability rounds to 1: {got}, expected {-8 / 3 * 41} {run.stderr}")
tally.finish()
