// WeiPer with its KL-divergence score (Granz, Heurich & Landgraf, NeurIPS 2024), docs/methods.md#weiper. R perturbed
// copies of the head W̃_r = W + δ ‖W_c‖ n_rc / ‖n_rc‖ (n_rc ~ N(0, I_D), drawn once from SeededRandom(seed)), b̃_r = b.
// A row's density is the histogram of its values over n_bins equal bins of [lo, hi + 1e-8) (values outside dropped),
// as fractions of its values: of the D features with the ID train's global min and max, of the R C perturbed logits
// with theirs. p and p̃ are the ID train rows' mean densities. s = KL_sym(p, smooth_s1(q) | ε) + λ1 KL_sym(p̃,
// smooth_s2(q̃) | ε_noise) - λ2 mean_r max softmax(W̃_r x + b), smoothing a box filter along the bins with replicated
// ends, and KL_sym(p, q | ε) the symmetric KL divergence of p + ε and q + ε, each renormalised. The perturbed logits are
// float64 (a histogram turns their last bits into bin counts).
// Tested against a float64 NumPy reference, fed the perturbed head oodbench drew, in tests/detectors/test_weiper.py.
#include <algorithm>
#include <cmath>
#include <limits>

#include "harness/detectors/detector.h"
#include "harness/detectors/detector_state.h"
#include "harness/fit/row_tiles.h"
#include "harness/fit/seeded_random.h"
#include "kernels/cpu/cpu_threads.h"
#include "kernels/error.h"
#include "kernels/rowwise.h"

namespace oodbench {
namespace {

constexpr std::size_t kChunkValues = 1000;  // the reference's histogram batch (chunked_density)

/// Bin edges lo + (k / bins) (hi + 1e-8 - lo), k = 0..bins.
std::vector<double> bin_edges(double lo, double hi, std::size_t bins) {
  std::vector<double> edges(bins + 1);
  for (std::size_t k = 0; k <= bins; ++k)
    edges[k] = lo + (static_cast<double>(k) / static_cast<double>(bins)) * ((hi + 1e-8) - lo);
  return edges;
}

/// Adds the density of `values` (fractions per bin, values outside the edges dropped) to `out`; `chunked` averages
/// the densities of consecutive chunks of 1000 values with equal weights, as the reference does above 1000 values.
template <class T>
void add_density(const T* values, std::size_t count, const std::vector<double>& edges, bool chunked, double* out) {
  const std::size_t bins = edges.size() - 1;
  const std::size_t chunk = chunked && count > kChunkValues ? kChunkValues : count;
  const double chunks = static_cast<double>((count + chunk - 1) / chunk);
  for (std::size_t start = 0; start < count; start += chunk) {
    const std::size_t size = std::min(chunk, count - start);
    const double weight = 1 / (static_cast<double>(size) * chunks);
    for (std::size_t j = start; j < start + size; ++j) {
      const double v = values[j];
      if (!(v >= edges.front() && v < edges.back())) continue;
      const auto k = static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), v) - edges.begin()) - 1;
      out[std::min(k, bins - 1)] += weight;
    }
  }
}

/// KL(p' || q') + KL(q' || p'), p' = (p + ε) / Σ, q' = (box_s(q) + ε) / Σ; the box filter of width s along the bins
/// replicates the end values ((s - 1) / 2 of them on the left, as PyTorch's 'same' padding).
double symmetric_kl(const std::vector<double>& p, const double* q, std::size_t width, double eps) {
  const std::size_t bins = p.size();
  const auto left = static_cast<std::ptrdiff_t>((width - 1) / 2);
  std::vector<double> pp(bins), qq(bins);
  double p_sum = 0, q_sum = 0;
  for (std::size_t k = 0; k < bins; ++k) {
    double smooth = 0;
    for (std::size_t j = 0; j < width; ++j) {
      const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(k + j) - left;
      smooth += q[std::clamp<std::ptrdiff_t>(at, 0, static_cast<std::ptrdiff_t>(bins) - 1)];
    }
    p_sum += pp[k] = p[k] + eps;
    q_sum += qq[k] = smooth / static_cast<double>(width) + eps;
  }
  double out = 0;
  for (std::size_t k = 0; k < bins; ++k) {
    const double a = pp[k] / p_sum, b = qq[k] / q_sum;
    out += (a - b) * (std::log(a) - std::log(b));
  }
  return out;
}

