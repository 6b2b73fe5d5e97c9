// CARef and CADRef (Ling et al., CVPR 2025), docs/methods.md "CARef and CADRef": relative ℓ1 error of a feature to
// the ID train centroid of its predicted class. μ_k = mean of the ID train rows the head predicts as k (argmax z, the
// first maximum), not of the rows labelled k; a class never predicted takes the mean of all train rows (pytorch-ood's
// fallback; the authors' code fails there), with a warning.
// caref:  s = ‖x - μ_ŷ‖₁ / ‖x‖₁.
// cadref: a_j = sign(W_ŷj) (x_j - μ_ŷj); E₊ = Σ max(a_j, 0) / ‖x‖₁, E₋ = Σ max(-a_j, 0) / ‖x‖₁;
//         s = E₊ / S(x) + E₋ / S̄, S a logit confidence (energy by default) and S̄ its mean over the ID train rows.
// ‖x‖₁ is floored at 1e-12 (pytorch-ood). References: LingAndZero/CADRef ood_methods/CARef.py, CADRef.py; pytorch-ood
// detector/caref.py, cadref.py. Tested against a float64 NumPy reference in tests/detectors/test_caref.py.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "kernels/cpu/cpu_threads.h"
#include "kernels/error.h"
#include "kernels/join.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

/// The ID train centroids of the head's predicted classes, computed once per FitContext for caref and cadref.
struct PredictedClassMeans {
  Matrix<double> means;                       ///< C x D
  std::vector<std::size_t> never_predicted;   ///< classes that took the mean of all train rows
};

const PredictedClassMeans& predicted_class_means(FitContext& ctx) {
  return ctx.shared<PredictedClassMeans>("predicted_class_means", [&ctx] {
    const Matrix<double>& z = ctx.train_logits();
    const Matrix<float>& x = ctx.train();
    PredictedClassMeans out;
    out.means = Matrix<double>(z.cols, x.cols);
    std::vector<std::size_t> counts(z.cols);
    std::vector<double> total(x.cols);
    for (std::size_t i = 0; i < x.rows; ++i) {
      const std::size_t k = argmax(z.row(i), z.cols);
      ++counts[k];
      for (std::size_t j = 0; j < x.cols; ++j) {
        out.means(k, j) += x(i, j);
        total[j] += x(i, j);
      }
    }
    for (std::size_t k = 0; k < z.cols; ++k) {
      if (counts[k] == 0) out.never_predicted.push_back(k);
      for (std::size_t j = 0; j < x.cols; ++j)
        out.means(k, j) = counts[k] ? out.means(k, j) / static_cast<double>(counts[k])
                                    : total[j] / static_cast<double>(x.rows);
    }
    return out;
  });
}

/// Fits the centroids, warning about classes never predicted on ID train.
Matrix<double> fit_centroids(FitContext& ctx) {
  const PredictedClassMeans& fit = predicted_class_means(ctx);
  if (!fit.never_predicted.empty()) {
    const std::string classes =
        join(fit.never_predicted, ", ", [](std::size_t k) { return std::to_string(k); });
    ctx.warn("the head predicts no ID train row as class " + classes +
             ", so its centroid is the mean of all train rows (pytorch-ood's fallback)");
  }
  return fit.means;
}

/// ‖x‖₁ floored at 1e-12, as pytorch-ood's clamp (the authors' code divides by 0 for an all-zero row).
double l1_norm(const float* x, std::size_t d) {
  double s = 0;
  for (std::size_t j = 0; j < d; ++j) s += std::fabs(static_cast<double>(x[j]));
  return std::max(s, 1e-12);
}

class Caref final : public Detector {
 public:
  explicit Caref(const Params&) {}

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    means_ = fit_centroids(ctx);
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("means", means_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<double> z = head_.logits(x, backend);
    std::vector<float> out(x.rows);
#pragma omp parallel for schedule(static) if (worth_threads(x.rows * x.cols))
    for (std::size_t i = 0; i < x.rows; ++i) {
      const double* mu = means_.row(argmax(z.row(i), z.cols));
      const float* v = x.row(i);
      double error = 0;
      for (std::size_t j = 0; j < x.cols; ++j) error += std::fabs(v[j] - mu[j]);
      out[i] = static_cast<float>(error / l1_norm(v, x.cols));
    }
    return out;
  }

