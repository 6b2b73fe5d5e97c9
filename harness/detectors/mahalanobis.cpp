// Mahalanobis (Lee et al. 2018, penultimate layer, no input perturbation), docs/methods.md#mahalanobis:
// s = min_c (x - μ_c)ᵀ P (x - μ_c), shared within-class covariance, P its inverse by a named convention (OpenOOD's
// pinvh by default; pytorch-ood's, current or legacy; the float32 cut) or, for experts, a cut, ridge or Ledoit-Wolf.
// Scored as the nearest whitened class mean: one n x D x rank product, no n x n matrix.
// Follows OpenOOD's mds_postprocessor.py (scikit-learn's EmpiricalCovariance().precision_); docs/methods.md#mahalanobis.
// Tested against scikit-learn's precision_ in tests/detectors/test_detectors_reference.py, and against pytorch-ood's
// Mahalanobis re-expressed in torch in tests/detectors/test_conventions.py.
// normalize = true is Mahalanobis++ (Müller & Hein 2025): the same on ℓ2-normalised features x / max(‖x‖, 1e-12), train
// (class means, covariance, pseudo-inverse) and test alike, as the authors' mdsn_postprocessor.py (mueller-mp/maha-norm);
// tested in tests/detectors/test_mahalanobis_normalize.py.
#include "harness/detectors/covariance_params.h"
#include "harness/detectors/detector_state.h"

namespace oodbench {
namespace {

/// The class statistics of the ℓ2-normalised ID train rows (Mahalanobis++), fitted once per FitContext.
struct NormalizedClassStatistics {
  std::vector<double> mean;    ///< mean of the normalised train rows (D)
  Matrix<double> class_means;  ///< C x D
  CovarianceFit covariance;    ///< shared within-class covariance around `class_means`
};

const NormalizedClassStatistics& normalized_class_statistics(FitContext& ctx) {
  return ctx.shared<NormalizedClassStatistics>("normalized_class_statistics", [&ctx] {
    const Matrix<double>& raw_means = ctx.class_means();  // checks labels and class count
    const Matrix<float>& x = ctx.normalized_train();
    const std::vector<std::int32_t>& labels = ctx.labels();
    NormalizedClassStatistics s;
    s.mean.assign(x.cols, 0.0);
    s.class_means = Matrix<double>(raw_means.rows, x.cols);
    std::vector<double> counts(raw_means.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const auto c = static_cast<std::size_t>(labels[i]);
      counts[c] += 1;
      for (std::size_t j = 0; j < x.cols; ++j) {
        s.class_means(c, j) += x(i, j);
        s.mean[j] += x(i, j);
      }
    }
    for (std::size_t c = 0; c < s.class_means.rows; ++c)
      for (std::size_t j = 0; j < x.cols; ++j) s.class_means(c, j) /= counts[c];
    for (double& m : s.mean) m /= static_cast<double>(x.rows);
    s.covariance = fit_covariance(ctx.backend(), x, s.class_means, labels);
    return s;
  });
}

std::vector<ParamSpec> mahalanobis_params() {
  std::vector<ParamSpec> p = covariance_params();
  p.push_back({"normalize", false,
               "Mahalanobis++ (Müller & Hein 2025): l2-normalise train and test features, x / max(||x||, 1e-12), "
               "before every statistic",
               {}});
  return p;
}

class Mahalanobis final : public Detector {
 public:
  explicit Mahalanobis(const Params& p) : params_(p), normalize_(p.flag("normalize")) {}
  void fit(FitContext& ctx) override {
    if (normalize_) {
      const NormalizedClassStatistics& s = normalized_class_statistics(ctx);
      whitening_ = whitening_from(ctx, s.covariance, inverse_rule(params_, s.covariance),
                                  "the class covariance of the normalised features");
      center_ = s.mean;
      centroids_ = whiten_rows(s.class_means, center_, whitening_);
      return;
    }
    whitening_ = whitening_from(ctx, ctx.class_covariance(), inverse_rule(params_, ctx.class_covariance()),
                                "the class covariance");
    center_ = ctx.train_mean();  // shifting by the train mean first keeps the float32 projection well scaled
    centroids_ = whiten_rows(ctx.class_means(), center_, whitening_);
  }
  void state(StateIO& io) override {
    io.field("whitening", whitening_);
    io.field("center", center_);
    io.field("centroids", centroids_);
  }
  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<double> y = normalize_ ? whiten(normalize_rows(x), center_, whitening_, backend)
                                        : whiten(x, center_, whitening_, backend);
    return to_scores(nearest_sqdist(y, centroids_, backend));
  }

 private:
  Params params_;
  bool normalize_;
  Whitening whitening_;
  std::vector<double> center_;
  Matrix<double> centroids_;
};

OODBENCH_REGISTER_DETECTOR(Mahalanobis, {
    .name = "mahalanobis",
    .summary = "s = min_c (x - mu_c)^T pinv(Sigma) (x - mu_c), shared Sigma",
    .reference = "docs/methods.md#mahalanobis; Lee et al., NeurIPS 2018",
    .needs_labels = true,
    .params = mahalanobis_params(),
    .limits = convention_limits,
})

}  // namespace
}  // namespace oodbench
