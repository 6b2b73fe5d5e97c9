// Ranking statistics on a worked example whose every number scipy gives (scipy.stats.rankdata,
// friedmanchisquare, f.sf, studentized_range.ppf; the SciPy oracle over random cases lives in test_ranks.py), and
// Holm's correction on a hand-computed case.
#include <gtest/gtest.h>

#include <cmath>

#include "harness/metrics/rank_statistics.h"

namespace oodbench {
namespace {

// Six blocks (rows) x five detectors, AUROC-like (higher is better), with ties.
const std::vector<std::vector<double>> kExample = {
    {0.90, 0.85, 0.85, 0.70, 0.60}, {0.88, 0.86, 0.80, 0.80, 0.65}, {0.95, 0.80, 0.85, 0.75, 0.70},
    {0.70, 0.72, 0.72, 0.60, 0.61}, {0.81, 0.79, 0.83, 0.78, 0.50}, {0.92, 0.90, 0.88, 0.91, 0.70}};

TEST(RankStatistics, AverageRanksShareTies) {
  EXPECT_EQ(average_ranks(std::vector<double>{0.9, 0.85, 0.85, 0.7}, true), (std::vector<double>{1, 2.5, 2.5, 4}));
  EXPECT_EQ(average_ranks(std::vector<double>{0.9, 0.85, 0.85, 0.7}, false), (std::vector<double>{4, 2.5, 2.5, 1}));
  EXPECT_EQ(average_ranks(std::vector<double>{2, 2, 2}, true), (std::vector<double>{2, 2, 2}));
}

TEST(RankStatistics, WorkedExampleMatchesScipy) {
  const RankTest t = rank_test(kExample, true);
  const std::vector<double> expected_ranks = {1.5, 2.5, 2.4166666666666667, 3.75, 4.8333333333333333};
  for (std::size_t j = 0; j < 5; ++j) EXPECT_NEAR(t.average_rank[j], expected_ranks[j], 1e-12);
  ASSERT_TRUE(t.friedman_statistic && t.friedman_p && t.iman_davenport_statistic && t.iman_davenport_p);
  EXPECT_NEAR(*t.friedman_statistic, 16.649572649573, 1e-9);  // tie-corrected (16.2333 uncorrected)
  EXPECT_NEAR(*t.friedman_p, 2.260633322522e-03, 1e-13);
  EXPECT_NEAR(*t.iman_davenport_statistic, 11.325581395349, 1e-9);
  EXPECT_NEAR(*t.iman_davenport_p, 5.763515606448e-05, 1e-15);
  EXPECT_NEAR(t.nemenyi_q, 2.7277743709, 1e-9);
  EXPECT_NEAR(t.nemenyi_cd, 2.4901059245, 1e-9);
  EXPECT_EQ(t.best, 0u);
  ASSERT_EQ(t.versus_best.size(), 4u);
  const double p_holm[] = {0.54664335658, 0.54664335658, 4.1132490234e-02, 1.0429185314e-03};
  const bool significant[] = {false, false, true, true};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(t.versus_best[i].detector, i + 1);
    EXPECT_NEAR(t.versus_best[i].p_holm, p_holm[i], 1e-10);
    EXPECT_EQ(t.versus_best[i].significant, significant[i]);
  }
  EXPECT_NEAR(t.versus_best[2].z, 2.4647515088, 1e-9);
}

TEST(RankStatistics, StudentizedRangeQuantiles) {
  // k = 2: the range of two standard normals is √2 |N(0, 1)|, so q / √2 is the normal's 97.5th percentile.
  EXPECT_NEAR(studentized_range_quantile(2, 0.05) / std::sqrt(2.0), 1.959963984540, 1e-10);
  // scipy.stats.studentized_range.ppf(0.95, k, inf) / √2; Demšar's table agrees to its three decimals but for
  // k = 3 and 7, which it rounded from a three-decimal table.
  const std::pair<std::size_t, double> q[] = {{3, 2.3437005864}, {5, 2.7277743709}, {7, 2.9483200175},
                                              {10, 3.1636835771}, {50, 3.9923432900}};
  for (const auto& [k, value] : q) EXPECT_NEAR(studentized_range_quantile(k, 0.05) / std::sqrt(2.0), value, 1e-9) << k;
  EXPECT_NEAR(studentized_range_quantile(5, 0.10) / std::sqrt(2.0), 2.45952, 1e-5);
}

TEST(RankStatistics, IdenticalRankingsHaveInfiniteF) {
  const RankTest t = rank_test({{3, 2, 1}, {30, 20, 10}, {0.3, 0.2, 0.1}}, true);
  EXPECT_NEAR(*t.friedman_statistic, 6.0, 1e-12);  // b (k - 1)
  EXPECT_TRUE(std::isinf(*t.iman_davenport_statistic));
  EXPECT_EQ(*t.iman_davenport_p, 0.0);
}

TEST(RankStatistics, FriedmanUndefinedWhereScipyRefuses) {
  EXPECT_FALSE(rank_test({{1, 2}, {2, 1}}, true).friedman_statistic);    // two detectors
  EXPECT_FALSE(rank_test({{1, 2, 3}}, true).friedman_statistic);         // one block
  EXPECT_FALSE(rank_test({{1, 1, 1}, {2, 2, 2}}, true).friedman_statistic);  // every block all tied
}

TEST(RankStatistics, HolmStepDown) {
  // Sorted: 0.01 x4 = 0.04; 0.02 x3 = 0.06; 0.03 x2 = 0.06 (kept monotone); 0.5 x1 = 0.5.
  const std::vector<double> adjusted = holm_adjusted(std::vector<double>{0.03, 0.5, 0.01, 0.02});
  const std::vector<double> expected = {0.06, 0.5, 0.04, 0.06};
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(adjusted[i], expected[i], 1e-15);
  EXPECT_EQ(holm_adjusted(std::vector<double>{0.6, 0.7})[1], 1.0);  // capped at 1
}

}  // namespace
}  // namespace oodbench
