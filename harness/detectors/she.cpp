// SHE, Simplified Hopfield Energy (Zhang et al., ICLR 2023), docs/methods.md "More post-hoc baselines":
// m_c = mean ID train feature of the rows with label c that the head also predicts as c; ŷ = argmax z(x);
// metric inner_product (default): s = -⟨x, m_ŷ⟩; euclidean: s = ‖x - m_ŷ‖; cosine: s = -⟨x, m_ŷ⟩ / (‖x‖ ‖m_ŷ‖)
// (each the negated similarity of OpenOOD's openood/postprocessors/she_postprocessor.py `distance`; pytorch-ood's
// detector/she.py is the inner product). A class with no correctly predicted train row is an InputError (both
// references silently produce NaN). Tested against a float64 NumPy reference in tests/detectors/test_she.py.
#include <algorithm>
#include <cmath>

#include "harness/detectors/detector.h"
#include "kernels/cpu/cpu_threads.h"
#include "harness/detectors/detector_state.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

enum class SheMetric { inner_product, euclidean, cosine };

SheMetric parse_metric(const std::string& name) {
  if (name == "euclidean") return SheMetric::euclidean;
  if (name == "cosine") return SheMetric::cosine;
  return SheMetric::inner_product;
}

class She final : public Detector {
 public:
  explicit She(const Params& p) : metric_(parse_metric(p.text("metric"))) {}

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    const Matrix<double>& z = ctx.train_logits();
    const Matrix<float>& x = ctx.train();
    const std::vector<std::int32_t>& y = ctx.labels();
    const std::size_t c = head_.classes(), d = x.cols;
    patterns_ = Matrix<double>(c, d);
    std::vector<std::size_t> counts(c);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const std::size_t label = static_cast<std::size_t>(y[i]);
      if (argmax(z.row(i), z.cols) != label) continue;
      ++counts[label];
      for (std::size_t j = 0; j < d; ++j) patterns_(label, j) += x(i, j);
    }
    for (std::size_t k = 0; k < c; ++k) {
      if (counts[k] == 0) {
        throw InputError("she: class " + std::to_string(k) +
                         " has no ID train row that the head predicts as its label, so its stored pattern is "
                         "undefined; use a head that classifies some of its train rows correctly");
      }
      for (std::size_t j = 0; j < d; ++j) patterns_(k, j) /= static_cast<double>(counts[k]);
    }
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("patterns", patterns_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<double> z = head_.logits(x, backend);
    std::vector<float> out(x.rows);
#pragma omp parallel for schedule(static) if (worth_threads(x.rows * x.cols))
    for (std::size_t i = 0; i < x.rows; ++i) {
      const double* m = patterns_.row(argmax(z.row(i), z.cols));
      const float* v = x.row(i);
      double dot = 0, xx = 0, mm = 0, dist = 0;
      for (std::size_t j = 0; j < x.cols; ++j) {
        dot += v[j] * m[j];
        xx += static_cast<double>(v[j]) * v[j];
        mm += m[j] * m[j];
        dist += (v[j] - m[j]) * (v[j] - m[j]);
      }
      double s = -dot;
      if (metric_ == SheMetric::euclidean) s = std::sqrt(dist);
      // torch.cosine_similarity floors each norm at eps = 1e-8
      if (metric_ == SheMetric::cosine) s = -dot / (std::max(std::sqrt(xx), 1e-8) * std::max(std::sqrt(mm), 1e-8));
      out[i] = static_cast<float>(s);
    }
    return out;
  }

 private:
  SheMetric metric_;
  LinearHead head_;
  Matrix<double> patterns_;  // C x D: m_c
};

OODBENCH_REGISTER_DETECTOR(She, {
    .name = "she",
    .summary = "s = -<x, m_yhat>, m_c the mean correctly classified ID train feature of class c",
    .reference = "docs/methods.md \"More post-hoc baselines\"; Zhang et al., ICLR 2023",
    .needs_labels = true,
    .needs_head = true,
    .params = {{"metric", "inner_product",
               "similarity to the stored pattern: inner_product, euclidean (s = distance) or "
               "cosine",
               {"inner_product", "euclidean", "cosine"}}},
})

}  // namespace
}  // namespace oodbench