class WeiPer final : public Detector {
 public:
  explicit WeiPer(const Params& p)
      : repeats_(p.integer("n_repeats")),
        distance_(p.number("perturbation_distance")),
        bins_(p.integer("n_bins")),
        lambda_1_(p.number("lambda_1")),
        lambda_2_(p.number("lambda_2")),
        smoothing_(p.integer("smoothing")),
        smoothing_perturbed_(p.integer("smoothing_perturbed")),
        epsilon_(p.number("epsilon")),
        epsilon_noise_(p.number("epsilon_noise")),
        seed_(p.integer("seed")),
        chunked_(p.flag("chunked_density")) {
    auto at_least_one = [](std::int64_t v, const char* name) {
      if (v < 1) throw InputError(std::string("weiper: ") + name + " must be >= 1, got " + std::to_string(v));
    };
    at_least_one(repeats_, "n_repeats");
    at_least_one(bins_, "n_bins");
    at_least_one(smoothing_, "smoothing");
    at_least_one(smoothing_perturbed_, "smoothing_perturbed");
    if (!(distance_ >= 0)) throw InputError("weiper: perturbation_distance must be >= 0");
    if (!(epsilon_ > 0 && epsilon_noise_ > 0)) throw InputError("weiper: epsilon and epsilon_noise must be > 0");
  }

  void fit(FitContext& ctx) override {
    const LinearHead& head = ctx.head();
    draw_perturbed_head(head);
    const Matrix<float>& x = ctx.train();
    const auto [lo, hi] = std::minmax_element(x.data.begin(), x.data.end());
    lo_ = *lo;
    hi_ = *hi;
    perturbed_lo_ = std::numeric_limits<double>::infinity();
    perturbed_hi_ = -perturbed_lo_;
    for_each_perturbed_block(x, ctx.backend(), [&](std::size_t, const Matrix<double>& z) {
      const auto [a, b] = std::minmax_element(z.data.begin(), z.data.end());
      perturbed_lo_ = std::min(perturbed_lo_, *a);
      perturbed_hi_ = std::max(perturbed_hi_, *b);
    });
    const std::size_t bins = static_cast<std::size_t>(bins_);
    const std::vector<double> edges = bin_edges(lo_, hi_, bins), perturbed_edges = perturbed_bin_edges();
    train_density_.assign(bins, 0.0);
    train_perturbed_density_.assign(bins, 0.0);
    for (std::size_t i = 0; i < x.rows; ++i) add_density(x.row(i), x.cols, edges, chunked_, train_density_.data());
    for_each_perturbed_block(x, ctx.backend(), [&](std::size_t, const Matrix<double>& z) {
      for (std::size_t i = 0; i < z.rows; ++i)
        add_density(z.row(i), z.cols, perturbed_edges, chunked_, train_perturbed_density_.data());
    });
    for (double& v : train_density_) v /= static_cast<double>(x.rows);
    for (double& v : train_perturbed_density_) v /= static_cast<double>(x.rows);
  }

  void state(StateIO& io) override {
    io.field("perturbed_head", perturbed_);
    io.field("lo", lo_);
    io.field("hi", hi_);
    io.field("perturbed_lo", perturbed_lo_);
    io.field("perturbed_hi", perturbed_hi_);
    io.field("train_density", train_density_);
    io.field("train_perturbed_density", train_perturbed_density_);
  }

  std::vector<float> score(const Matrix<float>& x, const Backend& backend) const override {
    const std::size_t bins = static_cast<std::size_t>(bins_), classes = perturbed_.classes() / repeats_count();
    const std::vector<double> edges = bin_edges(lo_, hi_, bins), perturbed_edges = perturbed_bin_edges();
    std::vector<float> out(x.rows);
    for_each_perturbed_block(x, backend, [&](std::size_t start, const Matrix<double>& z) {
#pragma omp parallel for schedule(static) if (worth_threads(z.rows * z.cols))
      for (std::size_t i = 0; i < z.rows; ++i) {
        std::vector<double> q(bins), q_perturbed(bins);
        add_density(x.row(start + i), x.cols, edges, chunked_, q.data());
        add_density(z.row(i), z.cols, perturbed_edges, chunked_, q_perturbed.data());
        double msp = 0;  // mean over the repeats of the max softmax of their C logits
        for (std::size_t r = 0; r < repeats_count(); ++r) {
          const double* zr = z.row(i) + r * classes;
          msp += std::exp(row_max(zr, classes) - logsumexp(zr, classes));
        }
        msp /= static_cast<double>(repeats_count());
        const double kl = symmetric_kl(train_density_, q.data(), static_cast<std::size_t>(smoothing_), epsilon_);
        const double kl_perturbed = symmetric_kl(train_perturbed_density_, q_perturbed.data(),
                                                 static_cast<std::size_t>(smoothing_perturbed_), epsilon_noise_);
        out[start + i] = static_cast<float>(kl + lambda_1_ * kl_perturbed - lambda_2_ * msp);
      }
    });
    return out;
  }

 private:
  std::size_t repeats_count() const { return static_cast<std::size_t>(repeats_); }

