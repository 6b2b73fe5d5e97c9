// Mahalanobis (Lee et al. 2018, penultimate layer, no input perturbation), docs/methods.md#mahalanobis:
// s = min_c (x - μ_c)ᵀ P (x - μ_c), shared within-class covariance, P its pseudo-inverse (rcond), optional ridge or
// Ledoit-Wolf shrinkage. Scored as the nearest whitened class mean: one n x D x rank product, no n x n matrix.
// Follows OpenOOD's mds_postprocessor.py (scikit-learn's EmpiricalCovariance().precision_); docs/methods.md#mahalanobis.
// Tested against scikit-learn's precision_ in tests/detectors/test_detectors_reference.py.
#include "harness/detectors/covariance_params.h"
#include "harness/detectors/detector_state.h"

namespace oodbench {
namespace {

class Mahalanobis final : public Detector {
 public:
  explicit Mahalanobis(const Params& p) : params_(p) {}
  void fit(FitContext& ctx) override {
    whitening_ = whitening_from(ctx, ctx.class_covariance(), params_, "mahalanobis");
    center_ = ctx.train_mean();  // shifting by the train mean first keeps the float32 projection well scaled
    centroids_ = whiten_rows(ctx.class_means(), center_, whitening_);
  }
  void state(StateIO& io) override {
    io.field("whitening", whitening_);
    io.field("center", center_);
    io.field("centroids", centroids_);
  }
  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    return to_scores(nearest_sqdist(whiten(x, center_, whitening_, backend), centroids_, backend));
  }

 private:
  Params params_;
  Whitening whitening_;
  std::vector<double> center_;
  Matrix<double> centroids_;
};

OODBENCH_REGISTER_DETECTOR(Mahalanobis, {"mahalanobis", "s = min_c (x - mu_c)^T pinv(Sigma) (x - mu_c), shared Sigma",
                                         "docs/methods.md#mahalanobis; Lee et al., NeurIPS 2018", true, false,
                                         covariance_params()})

}  // namespace
}  // namespace oodbench
