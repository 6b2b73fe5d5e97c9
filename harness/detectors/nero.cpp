// NERO (Chhetri et al., MICCAI 2025), docs/methods.md#nero, as in the authors' official code:
//  1. relevance R = a' ⊙ (W'ᵀ (p ⊘ f)) with a' = [a, 1], W' = [W | b], f = W' a', p = softmax(f) (LRP-0 through
//     the head, every class weighted by its probability; Σ_j R_j = 1; harness/fit/relevance.h). |f_c| < 1e-12 is
//     replaced by sign(f_c) · 1e-12 (+1e-12 for f_c = 0) so that the division stays finite;
//  2. PCA (exact, centred on the train mean) of the train relevances R_{1:D}, keeping pca_dims = int(2D/3) components;
//     one centroid per class: the mean projected relevance of the train samples with that label;
//  3. d_rel = min_c ‖P(R_{1:D}(x)) - μ_c‖₁;
//  4. λ = mean_i [min_c ‖R(x_i) - ν_c‖₁] / mean_i |R_bias(x_i)| over ID train, ν_c the class means of R (bias included);
//  5. ρ = ‖a_K‖₁ / ‖a‖₁, K the k most negative relevances of R_{1:D} (k = 175, capped at D);
//  6. s = (d_rel + λ |R_bias|) · ρ.
// Tested against a float64 NumPy reference of every step in tests/detectors/test_nero.py.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "harness/fit/covariance.h"
#include "harness/fit/relevance.h"
#include "harness/render/svg_chart.h"
#include "kernels/error.h"
#include "kernels/nero_terms.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

/// The projected relevance of a batch and everything the score is made of, per row.
struct NeroTerms {
  Matrix<float> relevance;   // n x (D + 1), the bias relevance last
  Matrix<float> projected;   // n x pca_dims
  NearestCentroid nearest;   // in PCA space, L1
  std::vector<double> rho;
};

/// PCA components of the relevance: `given`, or int(2D/3) for 0.
std::size_t pca_components(std::int64_t given, std::size_t d) {
  return given == 0 ? (2 * d) / 3 : static_cast<std::size_t>(given);
}

class Nero final : public Detector {
 public:
  explicit Nero(const Params& p) : k_(p.integer("k")), pca_dims_(p.integer("pca_dims")) {
    if (k_ < 1) throw InputError("nero: k must be >= 1, got " + std::to_string(k_));
    if (pca_dims_ < 0) throw InputError("nero: pca_dims must be >= 0 (0 means int(2D/3))");
  }

  void fit(FitContext& ctx) override {
    const Backend& backend = ctx.backend();
    const std::size_t d = ctx.dims();
    head_ = ctx.head();
    k_used_ = std::min<std::size_t>(static_cast<std::size_t>(k_), d);
    const std::size_t dims = pca_components(pca_dims_, d);  // in 1..D: nero_limits, checked before fit

    const Matrix<float> r = lrp_relevance(ctx.train(), head_, backend);
    const Matrix<float> r_features = feature_columns(r);
    relevance_mean_.assign(d, 0.0);
    for (std::size_t i = 0; i < r.rows; ++i)
      for (std::size_t j = 0; j < d; ++j) relevance_mean_[j] += r(i, j);
    for (double& m : relevance_mean_) m /= static_cast<double>(r.rows);
    Matrix<double> center(1, d);
    center.data.assign(relevance_mean_.begin(), relevance_mean_.end());
    const SymmetricEigen eig = fit_covariance(backend, r_features, center, {}).eigen;
    // As in ViM: components beyond the rank are null directions picked by rounding, and the L1 distance is not
    // rotation-invariant, so d_rel then differs between devices. The official code does the same; said, not refused.
    if (const std::size_t rank = numerical_rank(eig); rank < dims) {
      ctx.warn("the train relevance has numerical rank " + std::to_string(rank) + " < pca_dims = " +
               std::to_string(dims) + ", so rounding picks " + std::to_string(dims - rank) +
               " of its components and scores differ slightly between devices; set pca_dims at most " +
               std::to_string(rank));
    }
    components_ = Matrix<float>(dims, d);  // largest variance first
    for (std::size_t m = 0; m < dims; ++m)
      for (std::size_t j = 0; j < d; ++j) components_(m, j) = static_cast<float>(eig.vectors(j, d - 1 - m));

    const Matrix<float> projected = backend.matmul_nt(subtract_row(r_features, relevance_mean_), components_);
    const auto& labels = ctx.labels();
    centroids_ = class_means(projected, labels, ctx.classes());
    const Matrix<float> nu = class_means(r, labels, ctx.classes());
    const NearestCentroid full = backend.nearest_centroid(r, nu, CentroidMetric::l1);
    double distance = 0, bias = 0;
    for (std::size_t i = 0; i < r.rows; ++i) {
      distance += full.distance[i];
      bias += std::fabs(r(i, d));
    }
    lambda_ = bias > 0 ? distance / bias : 0.0;
  }

