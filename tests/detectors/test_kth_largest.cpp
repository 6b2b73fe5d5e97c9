// kth_largest (radix selection on float keys) against std::nth_element with std::greater, the selection ASH and SCALE
// used before: the same value for every k on rows with ties, negatives, signed zeros and values one bit apart.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <functional>
#include <random>
#include <vector>

#include "harness/detectors/kth_largest.h"

namespace oodbench {
namespace {

float nth_element_kth_largest(std::vector<float> values, std::size_t k) {
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k - 1), values.end(),
                   std::greater<float>());
  return values[k - 1];
}

void expect_every_k_matches(const std::vector<float>& row, const char* what) {
  std::vector<std::uint32_t> scratch;
  for (std::size_t k = 1; k <= row.size(); ++k) {
    const float want = nth_element_kth_largest(row, k), got = kth_largest(row, k, scratch);
    ASSERT_TRUE(got == want) << what << ": k = " << k << ", got " << got << ", nth_element " << want;
  }
}

TEST(KthLargest, HandComputedRow) {
  std::vector<std::uint32_t> scratch;
  const std::vector<float> row = {0.5f, 3.0f, -2.0f, 3.0f, 0.0f, 1.0f};
  EXPECT_EQ(kth_largest(row, 1, scratch), 3.0f);
  EXPECT_EQ(kth_largest(row, 2, scratch), 3.0f);  // the tie counts twice
  EXPECT_EQ(kth_largest(row, 3, scratch), 1.0f);
  EXPECT_EQ(kth_largest(row, 5, scratch), 0.0f);
  EXPECT_EQ(kth_largest(row, 6, scratch), -2.0f);
}

TEST(KthLargest, MatchesNthElementOnEveryK) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> gaussian(1280), relu(1280), ties(1000), close(700), zeros(300);
  for (float& v : gaussian) v = normal(rng);
  for (float& v : relu) v = std::max(0.0f, normal(rng));  // post-ReLU embeddings: many exact zeros
  for (float& v : ties) v = static_cast<float>(static_cast<int>(normal(rng) * 3)) / 4;  // few distinct values
  for (std::size_t j = 0; j < close.size(); ++j)  // keys differing only in the lowest bits: the third pass decides
    close[j] = std::bit_cast<float>(std::bit_cast<std::uint32_t>(1.0f) + static_cast<std::uint32_t>(rng() % 64));
  for (std::size_t j = 0; j < zeros.size(); ++j) zeros[j] = j % 3 == 0 ? -0.0f : (j % 3 == 1 ? 0.0f : -1.0f);
  expect_every_k_matches(gaussian, "gaussian");
  expect_every_k_matches(relu, "relu");
  expect_every_k_matches(ties, "ties");
  expect_every_k_matches(close, "close");
  expect_every_k_matches(zeros, "signed zeros");
  expect_every_k_matches({42.0f}, "one value");
}

}  // namespace
}  // namespace oodbench