 private:
  LinearHead head_;
  Matrix<double> means_;  // C x D: centroids of the predicted classes
};

OODBENCH_REGISTER_DETECTOR(Caref, {
    .name = "caref",
    .summary = "s = ||x - mu_yhat||_1 / ||x||_1, mu_k the mean ID train row predicted as k",
    .reference = "docs/methods.md \"CARef and CADRef\"; Ling et al., CVPR 2025",
    .needs_head = true,
})


enum class Confidence { energy, maxlogit, msp, gen };

Confidence parse_confidence(const std::string& name) {
  if (name == "maxlogit") return Confidence::maxlogit;
  if (name == "msp") return Confidence::msp;
  if (name == "gen") return Confidence::gen;
  return Confidence::energy;
}

/// CADRef's logit confidence S (larger = more ID), as the authors' CADRef.py: energy logsumexp(z), max z, max p, or
/// GEN's 1 / Σ_{the M largest p_j} p_j^0.1 (1 - p_j)^0.1 with M = max(10, C / 10) capped at C (+∞ when the sum is 0).
double confidence(Confidence kind, const double* z, std::size_t c) {
  switch (kind) {
    case Confidence::energy:
      return logsumexp(z, c);
    case Confidence::maxlogit:
      return row_max(z, c);
    case Confidence::msp:
      return std::exp(row_max(z, c) - logsumexp(z, c));
    case Confidence::gen: {
      std::vector<double> p(z, z + c);
      softmax(p.data(), p.data(), c);
      const std::size_t m = std::min(c, std::max<std::size_t>(10, c / 10));
      std::partial_sort(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(m), p.end(), std::greater<double>());
      double s = 0;
      for (std::size_t j = 0; j < m; ++j) s += std::pow(p[j], 0.1) * std::pow(1 - p[j], 0.1);
      return 1.0 / s;
    }
  }
  return 0;
}

class Cadref final : public Detector {
 public:
  explicit Cadref(const Params& p) : confidence_(parse_confidence(p.text("confidence"))) {}

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    means_ = fit_centroids(ctx);
    const Matrix<double>& z = ctx.train_logits();
    double total = 0;
    for (std::size_t i = 0; i < z.rows; ++i) total += confidence(confidence_, z.row(i), z.cols);
    mean_confidence_ = total / static_cast<double>(z.rows);
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("means", means_);
    io.field("mean_confidence", mean_confidence_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<double> z = head_.exact_logits(x, backend);  // S(x) near 0 would amplify float32 rounding
    std::vector<float> out(x.rows);
#pragma omp parallel for schedule(static) if (worth_threads(x.rows * x.cols))
    for (std::size_t i = 0; i < x.rows; ++i) {
      const std::size_t k = argmax(z.row(i), z.cols);
      const double* mu = means_.row(k);
      const float* w = head_.weight.row(k);
      const float* v = x.row(i);
      double positive = 0, negative = 0;  // the error along and against the signs of the predicted class's weights
      for (std::size_t j = 0; j < x.cols; ++j) {
        const double a = (v[j] - mu[j]) * static_cast<double>((w[j] > 0) - (w[j] < 0));
        (a > 0 ? positive : negative) += std::fabs(a);
      }
      const double norm = l1_norm(v, x.cols);
      out[i] = static_cast<float>(positive / norm / confidence(confidence_, z.row(i), z.cols) +
                                  negative / norm / mean_confidence_);
    }
    return out;
  }

 private:
  Confidence confidence_;
  LinearHead head_;
  Matrix<double> means_;         // C x D: centroids of the predicted classes
  double mean_confidence_ = 0;   // S̄: the mean confidence over the ID train rows
};

OODBENCH_REGISTER_DETECTOR(Cadref, {"cadref",
                                    "s = E+(x) / S(x) + E-(x) / mean_train S, E+- the relative l1 error to mu_yhat "
                                    "along and against sign(w_yhat), S a logit confidence",
                                    "docs/methods.md \"CARef and CADRef\"; Ling et al., CVPR 2025", false, true,
                                    {{"confidence", "energy",
                                      "logit confidence S that scales the positive error: energy (logsumexp), "
                                      "maxlogit, msp or gen",
                                      {"energy", "maxlogit", "msp", "gen"}}}})

}  // namespace
}  // namespace oodbench
