// OpenMax (Bendale & Boult, CVPR 2016), docs/methods.md "More post-hoc baselines", on the logits z = W x + b:
// fit: for each class c, the mean logit vector μ_c of the ID train rows with label c that the head predicts as c;
//   their Euclidean distances d_i = ‖z_i - μ_c‖; the tail = the `tail_size` largest; libMR's FitHigh translation
//   t = d + 10000 - min(tail); a Weibull (location 0) fitted to the translated tail by exact maximum likelihood.
// score: the α = min(alpha, C) largest logits get weights ω = (α + 1 - r) / α by rank r = 1..α (0 elsewhere);
//   w_c = Weibull CDF_c(‖z - μ_c‖ + 10000 - min(tail_c)) (0 below zero); v_c = z_c (1 - ω_c w_c),
//   v_0 = Σ_c z_c ω_c w_c; s = exp(v_0) / (exp(v_0) + Σ_c exp(v_c)), the unknown-class probability (computed stably).
// Reference: OpenOOD openood/postprocessors/openmax_postprocessor.py (libMR's MR.fit_high / w_score) and pytorch-ood
// detector/openmax/numpy.py (which fits on every row of a class, correct or not). Tested against a float64 NumPy
// reference (its Weibull checked against scipy.stats.weibull_min.fit(floc=0)) in tests/detectors/test_openmax.py.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "harness/detectors/detector.h"
#include "kernels/cpu/cpu_threads.h"
#include "harness/detectors/detector_state.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

constexpr double kTranslation = 10000;  // libMR's translate_amount (MetaRecognition's default), as OpenOOD uses it

struct Weibull {
  double shape = 0, scale = 0;
};

/// Maximum-likelihood Weibull (location 0) of x_i = d_i + translation - min(d), given the distances `d` (at least
/// two distinct). The shape k solves Σ x^k ln x / Σ x^k - 1/k - mean(ln x) = 0, a strictly increasing function of k,
/// by bisection on log k to full double precision; the scale is λ = (mean x^k)^(1/k). Worked with ln(x_i / x_max)
/// = log1p((d_i - d_max) / x_max) so that neither x^k overflows nor the differences round away.
Weibull fit_weibull(const std::vector<double>& d) {
  const double d_min = *std::min_element(d.begin(), d.end()), d_max = *std::max_element(d.begin(), d.end());
  const double x_max = d_max + kTranslation - d_min;
  std::vector<double> l(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) l[i] = std::log1p((d[i] - d_max) / x_max);
  const double mean_l = std::accumulate(l.begin(), l.end(), 0.0) / static_cast<double>(l.size());
  auto weighted = [&](double k, double* mean_w) {  // Σ e^{k l} l / Σ e^{k l}, and mean e^{k l}
    double sw = 0, swl = 0;
    for (double li : l) {
      const double w = std::exp(k * li);
      sw += w;
      swl += w * li;
    }
    if (mean_w != nullptr) *mean_w = sw / static_cast<double>(l.size());
    return swl / sw;
  };
  auto g = [&](double k) { return weighted(k, nullptr) - mean_l - 1.0 / k; };
  double lo = 1, hi = 1;
  while (g(lo) > 0) lo /= 2;
  while (g(hi) < 0) hi *= 2;
  for (int it = 0; it < 400 && hi / lo - 1 > 1e-15; ++it) {
    const double mid = std::sqrt(lo * hi);
    (g(mid) < 0 ? lo : hi) = mid;
  }
  Weibull w;
  w.shape = std::sqrt(lo * hi);
  double mean_w = 0;
  weighted(w.shape, &mean_w);
  w.scale = x_max * std::exp(std::log(mean_w) / w.shape);
  return w;
}

class OpenMax final : public Detector {
 public:
  explicit OpenMax(const Params& p) : tail_size_(p.integer("tail_size")), alpha_(p.integer("alpha")) {
    if (tail_size_ < 2) throw InputError("openmax: tail_size must be >= 2, got " + std::to_string(tail_size_));
    if (alpha_ < 1) throw InputError("openmax: alpha must be >= 1, got " + std::to_string(alpha_));
  }

