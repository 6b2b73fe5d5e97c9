#!/usr/bin/env python3
"""mcm (Maximum Concept Matching) against a float64 NumPy reference written from docs/methods.md: the head's weight
rows as class text embeddings, s = -max softmax(cos / T), on the bundled data, a 10-class case and by hand."""
import numpy as np
from reference_common import Tally, W_head, multiclass_case, run_case, tests


def mcm_reference(W, temperature=1.0):
    concepts = W / np.linalg.norm(W, axis=1, keepdims=True)

    def score(x):
        cos = (x / np.linalg.norm(x, axis=1, keepdims=True)) @ concepts.T / temperature
        p = np.exp(cos - cos.max(1, keepdims=True))
        return -(p / p.sum(1, keepdims=True)).max(1)
    return score


tally = Tally()
got = tally.compare("mcm", (), mcm_reference(W_head))
# At T = 1 the cosines of a C = 2 head barely move the softmax off 1/2: check the part that varies as well.
for name, x in tests.items():
    ref = mcm_reference(W_head)(x)
    err = np.linalg.norm((got[name] - ref.mean()) - (ref - ref.mean())) / np.linalg.norm(ref - ref.mean())
    tally.record(err <= 1e-3, f"mcm T = 1 {name}: rel err of the centred scores {err:.2e}")
# pytorch-ood's temperature = 100. Confident rows reach a max softmax within float32's spacing of 1 (-1.0 written, ties,
# as in pytorch-ood's float32), so the AUROC is compared with the float64 reference rounded as the scores are written.
tally.compare("mcm", (("temperature", 0.01),), lambda x: mcm_reference(W_head, 0.01)(x).astype(np.float32))

W, b, train, train_y, sets = multiclass_case()
for temperature in (1.0, 0.01):
    tally.compare_case("mcm", (("temperature", temperature),), mcm_reference(W, temperature), train, sets,
                       head=(W, b))

# By hand: t_0 = (2, 0), t_1 = (0, 1) (normalised: e_0, e_1). x = (3, 4): cosines 0.6 and 0.8;
# T = 0.1: softmax max = 1 / (1 + exp(-2)). x = (1, 0): cosines 1 and 0, T = 1: 1 / (1 + exp(-1)).
head = ([[2, 0], [0, 1]], [0, 0])
tally.hand_case("mcm", (("temperature", 0.1),), train=[[1, 1]], test=[[3, 4]], head=head,
                expected=[-1 / (1 + np.exp(-2))])
tally.hand_case("mcm", (), train=[[1, 1]], test=[[1, 0]], head=head, expected=[-1 / (1 + np.exp(-1))])
# A supplied bias is ignored, with a warning; a zero bias gives none.
run, _ = run_case("bias", "mcm", (), train=[[1, 1]], test=[[1, 0]], head=([[2, 0], [0, 1]], [5, 0]))
tally.record(run.returncode == 0 and "bias is ignored" in run.stderr, f"a non-zero bias is warned about: {run.stderr}")
run, _ = run_case("bias", "mcm", (), train=[[1, 1]], test=[[1, 0]], head=head)
tally.record(run.returncode == 0 and "warning" not in run.stderr, f"a zero bias is not: {run.stderr}")
tally.finish()
