// ReAct + Energy (Sun et al. 2021), METHODS.md "Logit-based baselines": clip features at the p-th percentile of all
// ID train feature values (NumPy's linear interpolation), z = W min(x, t) + b, s = -logsumexp(z).
// Tested against a float64 NumPy reference in tests/detectors/test_detectors_reference.py.
#include <algorithm>
#include <cmath>

#include "harness/detectors/detector.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

/// numpy.percentile(values, p) with the default linear interpolation. Reorders `values`.
double percentile(std::vector<float>& values, double p) {
  const double position = p / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(position));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(lo), values.end());
  const double low = values[lo];
  if (lo + 1 >= values.size()) return low;
  const double high = *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(lo) + 1, values.end());
  return low + (high - low) * (position - static_cast<double>(lo));
}

class ReAct final : public Detector {
 public:
  explicit ReAct(const Params& p) : percentile_(p.number("percentile")) {
    if (!(percentile_ >= 0 && percentile_ <= 100)) throw InputError("react: percentile must be in [0, 100]");
  }
  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    std::vector<float> values = ctx.train().data;
    threshold_ = static_cast<float>(percentile(values, percentile_));
  }
  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    Matrix<float> clipped = x;
    for (float& v : clipped.data) v = std::min(v, threshold_);
    const Matrix<double> z = head_.logits(clipped, backend);
    std::vector<float> out(z.rows);
    for (std::size_t i = 0; i < z.rows; ++i) out[i] = static_cast<float>(-logsumexp(z.row(i), z.cols));
    return out;
  }

 private:
  double percentile_;
  float threshold_ = 0;
  LinearHead head_;
};

OODBENCH_REGISTER_DETECTOR(ReAct, {"react", "s = -logsumexp(W min(x, t) + b), t = p-th percentile of ID train values",
                                   "METHODS.md Logit-based; Sun et al., NeurIPS 2021", false, true,
                                   {{"percentile", 90.0, "clipping percentile p of all ID train feature values", {}}}})

}  // namespace
}  // namespace oodbench
