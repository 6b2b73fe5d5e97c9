// PCA-NRE, PCA with norm-relative reconstruction error (Guan et al., "Revisit PCA-based Technique for OOD Detection",
// ICCV 2023), docs/methods.md#pca_nre: x̃ = min(x, t), t the p-th percentile of all ID train values; U_k the k leading
// principal axes of ID train (unclipped) with mean μ; r = ‖(x̃ - μ) - U_k U_kᵀ (x̃ - μ)‖ / ‖x̃‖;
// s = -logsumexp(W x̃ + b) (1 - r). The residual is float64.
// Tested against a float64 NumPy reference in tests/detectors/test_pca_nre.py.
#include <algorithm>
#include <cmath>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "harness/fit/percentile.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class PcaNre final : public Detector {
 public:
  explicit PcaNre(const Params& p) : k_(p.integer("k")), percentile_(p.number("percentile")) {
    if (k_ < 1) throw InputError("pca_nre: k must be >= 1, got " + std::to_string(k_));
    if (!(percentile_ >= 0 && percentile_ <= 100)) throw InputError("pca_nre: percentile must be in [0, 100]");
  }

  void fit(FitContext& ctx) override {  // k <= D: pca_nre_limits, checked before fit
    head_ = ctx.head();
    std::vector<float> values(ctx.train().data.begin(), ctx.train().data.end());
    threshold_ = static_cast<float>(percentile(values, percentile_));
    center_ = ctx.train_mean();
    const SymmetricEigen& eig = ctx.global_covariance().eigen;
    const std::size_t d = ctx.dims(), k = static_cast<std::size_t>(k_);
    components_ = Matrix<double>(k, d);  // the largest eigenvalues are last
    for (std::size_t r = 0; r < k; ++r)
      for (std::size_t j = 0; j < d; ++j) components_(r, j) = eig.vectors(j, d - 1 - r);
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("threshold", threshold_);
    io.field("center", center_);
    io.field("components", components_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    Matrix<float> clipped = x;
    for (float& v : clipped.data) v = std::min(v, threshold_);
    Matrix<double> centred(x.rows, x.cols);
    for (std::size_t i = 0; i < x.rows; ++i)
      for (std::size_t j = 0; j < x.cols; ++j) centred(i, j) = clipped(i, j) - center_[j];
    const Matrix<double> proj = backend.matmul_nt(centred, components_);
    const Matrix<double> z = head_.logits(clipped, backend);
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      double all = 0, kept = 0, norm = 0;  // U_k is orthonormal: ‖c - U Uᵀ c‖² = ‖c‖² - ‖Uᵀ c‖²
      for (std::size_t j = 0; j < x.cols; ++j) {
        all += centred(i, j) * centred(i, j);
        norm += static_cast<double>(clipped(i, j)) * clipped(i, j);
      }
      for (std::size_t r = 0; r < proj.cols; ++r) kept += proj(i, r) * proj(i, r);
      const double ratio = std::sqrt(std::max(all - kept, 0.0)) / std::max(std::sqrt(norm), 1e-12);
      out[i] = static_cast<float>(-logsumexp(z.row(i), z.cols) * (1 - ratio));
    }
    return out;
  }

 private:
  std::int64_t k_;
  double percentile_;
  LinearHead head_;
  float threshold_ = 0;
  std::vector<double> center_;  // μ, the ID train mean
  Matrix<double> components_;   // k x D, largest variance first
};

std::vector<ParamLimit> pca_nre_limits(const Params& p, const DataShape& shape) {
  const std::int64_t k = p.integer("k");
  if (k < 1 || static_cast<std::size_t>(k) <= shape.dims) return {};
  return {{"k", "k = " + std::to_string(k) + " exceeds the " + std::to_string(shape.dims) +
                    " feature dimensions; set k to at most " + std::to_string(shape.dims)}};
}

OODBENCH_REGISTER_DETECTOR(PcaNre, {
    .name = "pca_nre",
    .summary = "s = -logsumexp(W min(x, t) + b) (1 - r), r the PCA reconstruction error of the "
               "clipped x relative to its norm",
    .reference = "docs/methods.md#pca_nre; Guan et al., ICCV 2023",
    .needs_head = true,
    .params = {{"k", 256, "principal axes kept (<= D)", {}},
               {"percentile", 92.0, "clipping percentile p of all ID train feature values", {}}},
    .limits = pca_nre_limits,
})

}  // namespace
}  // namespace oodbench
