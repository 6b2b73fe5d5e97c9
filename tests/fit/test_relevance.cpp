// NERO's LRP-0 relevance on a case computed by hand (C = 2, D = 3), and its conservation Σ_j R_j = 1.
#include <gtest/gtest.h>

#include <cmath>

#include "harness/fit/relevance.h"
#include "kernels/cpu/cpu_backend.h"

namespace oodbench {
namespace {

TEST(Relevance, HandComputedTwoClassesThreeFeatures) {
  // W = (1 0 2; 0 1 -1), b = (0.5, -0.5), a = (1, 2, 1): f = (3.5, 0.5), p = softmax(f), q = p / f.
  // R = a' ⊙ (W'ᵀ q) = (q0, 2 q1, 2 q0 - q1, 0.5 q0 - 0.5 q1); Σ R = 3.5 q0 + 0.5 q1 = p0 + p1 = 1.
  LinearHead head{Matrix<float>(2, 3), {0.5f, -0.5f}};
  head.weight.data = {1, 0, 2, 0, 1, -1};
  Matrix<float> a(1, 3);
  a.data = {1, 2, 1};
  const Matrix<float> r = lrp_relevance(a, head, *make_cpu_backend());
  const double p0 = std::exp(3.5) / (std::exp(3.5) + std::exp(0.5)), p1 = 1 - p0;
  const double q0 = p0 / 3.5, q1 = p1 / 0.5;
  ASSERT_EQ(r.cols, 4u);
  EXPECT_NEAR(r(0, 0), q0, 1e-6);
  EXPECT_NEAR(r(0, 1), 2 * q1, 1e-6);
  EXPECT_NEAR(r(0, 2), 2 * q0 - q1, 1e-6);
  EXPECT_NEAR(r(0, 3), 0.5 * q0 - 0.5 * q1, 1e-6);
  EXPECT_NEAR(r(0, 0) + r(0, 1) + r(0, 2) + r(0, 3), 1.0, 1e-6);
}

TEST(Relevance, ZeroLogitIsGuarded) {
  // f = (0, 0) exactly: both logits are floored at +1e-12, so relevances are finite (and huge).
  LinearHead head{Matrix<float>(2, 2), {0, 0}};
  head.weight.data = {1, 0, 0, 1};
  Matrix<float> a(1, 2);  // a = 0
  const Matrix<float> r = lrp_relevance(a, head, *make_cpu_backend());
  for (float v : r.data) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace oodbench
