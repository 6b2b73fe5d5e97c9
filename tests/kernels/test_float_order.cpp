// The order keys of kernels/float_order.h, which the GPU's selections (k smallest columns, the kNN's merge) and ASH's
// k-th largest value compare instead of floats: key order must be float order, -0 and +0 one key (the CPU treats them
// as equal and breaks the tie by index), denormals and infinities in place.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/float_order.h"

namespace oodbench {
namespace {

TEST(OrderedKey, KeysCompareAsTheFloatsDoSignedZerosIncluded) {
  constexpr float inf = std::numeric_limits<float>::infinity();
  constexpr float denormal = std::numeric_limits<float>::denorm_min();
  const std::vector<float> values = {-inf, -std::numeric_limits<float>::max(), -1.5f, -std::nextafter(1.0f, 0.0f),
                                     -1e-30f, -std::numeric_limits<float>::min(), -denormal * 3, -denormal, -0.0f,
                                     0.0f, denormal, denormal * 3, std::numeric_limits<float>::min(), 1e-30f, 1.0f,
                                     std::nextafter(1.0f, 2.0f), std::numeric_limits<float>::max(), inf};
  for (float a : values)
    for (float b : values) {
      EXPECT_EQ(ordered_key(a) < ordered_key(b), a < b) << a << " vs " << b;
      EXPECT_EQ(ordered_key(a) == ordered_key(b), a == b) << a << " vs " << b;
    }
  EXPECT_EQ(ordered_key(-0.0f), ordered_key(0.0f)) << "-0 must not sort before +0";
}

TEST(OrderedKey, KeyValueInvertsTheKeyAndGivesZeroItsPositiveSign) {
  for (float v : {-std::numeric_limits<float>::infinity(), -2.5f, -std::numeric_limits<float>::denorm_min(), 0.0f,
                  std::numeric_limits<float>::denorm_min(), 3.0f, std::numeric_limits<float>::infinity()})
    EXPECT_EQ(std::bit_cast<std::uint32_t>(key_value(ordered_key(v))), std::bit_cast<std::uint32_t>(v)) << v;
  EXPECT_EQ(std::bit_cast<std::uint32_t>(key_value(ordered_key(-0.0f))), 0u);
}

}  // namespace
}  // namespace oodbench
