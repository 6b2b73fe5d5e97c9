// The autoencoder's backward pass against central finite differences of its loss, in float64.
#include <gtest/gtest.h>

#include <cmath>

#include "harness/fit/autoencoder_fit.h"
#include "kernels/cpu/autoencoder_cpu.h"

namespace oodbench {
namespace {

TEST(AutoencoderGradient, MatchesFiniteDifferences) {
  SeededRandom rng(3);
  auto p = AutoencoderParams<double>::zeros(6, 5, 2);
  for (std::size_t k = 0; k < 4; ++k) {
    for (double& w : p.weight[k].data) w = 2.0 * rng.uniform() - 1.0;
    for (double& b : p.bias[k]) b = 0.5 * rng.uniform();  // positive biases keep most ReLUs away from their kink
  }
  Matrix<double> x(4, 6);
  for (double& v : x.data) v = 3.0 * rng.uniform() - 1.0;
  auto grad = p;
  cpu::autoencoder_loss_and_grad(p, x, grad);

  const double h = 1e-6;
  double worst = 0;
  auto check = [&](double& param, double analytic) {
    const double saved = param;
    auto scratch = p;
    param = saved + h;
    const double up = cpu::autoencoder_loss_and_grad(p, x, scratch);
    param = saved - h;
    const double down = cpu::autoencoder_loss_and_grad(p, x, scratch);
    param = saved;
    const double numeric = (up - down) / (2 * h);
    worst = std::max(worst, std::fabs(numeric - analytic) / std::max(1e-6, std::fabs(numeric) + std::fabs(analytic)));
  };
  for (std::size_t k = 0; k < 4; ++k) {
    for (std::size_t i = 0; i < p.weight[k].data.size(); ++i) check(p.weight[k].data[i], grad.weight[k].data[i]);
    for (std::size_t i = 0; i < p.bias[k].size(); ++i) check(p.bias[k][i], grad.bias[k][i]);
  }
  EXPECT_LT(worst, 1e-6) << "largest relative gradient error";
}

TEST(SeededRandom, IsDeterministicAndAPermutation) {
  SeededRandom a(42), b(42);
  const auto pa = a.permutation(1000), pb = b.permutation(1000);
  EXPECT_EQ(pa, pb);
  auto sorted = pa;
  std::sort(sorted.begin(), sorted.end());
  for (std::uint32_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_NE(pa, SeededRandom(43).permutation(1000));
}

}  // namespace
}  // namespace oodbench