  void fit(FitContext& ctx) override {
    head_ = ctx.head();
    const Matrix<double>& z = ctx.train_logits();
    const std::vector<std::int32_t>& y = ctx.labels();
    const std::size_t c = z.cols;
    std::vector<std::vector<std::size_t>> correct(c);
    for (std::size_t i = 0; i < z.rows; ++i) {
      const auto top = static_cast<std::size_t>(std::max_element(z.row(i), z.row(i) + c) - z.row(i));
      if (top == static_cast<std::size_t>(y[i])) correct[top].push_back(i);
    }
    means_ = Matrix<double>(c, c);
    shape_.assign(c, 0);
    scale_.assign(c, 0);
    tail_min_.assign(c, 0);
    for (std::size_t k = 0; k < c; ++k) {
      if (correct[k].empty()) {
        throw InputError("openmax: class " + std::to_string(k) +
                         " has no ID train row that the head predicts as its label, so its mean logit vector is "
                         "undefined; use a head that classifies some of its train rows correctly");
      }
      for (std::size_t i : correct[k])
        for (std::size_t j = 0; j < c; ++j) means_(k, j) += z(i, j);
      for (std::size_t j = 0; j < c; ++j) means_(k, j) /= static_cast<double>(correct[k].size());
      std::vector<double> dist;
      for (std::size_t i : correct[k]) dist.push_back(distance(z.row(i), means_.row(k), c));
      std::sort(dist.begin(), dist.end());
      const auto kept = std::min<std::ptrdiff_t>(tail_size_, static_cast<std::ptrdiff_t>(dist.size()));
      const std::vector<double> tail(dist.end() - kept, dist.end());
      if (tail.front() == tail.back()) {
        throw InputError("openmax: class " + std::to_string(k) + " has " + std::to_string(correct[k].size()) +
                         " correctly classified ID train rows whose largest distances to the class mean are all "
                         "equal, so no Weibull can be fitted to them; it needs at least two distinct distances");
      }
      const Weibull w = fit_weibull(tail);
      shape_[k] = w.shape;
      scale_[k] = w.scale;
      tail_min_[k] = tail.front();
    }
  }

  void state(StateIO& io) override {
    io.field("head", head_);
    io.field("means", means_);
    io.field("shape", shape_);
    io.field("scale", scale_);
    io.field("tail_min", tail_min_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const Matrix<double> z = head_.logits(x, backend);
    const std::size_t c = z.cols;
    const std::size_t alpha = std::min(static_cast<std::size_t>(alpha_), c);
    std::vector<float> out(x.rows);
#pragma omp parallel for schedule(static) if (worth_threads(x.rows * x.cols))
    for (std::size_t i = 0; i < x.rows; ++i) {
      const double* zi = z.row(i);
      std::vector<std::size_t> order(c);
      std::iota(order.begin(), order.end(), 0);
      // Descending; among equal logits the higher class index first, as both references' reversed ascending argsort
      std::sort(order.begin(), order.end(),
                [zi](std::size_t a, std::size_t b) { return zi[a] > zi[b] || (zi[a] == zi[b] && a > b); });
      std::vector<double> v(zi, zi + c);
      double unknown = 0;
      for (std::size_t r = 0; r < alpha; ++r) {
        const std::size_t k = order[r];
        const double omega = static_cast<double>(alpha - r) / static_cast<double>(alpha);
        const double t = distance(zi, means_.row(k), c) + kTranslation - tail_min_[k];
        const double w = t <= 0 ? 0.0 : -std::expm1(-std::exp(shape_[k] * std::log(t / scale_[k])));
        v[k] = zi[k] * (1 - omega * w);
        unknown += zi[k] * omega * w;
      }
      double top = unknown;
      for (double vk : v) top = std::max(top, vk);
      double denom = std::exp(unknown - top);
      for (double vk : v) denom += std::exp(vk - top);
      out[i] = static_cast<float>(std::exp(unknown - top) / denom);
    }
    return out;
  }

 private:
  static double distance(const double* a, const double* b, std::size_t n) {
    double s = 0;
    for (std::size_t j = 0; j < n; ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
    return std::sqrt(s);
  }

  std::int64_t tail_size_, alpha_;
  LinearHead head_;
  Matrix<double> means_;  // C x C: mean logit vector of each class's correctly classified train rows
  std::vector<double> shape_, scale_, tail_min_;
};

OODBENCH_REGISTER_DETECTOR(OpenMax, {
    .name = "openmax",
    .summary = "s = OpenMax's unknown-class probability (Weibull-recalibrated logits)",
    .reference = "docs/methods.md \"More post-hoc baselines\"; Bendale & Boult, CVPR 2016",
    .needs_labels = true,
    .needs_head = true,
    .params = {{"tail_size", 20, "largest distances per class the Weibull is fitted to", {}},
               {"alpha", 3, "top classes recalibrated (capped at the class count)", {}}},
})

}  // namespace
}  // namespace oodbench
