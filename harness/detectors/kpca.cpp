// Kernel PCA reconstruction error (Fang et al., NeurIPS 2024; TPAMI 2026), docs/methods.md#kpca. Features are mapped
// by φ(x) = x / (‖x‖ + 1e-10) (CoP: the cosine kernel) and, for CoRP, then by random Fourier features of a Gaussian
// kernel, f = √(2/M) cos(W φ + u) with W (M x D) ~ N(0, 2γ) and u ~ U[0, 2π) drawn from SeededRandom(seed). The mapped
// ID train rows are centred (mean μ); U_q holds the q leading eigenvectors of their scatter, q the fewest explaining
// `exp_var_ratio` of it (at most M - 1). s = ‖(f - μ) - U_q U_qᵀ (f - μ)‖₂. The scatter and its eigenvectors are
// float64 (Backend::scatter, eigh), the projections of the scored rows too.
// Tested against a float64 NumPy reference, fed the draws oodbench made, in tests/detectors/test_kpca.py.
#include <cmath>
#include <numbers>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "harness/fit/seeded_random.h"
#include "kernels/cpu/cpu_threads.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

class Kpca final : public Detector {
 public:
  explicit Kpca(const Params& p)
      : random_features_(p.text("method") == "CoRP"),
        ratio_(p.number("exp_var_ratio")),
        gamma_(p.number("gamma")),
        features_(p.integer("features")),
        seed_(p.integer("seed")) {
    if (!(ratio_ > 0 && ratio_ <= 1)) throw InputError("kpca: exp_var_ratio must be in (0, 1]");
    if (random_features_ && !(gamma_ > 0)) throw InputError("kpca: gamma must be > 0");
    if (random_features_ && features_ < 2)
      throw InputError("kpca: features must be >= 2, got " + std::to_string(features_));
  }

  void fit(FitContext& ctx) override {
    const std::size_t d = ctx.dims();
    if (random_features_) draw_fourier_features(d);
    const Matrix<double> mapped = map(ctx.train(), ctx.backend());
    const std::size_t m = mapped.cols;
    if (m < 2) throw InputError("kpca: the features have one dimension, so no subspace is left to reconstruct from");
    Matrix<double> center(1, m);
    for (std::size_t i = 0; i < mapped.rows; ++i)
      for (std::size_t j = 0; j < m; ++j) center(0, j) += mapped(i, j);
    for (double& v : center.data) v /= static_cast<double>(mapped.rows);
    Matrix<float> rows(mapped.rows, m);
    for (std::size_t i = 0; i < rows.data.size(); ++i) rows.data[i] = static_cast<float>(mapped.data[i]);
    const SymmetricEigen eig = ctx.backend().eigh(ctx.backend().scatter(rows, center, {}));

    // q: the first i in 1..m-1 whose i leading eigenvalues explain exp_var_ratio of their sum, else m - 1
    double total = 0;
    for (double v : eig.values) total += std::abs(v);
    if (!(total > 0)) throw InputError("kpca: the mapped ID train rows are all equal, so they have no principal axes");
    std::size_t q = 1;
    for (double explained = std::abs(eig.values[m - 1]); q < m - 1 && explained / total < ratio_; ++q)
      explained += std::abs(eig.values[m - 1 - q]);
    components_ = Matrix<double>(q, m);  // the largest eigenvalues are last
    for (std::size_t r = 0; r < q; ++r)
      for (std::size_t j = 0; j < m; ++j) components_(r, j) = eig.vectors(j, m - 1 - r);
    center_.assign(center.data.begin(), center.data.end());
  }

