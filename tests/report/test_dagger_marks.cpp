// The tables' † decision on given p-values: uncorrected (each p against 0.05) and with Holm's step-down over a
// column's comparisons, on hand-computed cases.
#include <gtest/gtest.h>

#include <vector>

#include "harness/report/paired_tests.h"

namespace oodbench {
namespace {

using Marks = std::vector<bool>;
using Ps = std::vector<double>;

TEST(DaggerMarks, UncorrectedComparesEachPValueWithAlpha) {
  EXPECT_EQ(not_significantly_worse(Ps{0.01, 0.04, 0.03, 0.20}, false), (Marks{false, false, false, true}));
  EXPECT_EQ(not_significantly_worse(Ps{0.05, 0.0499}, false), (Marks{true, false}));  // p >= 0.05 keeps
}

TEST(DaggerMarks, HolmAdjustsWithinTheColumn) {
  // Sorted 0.01, 0.03, 0.04, 0.20 times 4, 3, 2, 1: 0.04, 0.09, 0.08 -> 0.09 (monotone), 0.20. Adjusted in input
  // order: 0.04, 0.09, 0.09, 0.20, so only the first stays significantly worse.
  EXPECT_EQ(not_significantly_worse(Ps{0.01, 0.04, 0.03, 0.20}, true), (Marks{false, true, true, true}));
  // 0.0125 x 4 = 0.05: not below alpha, so kept; 0.012 x 4 = 0.048 is below. Then 0.02 x 3 = 0.06 keeps the rest.
  EXPECT_EQ(not_significantly_worse(Ps{0.0125, 0.3, 0.5, 0.9}, true), (Marks{true, true, true, true}));
  EXPECT_EQ(not_significantly_worse(Ps{0.012, 0.02, 0.5, 0.9}, true), (Marks{false, true, true, true}));
  // One comparison: Holm changes nothing. None: nothing to mark.
  EXPECT_EQ(not_significantly_worse(Ps{0.03}, true), Marks{false});
  EXPECT_EQ(not_significantly_worse(Ps{}, true), Marks{});
}

}  // namespace
}  // namespace oodbench
