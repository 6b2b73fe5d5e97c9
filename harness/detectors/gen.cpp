// GEN, generalized entropy (Liu et al., CVPR 2023), docs/methods.md "More post-hoc baselines: logit and energy
// family": p = softmax(z); s = Σ_{the M largest p_j} p_j^γ (1 - p_j)^γ, M capped at C (γ = 0.1, M = 100).
// Reference: OpenOOD openood/postprocessors/gen_postprocessor.py (its confidence is -s).
// Tested against a float64 NumPy reference in tests/detectors/test_gen.py.
#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "harness/detectors/logit_detector.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class Gen final : public LogitDetector {
 public:
  explicit Gen(const Params& p) : gamma_(p.number("gamma")), m_(p.integer("M")) {
    if (!(gamma_ > 0)) throw InputError("gen: gamma must be > 0");
    if (m_ < 1) throw InputError("gen: M (how many of the largest probabilities enter the sum) must be >= 1");
  }

 protected:
  double score_row(const double* z, std::size_t c) const override {
    std::vector<double> p(z, z + c);
    softmax(p.data(), p.data(), c);
    const std::size_t m = std::min(c, static_cast<std::size_t>(m_));
    std::partial_sort(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(m), p.end(), std::greater<double>());
    double s = 0;
    for (std::size_t j = 0; j < m; ++j) s += std::pow(p[j], gamma_) * std::pow(1 - p[j], gamma_);
    return s;
  }

 private:
  double gamma_;
  std::int64_t m_;
};

OODBENCH_REGISTER_DETECTOR(Gen, {
    .name = "gen",
    .summary = "s = sum over the M largest p_j of p_j^gamma (1 - p_j)^gamma, p = softmax(z)",
    .reference = "docs/methods.md \"More post-hoc baselines: logit and energy family\"; Liu et al., "
                 "CVPR 2023",
    .needs_head = true,
    .params = {{"gamma", 0.1, "exponent gamma > 0", {}},
               {"M", 100, "how many of the largest probabilities enter the sum (capped at C)", {}}},
})

}  // namespace
}  // namespace oodbench