  void state(StateIO& io) override {
    io.field("k_used", k_used_);
    io.field("head", head_);
    io.field("relevance_mean", relevance_mean_);
    io.field("components", components_);
    io.field("centroids", centroids_);
    io.field("lambda", lambda_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const NeroTerms t = terms(x, backend);
    const std::size_t d = x.cols;
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      out[i] = static_cast<float>((t.nearest.distance[i] + lambda_ * std::fabs(t.relevance(i, d))) * t.rho[i]);
    }
    return out;
  }

  Explanation explain(const Matrix<float>& sample, std::size_t top, const Backend& backend) const override {
    const NeroTerms t = terms(sample, backend);
    const std::size_t d = sample.cols;
    const auto nearest = static_cast<std::size_t>(t.nearest.index[0]);
    const double d_rel = t.nearest.distance[0];
    const double bias_term = lambda_ * std::fabs(t.relevance(0, d));
    // Neurons by how far their relevance lies from the nearest class's mean projected relevance, mapped back
    // through the PCA: the per-neuron share of the PCA-space difference.
    std::vector<double> diff(components_.rows);
    for (std::size_t m = 0; m < components_.rows; ++m) diff[m] = t.projected(0, m) - centroids_(nearest, m);
    std::vector<double> neuron(d, 0.0);
    for (std::size_t m = 0; m < components_.rows; ++m)
      for (std::size_t j = 0; j < d; ++j) neuron[j] += diff[m] * components_(m, j);
    std::vector<std::size_t> order(d);
    std::iota(order.begin(), order.end(), 0);
    const std::size_t shown = std::min(top, d);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(),
                      [&](std::size_t a, std::size_t b) { return std::fabs(neuron[a]) > std::fabs(neuron[b]); });
    nlohmann::json neurons = nlohmann::json::array();
    for (std::size_t r = 0; r < shown; ++r) {
      const std::size_t j = order[r];
      neurons.push_back({{"neuron", j}, {"activation", sample(0, j)}, {"relevance", t.relevance(0, j)},
                         {"deviation_from_centroid", neuron[j]}});
    }
    std::vector<std::size_t> comp(components_.rows);
    std::iota(comp.begin(), comp.end(), 0);
    const std::size_t shown_components = std::min(top, comp.size());
    std::partial_sort(comp.begin(), comp.begin() + static_cast<std::ptrdiff_t>(shown_components), comp.end(),
                      [&](std::size_t a, std::size_t b) { return std::fabs(diff[a]) > std::fabs(diff[b]); });
    nlohmann::json components = nlohmann::json::array();
    for (std::size_t r = 0; r < shown_components; ++r) {
      components.push_back({{"component", comp[r]}, {"projected_relevance", t.projected(0, comp[r])},
                            {"centroid", centroids_(nearest, comp[r])}, {"l1_contribution", std::fabs(diff[comp[r]])}});
    }
    Explanation e;
    e.details = {{"detector", "nero"},
                 {"score", (d_rel + bias_term) * t.rho[0]},
                 {"terms",
                  {{"d_rel", d_rel}, {"lambda", lambda_}, {"abs_bias_relevance", std::fabs(t.relevance(0, d))},
                   {"lambda_abs_bias_relevance", bias_term}, {"rho", t.rho[0]}}},
                 {"formula", "score = (d_rel + lambda * |R_bias|) * rho"},
                 {"nearest_class", nearest},
                 {"top_neurons", neurons},
                 {"top_components", components}};

