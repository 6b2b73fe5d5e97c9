// LTS, logit scaling (Djurisic et al., 2024), docs/methods.md#lts: per sample, f = max(x, 0); k = D - round(D p / 100)
// (round half to even, as np.round; p = 95); S = (Σ_j f_j / Σ (the k largest f_j))²; s = -logsumexp(S · z), z = W x + b
// (scoring msp: s = -max softmax(S · z)). Nothing is fitted. As the authors' andrijazz/lts (lts.py, ood_eval.py).
// variant pytorch-ood: pytorch-ood's detector/lts.py, which takes no ReLU, keeps k = max(1, round(D (100 - p) / 100))
// and divides: s = -logsumexp(z / S). Where the k largest sum to 0 the scale is 1 (the references' is inf or NaN).
// Tested against a float64 NumPy reference in tests/detectors/test_lts.py.
#include <algorithm>
#include <cmath>
#include <string>

#include "harness/detectors/kth_largest.h"
#include "harness/detectors/logit_detector.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

bool authors_variant(const Params& p) { return p.text("variant") == "authors"; }

/// How many of the largest values set the scale: D - round(D p / 100) (the authors'), or pytorch-ood's
/// max(1, round(D (100 - p) / 100)); round half to even, as np.round and Python's round.
std::size_t kept(std::size_t d, double percentile, bool authors) {
  const double dims = static_cast<double>(d);
  if (authors) return d - static_cast<std::size_t>(std::nearbyint(dims * percentile / 100.0));
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::nearbyint(dims * ((100.0 - percentile) / 100.0))));
}

class Lts final : public Detector {
 public:
  explicit Lts(const Params& p)
      : percentile_(p.number("percentile")), authors_(authors_variant(p)), msp_(p.text("scoring") == "msp") {
    if (!(percentile_ >= 0 && percentile_ <= 100)) throw InputError("lts: percentile must be in [0, 100]");
  }

  void fit(FitContext& ctx) override { head_ = ctx.head(); }  // k >= 1: lts_limits, checked before fit

  void state(StateIO& io) override { io.field("head", head_); }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    Matrix<float> f = x;
    if (authors_)
      for (float& v : f.data) v = std::max(v, 0.0f);
    std::vector<double> scale(x.rows, 1.0);
    const std::size_t k = kept(x.cols, percentile_, authors_);
    for_each_row_top_sum(f, k, [&](std::size_t i, const float*, double total, double top) {
      if (top != 0) scale[i] = (total / top) * (total / top);
    });
    Matrix<double> z = head_.logits(x, backend);
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      double* row = z.row(i);
      for (std::size_t c = 0; c < z.cols; ++c) row[c] = authors_ ? row[c] * scale[i] : row[c] / scale[i];
      const double lse = logsumexp(row, z.cols);
      out[i] = static_cast<float>(msp_ ? -std::exp(row_max(row, z.cols) - lse) : -lse);
    }
    return out;
  }

 private:
  double percentile_;
  bool authors_;
  bool msp_;
  LinearHead head_;
};

std::vector<ParamLimit> lts_limits(const Params& p, const DataShape& shape) {
  const double percentile = p.number("percentile");
  if (!(percentile >= 0 && percentile <= 100) || kept(shape.dims, percentile, authors_variant(p)) > 0) return {};
  return {{"percentile", "percentile = " + nlohmann::json(percentile).dump() + " keeps none of the " +
                             std::to_string(shape.dims) + " features (k = D - round(D p / 100) = 0); use a smaller "
                             "percentile"}};
}

OODBENCH_REGISTER_DETECTOR(Lts, {
    .name = "lts",
    .summary = "s = -logsumexp(S z), S = (sum(relu x) / sum(top-k of relu x))^2, k = D - "
               "round(D p / 100)",
    .reference = "docs/methods.md#lts; Djurisic et al., arXiv 2409.01175 (2024)",
    .needs_head = true,
    .params = {{"percentile", 95.0,
                "p: the k = D - round(D p / 100) largest activations set the scale (the authors' "
                "lts@95)",
                {}},
               {"scoring", "energy", "score of the scaled logits: energy or msp", {"energy", "msp"}},
               {"variant", "authors",
                "authors (multiply the logits by S, after a ReLU) or pytorch-ood (divide by S, "
                "no ReLU, k = max(1, round(D (100 - p) / 100)))",
                {"authors", "pytorch-ood"}}},
    .limits = lts_limits,
})

}  // namespace
}  // namespace oodbench