  void state(StateIO& io) override {
    io.field("fourier_weights", fourier_weights_);  // empty for CoP
    io.field("fourier_phases", fourier_phases_);
    io.field("center", center_);
    io.field("components", components_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    Matrix<double> centred = map(x, backend);
    for (std::size_t i = 0; i < centred.rows; ++i)
      for (std::size_t j = 0; j < centred.cols; ++j) centred(i, j) -= center_[j];
    const Matrix<double> proj = backend.matmul_nt(centred, components_);
    std::vector<float> out(x.rows);
    for (std::size_t i = 0; i < x.rows; ++i) {
      double all = 0, kept = 0;  // U_q is orthonormal: ‖c - U Uᵀ c‖² = ‖c‖² - ‖Uᵀ c‖²
      for (std::size_t j = 0; j < centred.cols; ++j) all += centred(i, j) * centred(i, j);
      for (std::size_t r = 0; r < proj.cols; ++r) kept += proj(i, r) * proj(i, r);
      out[i] = static_cast<float>(std::sqrt(std::max(all - kept, 0.0)));
    }
    return out;
  }

 private:
  /// W = √(2γ) N(0, 1)^(M x D), row by row, then u = 2π U[0, 1)^M: the reference's order of draws.
  void draw_fourier_features(std::size_t d) {
    const auto m = static_cast<std::size_t>(features_);
    SeededRandom rng(static_cast<std::uint64_t>(seed_));
    fourier_weights_ = Matrix<float>(m, d);
    const double scale = std::sqrt(2 * gamma_);
    for (float& v : fourier_weights_.data) v = static_cast<float>(scale * rng.normal());
    fourier_phases_.resize(m);
    for (double& v : fourier_phases_) v = 2 * std::numbers::pi * rng.uniform_double();
  }

  /// φ(x), and for CoRP its random Fourier features: n x D or n x M, float64.
  Matrix<double> map(const Matrix<float>& x, const Backend& backend) const {
    Matrix<float> unit(x.rows, x.cols);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const float* r = x.row(i);
      double norm = 0;
      for (std::size_t j = 0; j < x.cols; ++j) norm += static_cast<double>(r[j]) * r[j];
      const double scale = 1 / (std::sqrt(norm) + 1e-10);
      for (std::size_t j = 0; j < x.cols; ++j) unit(i, j) = static_cast<float>(r[j] * scale);
    }
    if (fourier_weights_.rows == 0) {
      Matrix<double> out(x.rows, x.cols);
      for (std::size_t i = 0; i < out.data.size(); ++i) out.data[i] = unit.data[i];
      return out;
    }
    const Matrix<float> phase = backend.matmul_nt(unit, fourier_weights_);  // φ Wᵀ
    const std::size_t m = phase.cols;
    const double amplitude = std::sqrt(2.0 / static_cast<double>(m));
    Matrix<double> out(x.rows, m);
#pragma omp parallel for schedule(static) if (worth_threads(x.rows * m))
    for (std::size_t i = 0; i < x.rows; ++i)
      for (std::size_t j = 0; j < m; ++j) out(i, j) = amplitude * std::cos(phase(i, j) + fourier_phases_[j]);
    return out;
  }

  bool random_features_;
  double ratio_;
  double gamma_;
  std::int64_t features_;
  std::int64_t seed_;
  Matrix<float> fourier_weights_;       // M x D (CoRP), empty for CoP
  std::vector<double> fourier_phases_;  // M (CoRP)
  std::vector<double> center_;          // the mean of the mapped ID train rows
  Matrix<double> components_;           // q x (D or M), largest eigenvalue first
};

OODBENCH_REGISTER_DETECTOR(Kpca, {
    .name = "kpca",
    .summary = "s = ||f - U_q U_q^T f||, f the centred cosine-kernel (CoP) or cosine + random "
               "Fourier (CoRP) map of x, U_q the leading principal axes of ID train",
    .reference = "docs/methods.md#kpca; Fang et al., NeurIPS 2024",
    .params = {{"method", "CoRP",
                "CoRP: cosine then Gaussian kernel (random Fourier features); CoP: cosine kernel",
                {"CoRP", "CoP"}},
               {"exp_var_ratio", 0.5,
                "share of the mapped ID train scatter the kept axes explain (the authors' "
                "ImageNet CoRP setting; their CoP uses 0.99)",
                {}},
               {"gamma", 3.0, "Gaussian kernel parameter gamma (CoRP)", {}},
               {"features", 4096, "random Fourier features M (CoRP)", {}},
               {"seed", 0, "seed of the random Fourier features (CoRP)", {}}},
})

}  // namespace
}  // namespace oodbench
