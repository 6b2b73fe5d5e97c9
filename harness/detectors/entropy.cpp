// Entropy of the softmax, docs/methods.md#entropy: s = -Σ_c p_c log p_c (high entropy = more OOD).
// Tested against a float64 NumPy reference in tests/detectors/test_detectors_reference.py.
#include "harness/detectors/logit_detector.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class Entropy final : public LogitDetector {
 public:
  explicit Entropy(const Params&) {}

 protected:
  double score_row(const double* z, std::size_t c) const override {
    const double lse = logsumexp(z, c);
    double h = 0;
    for (std::size_t k = 0; k < c; ++k) {
      const double log_p = z[k] - lse;
      h -= exp(log_p) * log_p;  // log p from the logits: exact even where p underflows to 0
    }
    return h;
  }
};

OODBENCH_REGISTER_DETECTOR(Entropy, {
    .name = "entropy",
    .summary = "s = -sum_c p_c log p_c",
    .reference = "docs/methods.md#entropy",
    .needs_head = true,
})

}  // namespace
}  // namespace oodbench