    const std::size_t plotted = std::min<std::size_t>(components_.rows, 64);
    ChartSeries sample_series{"sample", {}, {}, "#d62728"}, centroid_series{"class " + std::to_string(nearest) +
                                                                                 " centroid", {}, {}, "#1f77b4"};
    for (std::size_t m = 0; m < plotted; ++m) {
      sample_series.x.push_back(static_cast<double>(m));
      sample_series.y.push_back(t.projected(0, m));
      centroid_series.x.push_back(static_cast<double>(m));
      centroid_series.y.push_back(centroids_(nearest, m));
    }
    LineChart chart{"NERO: projected relevance vs nearest centroid (score " + std::to_string((d_rel + bias_term) * t.rho[0]) + ")",
                    "PCA component (largest variance first)", "projected relevance",
                    {centroid_series, sample_series}};
    e.svg = chart.render();
    return e;
  }

 private:
  static Matrix<float> feature_columns(const Matrix<float>& r) {
    Matrix<float> out(r.rows, r.cols - 1);
    for (std::size_t i = 0; i < r.rows; ++i) std::copy(r.row(i), r.row(i) + out.cols, out.row(i));
    return out;
  }

  static Matrix<float> class_means(const Matrix<float>& m, const std::vector<std::int32_t>& labels,
                                   std::size_t classes) {
    Matrix<double> sum(classes, m.cols);
    std::vector<double> count(classes);
    for (std::size_t i = 0; i < m.rows; ++i) {
      const auto c = static_cast<std::size_t>(labels[i]);
      count[c] += 1;
      for (std::size_t j = 0; j < m.cols; ++j) sum(c, j) += m(i, j);
    }
    Matrix<float> out(classes, m.cols);
    for (std::size_t c = 0; c < classes; ++c)
      for (std::size_t j = 0; j < m.cols; ++j) out(c, j) = static_cast<float>(sum(c, j) / count[c]);
    return out;
  }

  NeroTerms terms(const Matrix<float>& x, const Backend& backend) const {
    NeroTerms t;
    t.relevance = lrp_relevance(x, head_, backend);
    const Matrix<float> r_features = feature_columns(t.relevance);
    t.projected = backend.matmul_nt(subtract_row(r_features, relevance_mean_), components_);
    NeroRowTerms row_terms = nero_row_terms(backend, t.projected, centroids_, r_features, x, k_used_);
    t.nearest = std::move(row_terms.nearest);
    t.rho = std::move(row_terms.rho);
    return t;
  }

  std::int64_t k_;
  std::int64_t pca_dims_;
  std::size_t k_used_ = 0;
  LinearHead head_;
  std::vector<double> relevance_mean_;  // PCA centre, D
  Matrix<float> components_;            // pca_dims x D
  Matrix<float> centroids_;             // C x pca_dims
  double lambda_ = 0;
};

std::vector<ParamLimit> nero_limits(const Params& p, const DataShape& shape) {
  const std::int64_t given = p.integer("pca_dims");
  const std::size_t dims = pca_components(given, shape.dims);
  if (given < 0 || (dims >= 1 && dims <= shape.dims)) return {};  // negative: the constructor's error
  return {{"pca_dims", "pca_dims must be in 1.." + std::to_string(shape.dims) + " (the features have " +
                           std::to_string(shape.dims) + " dimensions), got " + std::to_string(given)}};
}

OODBENCH_REGISTER_DETECTOR(Nero, {
    .name = "nero",
    .summary = "s = (min_c ||PCA(R(x)) - mu_c||_1 + lambda |R_bias(x)|) * rho(x)",
    .reference = "docs/methods.md#nero; Chhetri et al., MICCAI 2025 (official code)",
    .needs_labels = true,
    .needs_head = true,
    .params = {{"k", 175, "number of most negative relevances in the feature-norm factor (capped at D)", {}},
               {"pca_dims", 0, "PCA components of the relevance; 0 means int(2D/3)", {}}},
    .limits = nero_limits,
    .explains = true,
})

}  // namespace
}  // namespace oodbench
