// MaRS, docs/methods.md#mars: an autoencoder learns the ID embeddings; a sample is scored by the
// Mahalanobis distance of its reconstruction residual r = x - g(f(x)), s = rᵀ Σ⁺ r, Σ the covariance of ID residuals
// (train or val split). Options: centring (score r - r̄ instead of the raw r, which the paper uses), shrinkage,
// and the ablations `mode = diagonal` (Σ's diagonal only) and `mode = low_pca` (the `low_dims` lowest-variance
// directions of Σ, each with weight 1). The autoencoder is shared with ae_l2 when their parameters agree.
// Tested against a NumPy reference from the same weights in tests/detectors/test_mars.py.
#include <algorithm>

#include "harness/detectors/autoencoder_params.h"
#include "harness/detectors/covariance_params.h"
#include "harness/detectors/detector_state.h"
#include "harness/fit/finite.h"

namespace oodbench {
namespace {

std::vector<ParamSpec> mars_params() {
  std::vector<ParamSpec> p = autoencoder_params();
  for (ParamSpec& s : covariance_params()) p.push_back(std::move(s));
  p.push_back({"residual_split", "train", "ID split whose residuals give Σ: train or val (needs ID val)", {"train", "val"}});
  p.push_back({"centering", false, "score r - mean ID residual instead of the raw residual", {}});
  p.push_back({"mode", "full", "full Σ⁺; diagonal Σ (ablation); low_pca: lowest-variance directions, weight 1",
               {"full", "diagonal", "low_pca"}});
  p.push_back({"low_dims", 0, "directions kept by mode = low_pca; 0 means D / 2", {}});
  return p;
}

/// residual_split = val fits Σ on the val residuals; early stopping watches the val loss.
std::vector<std::string> mars_needs_validation(const nlohmann::json& p) {
  std::vector<std::string> out;
  if (p.value("residual_split", "") == "val") out.push_back("residual_split = val");
  for (std::string& need : autoencoder_needs_validation(p)) out.push_back(std::move(need));
  return out;
}

class Mars final : public Detector {
 public:
  explicit Mars(const Params& p) : params_(p), centering_(p.flag("centering")), mode_(p.text("mode")) {}

  void fit(FitContext& ctx) override {
    ae_.borrow(fitted_autoencoder(ctx, params_));
    const Backend& backend = ctx.backend();
    const bool use_val = params_.text("residual_split") == "val";
    if (use_val && !ctx.validation())
      throw FitInputError(FitInput::val, "residual_split = val needs ID validation features");
    const Matrix<float> r = ae_->residuals(use_val ? *ctx.validation() : ctx.train(), backend);
    check_finite(r, "the autoencoder's residuals (its reconstructions overflowed float32) are");
    const std::size_t d = r.cols;
    Matrix<double> mean(1, d);
    for (std::size_t i = 0; i < r.rows; ++i)
      for (std::size_t j = 0; j < d; ++j) mean(0, j) += r(i, j);
    for (double& m : mean.data) m /= static_cast<double>(r.rows);
    center_.assign(d, 0.0);
    if (centering_) center_.assign(mean.data.begin(), mean.data.end());
    const CovarianceFit cov = fit_covariance(backend, r, mean, {});
    spectrum_ = cov.eigen;
    id_energy_ = energies(subtract_row(r, center_), backend);
    if (cov.samples <= d) ctx.warn("the residual covariance from " + std::to_string(cov.samples) + " samples in " +
                                   std::to_string(d) + " dimensions is singular; using its pseudo-inverse");
    if (mode_ == "full") {
      projection_ = whitening_from(ctx, cov, inverse_rule(params_, cov), "the residual covariance");
    } else if (mode_ == "diagonal") {  // the convention's rule on the variances; shrinkage does not apply
      std::vector<double> variances(d);
      for (std::size_t j = 0; j < d; ++j) variances[j] = cov.matrix(j, j);
      const KeptEigenvalues kept =
          kept_eigenvalues(std::move(variances), inverse_rule(params_, d, cov.samples, /*shrinkage=*/false));
      projection_.rows = Matrix<double>(kept.index.size(), d);
      for (std::size_t r_ = 0; r_ < kept.index.size(); ++r_)
        projection_.rows(r_, kept.index[r_]) = 1.0 / std::sqrt(kept.value[r_]);
    } else {  // low_pca: eigenvalues ascending, so the first columns
      const std::int64_t low = params_.integer("low_dims");
      const std::size_t keep = low <= 0 ? d / 2 : std::min<std::size_t>(static_cast<std::size_t>(low), d);
      projection_.rows = Matrix<double>(keep, d);
      for (std::size_t m = 0; m < keep; ++m)
        for (std::size_t j = 0; j < d; ++j) projection_.rows(m, j) = cov.eigen.vectors(j, m);
    }
  }

