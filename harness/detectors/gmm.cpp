// GMM, docs/methods.md#gmm: class-conditional Gaussians with their own covariances and mixing weights, fitted on the
// labelled ID train rows: π_c = n_c / N, μ_c the class mean, Σ_c = (1/n_c) Σ_{y_i = c} (x_i - μ_c)(x_i - μ_c)ᵀ + reg I
// (reg = 1e-6: scikit-learn's GaussianMixture reg_covar and pytorch-ood's constant, which makes a singular class
// covariance invertible). variant nll (default): s = -log Σ_c π_c N(x | μ_c, Σ_c), the mixture's negative
// log-likelihood; variant pytorch-ood: s = min_c (x - μ_c)ᵀ Σ_c⁻¹ (x - μ_c) / D, what pytorch-ood's detector/gmm.py
// returns (its docstring promises the likelihood). Both in float64: each Σ_c is decomposed (Σ_c = U Λ Uᵀ) and the
// quadratic forms are ‖Λ^-1/2 Uᵀ (x - μ_c)‖², projected in float64. Tested in tests/detectors/test_gmm.py.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/error.h"
#include "kernels/join.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

/// Each class's own covariance around its mean (1/n_c), decomposed: fitted once per FitContext for every variant.
struct PerClassCovariances {
  std::vector<CovarianceFit> fits;
};

const PerClassCovariances& per_class_covariances(FitContext& ctx) {
  return ctx.shared<PerClassCovariances>("per_class_covariances", [&ctx] {
    const Matrix<double>& means = ctx.class_means();  // checks the labels
    const Matrix<float>& x = ctx.train();
    const std::vector<std::int32_t>& labels = ctx.labels();
    PerClassCovariances out;
    for (std::size_t c = 0; c < means.rows; ++c) {
      std::vector<std::size_t> rows;
      for (std::size_t i = 0; i < x.rows; ++i)
        if (static_cast<std::size_t>(labels[i]) == c) rows.push_back(i);
      Matrix<float> xc(rows.size(), x.cols);
      for (std::size_t r = 0; r < rows.size(); ++r) std::copy_n(x.row(rows[r]), x.cols, xc.row(r));
      Matrix<double> center(1, x.cols);
      std::copy_n(means.row(c), x.cols, center.row(0));
      out.fits.push_back(fit_covariance(ctx.backend(), xc, center, {}));
    }
    return out;
  });
}

class Gmm final : public Detector {
 public:
  explicit Gmm(const Params& p) : reg_(p.number("reg")), nll_(p.text("variant") == "nll") {
    if (!(reg_ >= 0)) throw InputError("gmm: reg must be >= 0");
  }

  void fit(FitContext& ctx) override {
    const std::vector<CovarianceFit>& fits = per_class_covariances(ctx).fits;
    means_ = ctx.class_means();
    const std::size_t classes = fits.size(), d = means_.cols;
    roots_ = Matrix<double>(classes * d, d);
    log_norms_.assign(classes, 0.0);
    std::vector<std::string> singular;  // "class c (rank r)"
    for (std::size_t c = 0; c < classes; ++c) {
      const CovarianceFit& fit = fits[c];
      // Not invertible when reg leaves the smallest eigenvalue within float64's noise floor of the largest.
      const double floor = static_cast<double>(d) * std::numeric_limits<double>::epsilon() * fit.eigen.values.back();
      if (!(fit.eigen.values.front() + reg_ > floor)) {
        throw InputError("class " + std::to_string(c) + "'s covariance is singular (smallest eigenvalue " +
                         nlohmann::json(fit.eigen.values.front()).dump() + "; " + std::to_string(fit.samples) +
                         " rows in " + std::to_string(d) + " dimensions) and reg = " + nlohmann::json(reg_).dump() +
                         " does not make it invertible; set reg > 0 (1e-6 is scikit-learn's GaussianMixture default)");
      }
      if (numerical_rank(fit.eigen) < d)
        singular.push_back("class " + std::to_string(c) + " (rank " + std::to_string(numerical_rank(fit.eigen)) + ")");
      // Rows u_j / sqrt(λ_j + reg) of class c's block: ‖root (x - μ_c)‖² is the quadratic form.
      double log_det = 0;
      for (std::size_t k = 0; k < d; ++k) {
        const double lambda = fit.eigen.values[k] + reg_;
        log_det += std::log(lambda);
        for (std::size_t j = 0; j < d; ++j) roots_(c * d + k, j) = fit.eigen.vectors(j, k) / std::sqrt(lambda);
      }
      const double weight = static_cast<double>(fit.samples) / static_cast<double>(ctx.train_rows());
      log_norms_[c] = std::log(weight) - 0.5 * (static_cast<double>(d) * std::log(2 * std::numbers::pi) + log_det);
    }
    if (!singular.empty()) {
      ctx.warn("singular class covariances in " + std::to_string(d) + " dimensions: " + join(singular) + "; reg = " +
               nlohmann::json(reg_).dump() + " stands in for the missing variance, so distances along those "
               "directions, weighted by 1 / reg, dominate the score (docs/methods.md#gmm)");
    }
  }

  void state(StateIO& io) override {
    io.field("means", means_);
    io.field("roots", roots_);
    io.field("log_norms", log_norms_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const std::size_t classes = means_.rows, d = means_.cols;
    Matrix<double> quad(x.rows, classes);
    Whitening root;
    root.rows = Matrix<double>(d, d);
    for (std::size_t c = 0; c < classes; ++c) {
      std::copy_n(roots_.row(c * d), d * d, root.rows.row(0));
      const std::vector<double> q = row_sqnorms(whiten(x, {means_.row(c), d}, root, backend));
      for (std::size_t i = 0; i < x.rows; ++i) quad(i, c) = q[i];
    }
    std::vector<float> out(x.rows);
    std::vector<double> log_density(classes);
    for (std::size_t i = 0; i < x.rows; ++i) {
      if (!nll_) {
        out[i] = static_cast<float>(*std::min_element(quad.row(i), quad.row(i) + classes) / static_cast<double>(d));
        continue;
      }
      for (std::size_t c = 0; c < classes; ++c) log_density[c] = log_norms_[c] - 0.5 * quad(i, c);
      out[i] = static_cast<float>(-logsumexp(log_density.data(), classes));
    }
    return out;
  }

 private:
  double reg_;
  bool nll_;
  Matrix<double> means_;           // C x D
  Matrix<double> roots_;           // (C·D) x D: class c's rows u_k / sqrt(λ_k + reg) in block c
  std::vector<double> log_norms_;  // log π_c - (D log 2π + log det Σ_c) / 2
};

OODBENCH_REGISTER_DETECTOR(Gmm, {
    .name = "gmm",
    .summary = "s = -log sum_c pi_c N(x | mu_c, Sigma_c + reg I), per-class covariances and mixing "
               "weights",
    .reference = "docs/methods.md#gmm; pytorch-ood detector/gmm.py (no paper)",
    .needs_labels = true,
    .params = {{"reg", 1e-6,
                "added to every class covariance's diagonal (scikit-learn's GaussianMixture "
                "reg_covar, pytorch-ood's); 0 needs every class covariance nonsingular",
                {}},
               {"variant", "nll",
                "nll (the mixture's negative log-likelihood) or pytorch-ood (min_c Mahalanobis "
                "distance with per-class covariances / D, what its code returns)",
                {"nll", "pytorch-ood"}}},
})

}  // namespace
}  // namespace oodbench