  std::vector<double> perturbed_bin_edges() const {
    return bin_edges(perturbed_lo_, perturbed_hi_, static_cast<std::size_t>(bins_));
  }

  /// W̃ = [W + P_1; ...; W + P_R], P_r's row c = δ ‖W_c‖ n / ‖n‖ for n ~ N(0, I_D) (drawn r by r, c by c); b̃ = [b; ...].
  void draw_perturbed_head(const LinearHead& head) {
    const std::size_t c = head.classes(), d = head.weight.cols;
    SeededRandom rng(static_cast<std::uint64_t>(seed_));
    perturbed_.weight = Matrix<float>(repeats_count() * c, d);
    perturbed_.bias.clear();
    std::vector<double> noise(d);
    for (std::size_t r = 0; r < repeats_count(); ++r) {
      for (std::size_t k = 0; k < c; ++k) {
        const float* w = head.weight.row(k);
        double noise_norm = 0, w_norm = 0;
        for (std::size_t j = 0; j < d; ++j) {
          noise[j] = rng.normal();
          noise_norm += noise[j] * noise[j];
          w_norm += static_cast<double>(w[j]) * w[j];
        }
        const double scale = distance_ * std::sqrt(w_norm) / std::max(std::sqrt(noise_norm), 1e-12);  // F.normalize
        float* out = perturbed_.weight.row(r * c + k);
        for (std::size_t j = 0; j < d; ++j) out[j] = static_cast<float>(w[j] + scale * noise[j]);
      }
      perturbed_.bias.insert(perturbed_.bias.end(), head.bias.begin(), head.bias.end());
    }
  }

  /// Calls f(first row, logits) for blocks of rows of x with their R C perturbed logits W̃ x + b̃ in float64, blocks
  /// small enough that a block's logits stay within 2^24 values.
  template <class F>
  void for_each_perturbed_block(const Matrix<float>& x, const Backend& backend, F f) const {
    Matrix<double> weight(perturbed_.weight.rows, perturbed_.weight.cols);
    for (std::size_t i = 0; i < weight.data.size(); ++i) weight.data[i] = perturbed_.weight.data[i];
    const std::size_t block = std::clamp<std::size_t>((std::size_t{1} << 24) / weight.rows, 1, kQueryTileRows);
    for (std::size_t start = 0; start < x.rows; start += block) {
      const std::size_t n = std::min(block, x.rows - start);
      Matrix<double> rows(n, x.cols);
      for (std::size_t i = 0; i < rows.data.size(); ++i) rows.data[i] = x.data[start * x.cols + i];
      Matrix<double> z = backend.matmul_nt(rows, weight);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < z.cols; ++k) z(i, k) += perturbed_.bias[k];
      f(start, z);
    }
  }

  std::int64_t repeats_;
  double distance_;
  std::int64_t bins_;
  double lambda_1_, lambda_2_;
  std::int64_t smoothing_, smoothing_perturbed_;
  double epsilon_, epsilon_noise_;
  std::int64_t seed_;
  bool chunked_;
  LinearHead perturbed_;  // R C x D and R C
  double lo_ = 0, hi_ = 0, perturbed_lo_ = 0, perturbed_hi_ = 0;  // ID train min and max: features, perturbed logits
  std::vector<double> train_density_, train_perturbed_density_;  // p and p̃
};

OODBENCH_REGISTER_DETECTOR(WeiPer, {
    .name = "weiper",
    .summary = "s = KL(p, q(x)) + lambda_1 KL(p~, q~(x)) - lambda_2 MSP~(x): densities of the features and of the logits "
               "of R randomly perturbed heads against their ID train means",
    .reference = "docs/methods.md#weiper; Granz, Heurich & Landgraf, NeurIPS 2024",
    .needs_head = true,
    .params = {{"n_repeats", 100, "R, perturbed copies of the head", {}},
               {"perturbation_distance", 1.8, "delta: each perturbation's length relative to its class's weight row", {}},
               {"n_bins", 100, "histogram bins of the densities", {}},
               {"lambda_1", 2.5, "weight of the perturbed logits' divergence", {}},
               {"lambda_2", 0.1, "weight of the perturbed heads' mean max softmax", {}},
               {"smoothing", 4, "s1: box filter width over the bins of the feature density", {}},
               {"smoothing_perturbed", 15, "s2: box filter width over the bins of the perturbed-logit density", {}},
               {"epsilon", 0.01, "added to both feature densities before their divergence", {}},
               {"epsilon_noise", 0.025, "added to both perturbed-logit densities before their divergence", {}},
               {"seed", 0, "seed of the perturbations; a sweep runs it once per entry of its seeds", {}},
               {"chunked_density", false,
                "histogram more than 1000 values as the reference does: chunks of 1000 averaged with equal weights",
                {}}},
})

}  // namespace
}  // namespace oodbench
