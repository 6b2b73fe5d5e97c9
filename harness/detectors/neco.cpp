// NECO (Ammar et al., ICLR 2024), docs/methods.md#neco: standardise with the ID train mean and std,
// PCA fitted on the standardised ID train keeping d components (capped at D); ratio = ‖PCA(x_std)‖ / ‖x_std‖;
// s = -ratio · max_c z_c (use_maxlogit) or -ratio.
// Tested against a float64 NumPy reference in tests/detectors/test_detectors_reference.py.
#include <algorithm>
#include <cmath>

#include "harness/fit/covariance.h"
#include "harness/fit/standardize.h"
#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

class Neco final : public Detector {
 public:
  explicit Neco(const Params& p) : dims_(p.integer("dims")), use_maxlogit_(p.flag("use_maxlogit")) {
    if (dims_ < 1) throw InputError("neco: dims must be >= 1, got " + std::to_string(dims_));
  }

  void fit(FitContext& ctx) override {
    if (use_maxlogit_) head_ = ctx.head();
    const Backend& backend = ctx.backend();
    const std::size_t d = ctx.dims();
    standardization_ = Standardization::fit(ctx.train());
    const Matrix<float> standardized = standardization_.apply(ctx.train());
    Matrix<double> zero(1, d);  // the standardised train mean is 0
    const SymmetricEigen eig = backend.eigh(fit_covariance(backend, standardized, zero, {}).matrix);
    const std::size_t keep = std::min<std::size_t>(static_cast<std::size_t>(dims_), d);
    components_ = Matrix<float>(keep, d);  // the largest eigenvalues are last
    for (std::size_t r = 0; r < keep; ++r)
      for (std::size_t j = 0; j < d; ++j) components_(r, j) = static_cast<float>(eig.vectors(j, d - 1 - r));
  }

  void state(StateIO& io) override {
    io.field("head", head_);  // empty without use_maxlogit
    io.field("standardization", standardization_);
    io.field("components", components_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<float> xs = standardization_.apply(x);
    const Matrix<float> proj = backend.matmul_nt(xs, components_);
    Matrix<double> z;
    if (use_maxlogit_) z = head_.logits(x, backend);
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const double norm = std::sqrt(static_cast<double>(squared_norm(xs.row(i), xs.cols)));
      const double ratio = norm > 0 ? std::sqrt(static_cast<double>(squared_norm(proj.row(i), proj.cols))) / norm : 0;
      out[i] = static_cast<float>(-(use_maxlogit_ ? ratio * row_max(z.row(i), z.cols) : ratio));
    }
    return out;
  }

 private:
  std::int64_t dims_;
  bool use_maxlogit_;
  LinearHead head_;
  Standardization standardization_;
  Matrix<float> components_;  // d x D, largest variance first
};

OODBENCH_REGISTER_DETECTOR(Neco, {
    .name = "neco",
    .summary = "s = -(||PCA_d(x_std)|| / ||x_std||) * max_c z_c",
    .reference = "docs/methods.md#neco; Ammar et al., ICLR 2024",
    .needs_head = true,
    .params = {{"dims", 100, "PCA components kept (capped at D)", {}},
               {"use_maxlogit", true, "multiply the ratio by the max logit", {}}},
})

}  // namespace
}  // namespace oodbench
