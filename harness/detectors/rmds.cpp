// Relative Mahalanobis (Ren et al. 2021), docs/methods.md#rmds: s = min_c [d_c(x) - d_0(x)], d_c the
// class-conditional Mahalanobis distance (shared covariance), d_0 the distance to the global mean under the global
// covariance. Follows OpenOOD's rmds_postprocessor.py; docs/methods.md#rmds. Tested against scikit-learn's
// EmpiricalCovariance().precision_ in tests/detectors/test_detectors_reference.py, and its pytorch-ood conventions
// against pytorch-ood's RMD re-expressed in torch in tests/detectors/test_conventions.py.
#include "harness/detectors/covariance_params.h"
#include "harness/detectors/detector_state.h"

namespace oodbench {
namespace {

class Rmds final : public Detector {
 public:
  explicit Rmds(const Params& p) : params_(p) {}
  void fit(FitContext& ctx) override {
    const CovarianceFit& global = ctx.global_covariance();
    // pytorch-ood's RMD takes its class precision from Mahalanobis (now a pinv) but inverts the background scatter
    // with inv: the legacy rule (docs/methods.md#rmds).
    const bool pytorch_ood = parse_convention(params_.text("convention")) == Convention::pytorch_ood;
    class_whitening_ = whitening_from(ctx, ctx.class_covariance(), inverse_rule(params_, ctx.class_covariance()),
                                      "the class covariance");
    global_whitening_ = whitening_from(
        ctx, global,
        pytorch_ood ? convention_rule(Convention::pytorch_ood_legacy, global.matrix.rows, global.samples)
                    : inverse_rule(params_, global),
        "the global covariance");
    center_ = ctx.train_mean();
    centroids_ = whiten_rows(ctx.class_means(), center_, class_whitening_);
  }
  void state(StateIO& io) override {
    io.field("class_whitening", class_whitening_);
    io.field("global_whitening", global_whitening_);
    io.field("center", center_);
    io.field("centroids", centroids_);
  }
  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    std::vector<double> d = nearest_sqdist(whiten(x, center_, class_whitening_, backend), centroids_, backend);
    const std::vector<double> d0 = row_sqnorms(whiten(x, center_, global_whitening_, backend));
    for (std::size_t i = 0; i < d.size(); ++i) d[i] -= d0[i];  // in float64: the two distances nearly cancel
    return to_scores(d);
  }

 private:
  Params params_;
  Whitening class_whitening_, global_whitening_;
  std::vector<double> center_;
  Matrix<double> centroids_;
};

OODBENCH_REGISTER_DETECTOR(Rmds, {
    .name = "rmds",
    .summary = "s = min_c d_c(x) - d_0(x), d_0 the Mahalanobis distance to the global fit",
    .reference = "docs/methods.md#rmds; Ren et al., arXiv:2106.09022",
    .needs_labels = true,
    .params = covariance_params(),
    .limits = convention_limits,
})

}  // namespace
}  // namespace oodbench
