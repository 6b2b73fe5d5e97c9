// Relative Mahalanobis (Ren et al. 2021), METHODS.md "Feature-space baselines": s = min_c [d_c(x) - d_0(x)], d_c the
// class-conditional Mahalanobis distance (shared covariance), d_0 the distance to the global mean under the global
// covariance. Tested against a float64 NumPy reference in tests/detectors/test_detectors_reference.py.
#include "harness/detectors/covariance_params.h"

namespace oodbench {
namespace {

class Rmds final : public Detector {
 public:
  explicit Rmds(const Params& p) : params_(p) {}
  void fit(FitContext& ctx) override {
    class_whitening_ = whitening_from(ctx.class_covariance(), params_);
    global_whitening_ = whitening_from(ctx.global_covariance(), params_);
    center_ = ctx.train_mean();
    centroids_ = whiten_rows(ctx.class_means(), center_, class_whitening_);
  }
  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<float> centred = subtract_row(x, center_);
    const Matrix<float> y = backend.matmul_nt(centred, class_whitening_.rows);
    std::vector<float> d = backend.nearest_centroid(y, centroids_, CentroidMetric::squared_l2).distance;
    const std::vector<double> d0 = whitened_sqnorms(centred, global_whitening_, backend);
    for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<float>(d[i] - d0[i]);
    return d;
  }

 private:
  Params params_;
  Whitening class_whitening_, global_whitening_;
  std::vector<double> center_;
  Matrix<float> centroids_;
};

OODBENCH_REGISTER_DETECTOR(Rmds, {"rmds", "s = min_c d_c(x) - d_0(x), d_0 the Mahalanobis distance to the global fit",
                                  "METHODS.md Feature-space; Ren et al., arXiv:2106.09022", true, false,
                                  covariance_params()})

}  // namespace
}  // namespace oodbench
