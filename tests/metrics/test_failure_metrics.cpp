// Failure-detection metrics on cases small enough to compute by hand (the NumPy and FD-Shifts oracles live in
// test_failure_metrics.py).
#include <gtest/gtest.h>

#include "harness/metrics/failure_metrics.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/error.h"
#include "tests/input_errors.h"

namespace oodbench {
namespace {

FailureMetrics failure(std::vector<double> scores, std::vector<bool> correct) {
  return compute_failure_metrics(scores, correct, *make_cpu_backend());
}

TEST(FailureMetrics, ErrorsLeastConfidentIsIdeal) {
  // Accepted one at a time: risks 0, 0, 1/3, 2/4.
  const FailureMetrics m = failure({0.1, 0.2, 0.3, 0.4}, {true, true, false, false});
  EXPECT_DOUBLE_EQ(m.aurc, (0 + 0 + 1.0 / 3 + 0.5) / 4);
  EXPECT_DOUBLE_EQ(m.augrc, (0 + 0 + 0.25 + 0.5) / 4);
  EXPECT_DOUBLE_EQ(ideal_aurc(4, 2), 5.0 / 24);
  EXPECT_NEAR(m.eaurc, 0, 1e-15);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.5);
  EXPECT_EQ(m.n, 4u);
  EXPECT_EQ(m.errors, 2u);
}

TEST(FailureMetrics, ErrorsMostConfidentIsWorst) {
  // Risks 1, 1, 2/3, 2/4; generalised risks 1/4, 2/4, 2/4, 2/4.
  const FailureMetrics m = failure({0.1, 0.2, 0.3, 0.4}, {false, false, true, true});
  EXPECT_DOUBLE_EQ(m.aurc, 19.0 / 24);
  EXPECT_DOUBLE_EQ(m.augrc, 7.0 / 16);
  EXPECT_DOUBLE_EQ(m.eaurc, 19.0 / 24 - 5.0 / 24);
}

TEST(FailureMetrics, EqualScoresAreAcceptedTogether) {
  // Two groups of two: after the first, 1 error in 2; after both, 1 in 4. Row order within a group is irrelevant.
  for (const std::vector<bool>& correct : {std::vector<bool>{true, false, true, true},
                                           std::vector<bool>{false, true, true, true}}) {
    const FailureMetrics m = failure({1, 1, 2, 2}, correct);
    EXPECT_DOUBLE_EQ(m.aurc, 0.5 * 0.5 + 0.5 * 0.25);
    EXPECT_DOUBLE_EQ(m.augrc, 0.5 * 0.25 + 0.5 * 0.25);
    EXPECT_DOUBLE_EQ(m.eaurc, 3.0 / 8 - 1.0 / 16);
  }
}

TEST(FailureMetrics, NoErrorsCostNothing) {
  const FailureMetrics m = failure({3, 1, 2}, {true, true, true});
  EXPECT_EQ(m.aurc, 0);
  EXPECT_EQ(m.augrc, 0);
  EXPECT_EQ(m.eaurc, 0);
  EXPECT_EQ(m.accuracy, 1);
}

TEST(FailureMetrics, RiskCoverageCurveEndsAtTheErrorRate) {
  const RankedFailures ranked(std::vector<double>{1, 1, 2, 3}, {true, false, true, false}, *make_cpu_backend());
  const RiskCoverageCurve c = ranked.risk_coverage();
  EXPECT_EQ(c.coverage, (std::vector<double>{0.5, 0.75, 1.0}));
  EXPECT_EQ(c.risk, (std::vector<double>{0.5, 1.0 / 3, 0.5}));
}

TEST(FailureMetrics, BootstrapBracketsTheObservedValueAndRepeats) {
  std::vector<double> scores;
  std::vector<bool> correct;
  for (int i = 0; i < 200; ++i) {
    scores.push_back(i % 17);
    correct.push_back(i % 5 != 0);
  }
  const RankedFailures ranked(scores, correct, *make_cpu_backend());
  const FailureMetrics m = ranked.metrics();
  const FailureIntervals a = ranked.bootstrap(200, 7), b = ranked.bootstrap(200, 7);
  EXPECT_LE(a.low.aurc, m.aurc);
  EXPECT_GE(a.high.aurc, m.aurc);
  EXPECT_LT(a.low.augrc, a.high.augrc);
  EXPECT_EQ(a.low.aurc, b.low.aurc);
  EXPECT_EQ(a.high.eaurc, b.high.eaurc);
}

TEST(FailureMetrics, BadInputNamesTheProblem) {
  const auto cpu = make_cpu_backend();
  EXPECT_THROW(compute_failure_metrics(std::vector<double>{1, 2}, {true}, *cpu), InputError);
  EXPECT_THROW(compute_failure_metrics(std::vector<double>{}, {}, *cpu), InputError);
  test::expect_input_error(
      [&] { compute_failure_metrics(std::vector<double>{1, NAN}, {true, false}, *cpu, "knn on test"); },
      {"knn on test: non-finite score", "row 1"});
}

}  // namespace
}  // namespace oodbench