  /// Where residual energy lands, per eigenvector u_i of Σ (largest eigenvalue first): E_OOD[(u_iᵀ r)²] /
  /// E_ID[(u_iᵀ r)²]. MaRS's argument is that OOD energy concentrates in low-variance directions.
  nlohmann::json diagnose(const Matrix<float>& ood, const Backend& backend) const override {
    const std::vector<double> ood_energy = energies(subtract_row(ae_->residuals(ood, backend), center_), backend);
    const std::size_t d = spectrum_.values.size();
    nlohmann::json eigenvalues = nlohmann::json::array(), id = nlohmann::json::array(),
                   out = nlohmann::json::array(), ratio = nlohmann::json::array();
    for (std::size_t k = d; k-- > 0;) {
      eigenvalues.push_back(spectrum_.values[k]);
      id.push_back(id_energy_[k]);
      out.push_back(ood_energy[k]);
      ratio.push_back(id_energy_[k] > 0 ? nlohmann::json(ood_energy[k] / id_energy_[k]) : nlohmann::json(nullptr));
    }
    return {{"detector", "mars"},
            {"order", "eigenvectors of the ID residual covariance, largest eigenvalue first"},
            {"eigenvalues", eigenvalues},
            {"id_energy", id},
            {"ood_energy", out},
            {"energy_ratio", ratio}};
  }

  bool has_diagnostic() const override { return true; }

  void state(StateIO& io) override {
    io.field("autoencoder", ae_);
    io.field("center", center_);
    io.field("projection", projection_);
    io.field("spectrum", spectrum_);
    io.field("id_energy", id_energy_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    return to_scores(row_sqnorms(whiten(ae_->residuals(x, backend), center_, projection_, backend)));
  }

 private:
  /// Mean squared projection of the rows of `r` on each eigenvector of Σ (eigen order: ascending eigenvalue).
  std::vector<double> energies(const Matrix<float>& r, const Backend& backend) const {
    Matrix<float> basis(spectrum_.values.size(), r.cols);
    for (std::size_t k = 0; k < basis.rows; ++k)
      for (std::size_t j = 0; j < r.cols; ++j) basis(k, j) = static_cast<float>(spectrum_.vectors(j, k));
    const Matrix<float> proj = backend.matmul_nt(r, basis);
    std::vector<double> e(basis.rows, 0.0);
    for (std::size_t i = 0; i < proj.rows; ++i)
      for (std::size_t k = 0; k < proj.cols; ++k) e[k] += static_cast<double>(proj(i, k)) * proj(i, k);
    for (double& v : e) v /= static_cast<double>(proj.rows);
    return e;
  }

  Params params_;
  bool centering_;
  std::string mode_;
  ContextRef<Autoencoder> ae_;       // the FitContext's, shared with ae_l2; owned after a load
  std::vector<double> center_;       // zero unless centering
  Whitening projection_;             // rows whose squared projections sum to the score
  SymmetricEigen spectrum_;          // of the ID residual covariance, for diagnose()
  std::vector<double> id_energy_;    // E_ID[(u_kᵀ r)²] per eigenvector, ascending eigenvalue order
};

OODBENCH_REGISTER_DETECTOR(Mars, {
    .name = "mars",
    .summary = "s = r^T pinv(Sigma_r) r, r = x - g(f(x)) the autoencoder residual",
    .reference = "docs/methods.md#mars",
    .params = mars_params(),
    .autoencoder = autoencoder_config,
    .limits = convention_limits,
    .needs_validation = mars_needs_validation,
    .diagnoses = true,
})

}  // namespace
}  // namespace oodbench
