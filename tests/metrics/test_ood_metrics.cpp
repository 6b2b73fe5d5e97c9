// OOD metrics on cases small enough to compute by hand (the scikit-learn oracle lives in test_metrics_sklearn.py).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "harness/metrics/ood_metrics.h"
#include "harness/metrics/paired_bootstrap.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/error.h"
#include "tests/input_errors.h"

namespace oodbench {
namespace {

OodMetrics metrics(std::vector<double> id, std::vector<double> ood) {
  return compute_ood_metrics(id, ood, *make_cpu_backend());
}

TEST(OodMetrics, PerfectSeparation) {
  const OodMetrics m = metrics({0, 1, 2}, {3, 4});
  EXPECT_EQ(m.auroc, 1.0);
  EXPECT_EQ(m.fpr95, 0.0);
  EXPECT_EQ(m.fpr95_ood_positive, 0.0);
  EXPECT_EQ(m.aupr_in, 1.0);
  EXPECT_EQ(m.aupr_out, 1.0);
  EXPECT_EQ(m.n_id, 3u);
  EXPECT_EQ(m.n_ood, 2u);
}

TEST(OodMetrics, ReversedSeparation) {
  const OodMetrics m = metrics({3, 4}, {0, 1, 2});
  EXPECT_EQ(m.auroc, 0.0);
  EXPECT_EQ(m.fpr95, 1.0);             // all OOD must be accepted before 95 % of ID is
  EXPECT_EQ(m.fpr95_ood_positive, 1.0);
}

TEST(OodMetrics, AllTiedIsChance) {
  const OodMetrics m = metrics({1, 1}, {1, 1, 1});
  EXPECT_EQ(m.auroc, 0.5);
  EXPECT_EQ(m.fpr95, 1.0);
  EXPECT_EQ(m.fpr95_ood_positive, 1.0);
  EXPECT_DOUBLE_EQ(m.aupr_in, 0.4);  // one threshold: precision = prevalence
  EXPECT_DOUBLE_EQ(m.aupr_out, 0.6);
  EXPECT_DOUBLE_EQ(m.aupr_out_trapz, (0.6 + 1.0) / 2);  // from (recall 0, precision 1) to (1, 0.6)
}

TEST(OodMetrics, SmallestSets) {
  EXPECT_EQ(metrics({0}, {1}).auroc, 1.0);
  EXPECT_EQ(metrics({1}, {0}).auroc, 0.0);
  EXPECT_EQ(metrics({1}, {1}).auroc, 0.5);
}

TEST(OodMetrics, HandComputedWithTies) {
  // ID {1, 2, 2}, OOD {2, 3}. Pairs (out > in): 3 beats all three, 2 beats 1 and ties two 2s: (3 + 1 + 0.5 * 2) / 6.
  const OodMetrics m = metrics({1, 2, 2}, {2, 3});
  EXPECT_DOUBLE_EQ(m.auroc, 5.0 / 6.0);
  // OOD positive, thresholds 3, 2, 1: (tpr, fpr) = (0.5, 0), (1, 2/3), (1, 1): first tpr >= 0.95 gives fpr 2/3.
  EXPECT_DOUBLE_EQ(m.fpr95_ood_positive, 2.0 / 3.0);
  // ID positive on -s, thresholds 1, 2, 3: tpr 1/3, 1, 1 with fpr 0, 1/2, 1.
  EXPECT_DOUBLE_EQ(m.fpr95, 0.5);
  // AP(OOD+): recall steps 0.5 at precision 1/1, then 0.5 at precision 2/4.
  EXPECT_DOUBLE_EQ(m.aupr_out, 0.5 * 1.0 + 0.5 * 0.5);
  // AP(ID+): recall 1/3 at precision 1, then 2/3 at precision 3/4.
  EXPECT_DOUBLE_EQ(m.aupr_in, 1.0 / 3.0 + (2.0 / 3.0) * 0.75);
  // Trapezoids through (0, 1), (1/3, 1), (1, 3/4), (1, 3/5).
  EXPECT_DOUBLE_EQ(m.aupr_in_trapz, 1.0 / 3.0 + (2.0 / 3.0) * (1.0 + 0.75) / 2);
}

TEST(OodMetrics, NonFiniteScoresNameTheRow) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  test::expect_input_error(
      [&] { compute_ood_metrics(std::vector<double>{0, 1}, std::vector<double>{2, nan}, *make_cpu_backend(), "id",
                                "knn on x"); },
      {"knn on x: non-finite score (nan) at row 1"});
  EXPECT_THROW(metrics({}, {1}), InputError);
  EXPECT_THROW(metrics({1}, {}), InputError);
}


// Over seeds, a detector's value is the mean of its runs, replicate by replicate, on the same resampled rows.
TEST(PairedBootstrap, RunsAverageReplicateByReplicate) {
  const auto backend = make_cpu_backend();
  const std::vector<double> id = {0.1, 0.4, 0.35, 0.8, 0.2}, ood1 = {0.9, 0.3, 0.7}, ood2 = {0.5, 0.6, 0.95};
  const std::vector<double> id_b = {0.3, 0.2, 0.6, 0.1, 0.0};
  const RankedScores r1(id, ood1, *backend), r2(id_b, ood2, *backend);
  const PairedResamples resamples(5, {3}, 200, 42);
  const std::vector<SetColumn> columns = {{0}};
  const MetricField& auroc = metric_field("auroc");
  const auto both = resamples.samples({{r1}, {r2}}, auroc, columns);
  const auto one = resamples.samples({{r1}}, auroc, columns), two = resamples.samples({{r2}}, auroc, columns);
  EXPECT_DOUBLE_EQ(both[0].observed, (one[0].observed + two[0].observed) / 2);
  for (std::size_t r = 0; r < 200; ++r)
    EXPECT_DOUBLE_EQ(both[0].replicates[r], (one[0].replicates[r] + two[0].replicates[r]) / 2);
  // A detector against itself: no difference, p = 1.
  const PairedDifference same = paired_difference(one[0], one[0]);
  EXPECT_EQ(same.diff, 0);
  EXPECT_EQ(same.p_value, 1);
}

// Detection error by hand: ID {0, 1}, OOD {2, 3} separate perfectly (0); all tied: 0.5 (flag nothing or all).
TEST(OodMetrics, DetectionErrorByHand) {
  EXPECT_DOUBLE_EQ(metrics({0, 1}, {2, 3}).detection_error, 0.0);
  EXPECT_DOUBLE_EQ(metrics({1, 1}, {1, 1}).detection_error, 0.5);
  // ID {0, 2}, OOD {1, 3}: flagging > 2.5 misses one OOD (1/4) and no ID: 0.25; > 0.5 flags one ID (1/4) and no
  // OOD miss: 0.25.
  EXPECT_DOUBLE_EQ(metrics({0, 2}, {1, 3}).detection_error, 0.25);
}

}  // namespace
}  // namespace oodbench
