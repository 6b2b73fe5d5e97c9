// Temperature scaling (Guo et al., ICML 2017), docs/methods.md "More post-hoc baselines: logit and energy family":
// T > 0 minimises the mean cross-entropy CE(T) = mean_i [logsumexp(z_i / T) - z_{i,y_i} / T] on labelled ID val
// (else on labelled ID train); s = -max_c softmax(z / T)_c.
// Reference: OpenOOD openood/postprocessors/temp_scaling_postprocessor.py (50 LBFGS steps from T = 1.5; here the
// 1-D convex problem is solved exactly). Tested in tests/detectors/test_tempscale.py.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "harness/detectors/logit_detector.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

/// The mean cross-entropy's derivative in β = 1/T: CE(β) = mean_i [logsumexp(β z_i) - β z_{i,y_i}] is convex in β,
/// with CE'(β) = mean_i [E_{softmax(β z_i)} z - z_{i,y_i}] and CE''(β) = mean_i Var_{softmax(β z_i)} z >= 0.
struct CrossEntropySlope {
  double first = 0, second = 0;
};

CrossEntropySlope slope(const Matrix<double>& z, const std::vector<std::int32_t>& y, double beta) {
  CrossEntropySlope out;
  for (std::size_t i = 0; i < z.rows; ++i) {
    const double* row = z.row(i);
    const double m = row_max(row, z.cols);
    double sum = 0, mean = 0, square = 0;
    for (std::size_t c = 0; c < z.cols; ++c) {
      const double w = std::exp(beta * (row[c] - m));  // centred on the max: no overflow at any β
      sum += w;
      mean += w * (row[c] - m);
      square += w * (row[c] - m) * (row[c] - m);
    }
    mean /= sum;
    out.first += mean - (row[y[i]] - m);
    out.second += square / sum - mean * mean;
  }
  out.first /= static_cast<double>(z.rows);
  out.second /= static_cast<double>(z.rows);
  return out;
}

/// The exact minimiser T of the mean cross-entropy of softmax(z / T) against `y`: the root of CE'(β), β = 1/T, by
/// Newton's method kept inside a bisection bracket, to machine precision. `what` names the data in errors.
double fit_temperature(const Matrix<double>& z, const std::vector<std::int32_t>& y, const std::string& what) {
  // As β -> ∞, CE'(β) -> mean_i (max_c z_ic - z_{i,y_i}) >= 0, zero exactly when no row is misclassified: then the
  // cross-entropy keeps falling as T -> 0 and has no finite minimiser.
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < z.rows; ++i) wrong += z(i, y[i]) < row_max(z.row(i), z.cols);
  if (wrong == 0) {
    throw InputError("tempscale: every row of the " + what +
                     " is classified correctly by the head, so the cross-entropy decreases as T -> 0 and no finite "
                     "temperature minimises it; fit on data the head gets partly wrong (e.g. a held-out ID val split)");
  }
  // At β = 0 (T = ∞) the slope is mean_i (mean_c z_ic - z_{i,y_i}); not negative means the logits do no better than
  // uniform on average and the cross-entropy falls as T -> ∞.
  if (!(slope(z, y, 0).first < 0)) {
    throw InputError("tempscale: on the " + what +
                     " the head's logits are no better than uniform probabilities (the cross-entropy decreases as "
                     "T -> infinity), so no finite temperature minimises it; check the head and the labels");
  }
  double lo = 0, hi = 1;  // CE'(lo) < 0 < CE'(hi)
  while (slope(z, y, hi).first <= 0) {
    lo = hi;
    hi *= 2;
    if (!std::isfinite(hi))
      throw InputError("tempscale: no finite temperature minimises the cross-entropy on the " + what);
  }
  double beta = 0.5 * (lo + hi);
  for (int iteration = 0; iteration < 200; ++iteration) {
    const CrossEntropySlope s = slope(z, y, beta);
    if (s.first == 0) break;
    (s.first < 0 ? lo : hi) = beta;
    double next = s.second > 0 ? beta - s.first / s.second : 0.5 * (lo + hi);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);  // Newton left the bracket: bisect instead
    const bool converged = std::fabs(next - beta) <= 4 * std::numeric_limits<double>::epsilon() * beta;
    beta = next;
    if (converged || hi - lo <= 4 * std::numeric_limits<double>::epsilon() * hi) break;
  }
  return 1.0 / beta;
}

class TempScale final : public LogitDetector {
 public:
  explicit TempScale(const Params&) {}

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    const Matrix<float>* val = ctx.validation();
    if (val && !ctx.validation_labels().empty()) {
      split_ = "val";
      temperature_ = fit_temperature(head_.logits(*val, ctx.backend()), ctx.validation_labels(), "ID val split");
    } else if (ctx.has_labels()) {
      split_ = "train";
      if (val) ctx.warn("the ID val features came without labels; T is fitted on labelled ID train");
      temperature_ = fit_temperature(ctx.train_logits(), ctx.labels(), "ID train split");
    } else {
      throw FitInputError(FitInput::fit_labels, "tempscale: fitting the temperature needs labelled ID data");
    }
  }

  void state(StateIO& io) override {
    LogitDetector::state(io);
    io.field("temperature", temperature_);
    io.field("fit_split", split_);
  }

  std::string fit_split() const override { return split_; }

 protected:
  double score_row(const double* z, std::size_t c) const override {
    return -exp((row_max(z, c) - logsumexp(z, c, temperature_)) / temperature_);
  }

 private:
  double temperature_ = 1;
  std::string split_ = "train";
};

OODBENCH_REGISTER_DETECTOR(TempScale, {
    .name = "tempscale",
    .summary = "s = -max_c softmax(z / T)_c, T minimising the ID val cross-entropy",
    .reference = "docs/methods.md \"More post-hoc baselines: logit and energy family\"; Guo et "
                 "al., ICML 2017",
    .needs_head = true,
    .needs_fit_labels = true,
})

}  // namespace
}  // namespace oodbench
