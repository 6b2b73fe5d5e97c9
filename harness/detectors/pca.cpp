// PCA reconstruction error, docs/methods.md#pca: s = ‖x - x̂‖², x̂ = μ + U Uᵀ (x - μ), U the top
// principal directions of the centred ID train features that together explain `variance` of their variance.
// Tested against a float64 NumPy reference in tests/detectors/test_detectors_reference.py.
#include <algorithm>

#include "harness/fit/covariance.h"
#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class Pca final : public Detector {
 public:
  explicit Pca(const Params& p) : variance_(p.number("variance")) {
    if (!(variance_ > 0 && variance_ <= 1)) throw InputError("pca: variance must be in (0, 1]");
  }

  void fit(FitContext& ctx) override {
    const CovarianceFit& cov = ctx.global_covariance();
    center_ = ctx.train_mean();
    const std::size_t d = ctx.dims();
    double total = 0;
    for (double v : cov.eigen.values) total += std::max(v, 0.0);
    std::size_t keep = 0;
    for (double explained = 0; keep < d && explained < variance_ * total; ++keep) {
      explained += std::max(cov.eigen.values[d - 1 - keep], 0.0);
    }
    components_ = Matrix<float>(keep, d);
    for (std::size_t r = 0; r < keep; ++r)
      for (std::size_t j = 0; j < d; ++j) components_(r, j) = static_cast<float>(cov.eigen.vectors(j, d - 1 - r));
  }

  void state(StateIO& io) override {
    io.field("center", center_);
    io.field("components", components_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<float> centred = subtract_row(x, center_);
    const Matrix<float> proj = backend.matmul_nt(centred, components_);
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      // U is orthonormal: ‖c - U Uᵀ c‖² = ‖c‖² - ‖Uᵀ c‖²
      const double residual = static_cast<double>(squared_norm(centred.row(i), centred.cols)) -
                              static_cast<double>(squared_norm(proj.row(i), proj.cols));
      out[i] = static_cast<float>(std::max(residual, 0.0));
    }
    return out;
  }

  std::size_t components() const { return components_.rows; }

 private:
  double variance_;
  std::vector<double> center_;
  Matrix<float> components_;  // k x D, largest variance first
};

OODBENCH_REGISTER_DETECTOR(Pca, {
    .name = "pca",
    .summary = "s = ||x - mu - U U^T (x - mu)||^2, U explaining `variance` of ID variance",
    .reference = "docs/methods.md#pca",
    .params = {{"variance", 0.9, "fraction of ID train variance the kept directions explain", {}}},
})

}  // namespace
}  // namespace oodbench
