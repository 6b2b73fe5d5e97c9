// Every detector on a case small enough to compute by hand (the float64 reference on real data is
// test_detectors_reference.py). Scores are outlier scores: higher = more OOD.
#include <gtest/gtest.h>

#include <cmath>

#include "harness/detectors/detector.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

Matrix<float> rows(std::initializer_list<std::initializer_list<float>> values) {
  Matrix<float> m(values.size(), values.begin()->size());
  std::size_t i = 0;
  for (const auto& row : values) {
    std::size_t j = 0;
    for (float v : row) m(i, j++) = v;
    ++i;
  }
  return m;
}

class SmallCase : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> backend_ = make_cpu_backend();

  std::vector<float> score(const std::string& name, FitContext& ctx, const Matrix<float>& test,
                           nlohmann::json params = nullptr) {
    return make_fitted_detector(find_detector(name), params, ctx, "test")->score(test, *backend_);
  }
  /// A context whose head is the identity (z = x) with zero bias: logits are the features themselves.
  FitContext identity_head_context(Matrix<float> train) {
    LinearHead head{rows({{1, 0}, {0, 1}}), {0, 0}};
    return FitContext(*backend_, std::move(train), {}, head);
  }
};

const float kLn3 = std::log(3.0f);

TEST_F(SmallCase, LogitDetectors) {
  FitContext ctx = identity_head_context(rows({{1, 0}, {0, 1}}));
  const Matrix<float> x = rows({{kLn3, 0}, {0, 0}, {1, 3}});
  EXPECT_NEAR(score("msp", ctx, x)[0], -0.75, 1e-6);  // p = (3/4, 1/4)
  EXPECT_NEAR(score("msp", ctx, x)[1], -0.5, 1e-6);
  EXPECT_FLOAT_EQ(score("maxlogit", ctx, x)[2], -3.0f);
  EXPECT_NEAR(score("energy", ctx, x)[1], -std::log(2.0), 1e-6);
  EXPECT_NEAR(score("energy", ctx, x, {{"temperature", 2.0}})[2], -2 * std::log(std::exp(0.5) + std::exp(1.5)), 1e-5);
  EXPECT_NEAR(score("entropy", ctx, x)[1], std::log(2.0), 1e-6);  // uniform: maximal entropy
  EXPECT_NEAR(score("entropy", ctx, x)[0], -(0.75 * std::log(0.75) + 0.25 * std::log(0.25)), 1e-6);
  EXPECT_NEAR(score("gradnorm", ctx, x)[0], -0.5 * kLn3, 1e-6);  // (|3/4 - 1/2| + |1/4 - 1/2|) * (ln 3 + 0)
  EXPECT_FLOAT_EQ(score("gradnorm", ctx, x)[1], 0.0f);
}

TEST_F(SmallCase, ReActClipsAtTheTrainPercentile) {
  // Train values 1..10: NumPy's 90th percentile is 9 + 0.1 * (10 - 9) = 9.1.
  FitContext ctx = identity_head_context(rows({{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}}));
  const auto s = score("react", ctx, rows({{20, 0}}));
  EXPECT_NEAR(s[0], -std::log(std::exp(9.1) + 1.0), 1e-5);
}

TEST_F(SmallCase, KnnIsTheKthNormalisedDistance) {
  FitContext ctx(*backend_, rows({{3, 0}, {0, 2}, {-1, 0}}), {});
  const Matrix<float> q = rows({{2, 0}});  // normalised (1, 0): distances 0, sqrt 2, 2
  EXPECT_NEAR(score("knn", ctx, q, {{"k", 1}})[0], 0.0, 1e-6);
  EXPECT_NEAR(score("knn", ctx, q, {{"k", 2}})[0], std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(score("knn", ctx, q, {{"k", 3}})[0], 2.0, 1e-6);
  EXPECT_THROW(score("knn", ctx, q, {{"k", 4}}), InputError);
}

/// Two classes with identity within-class covariance, means (0, 0) and (10, 0).
FitContext two_squares(const Backend& backend) {
  return FitContext(backend, rows({{-1, -1}, {1, 1}, {-1, 1}, {1, -1}, {9, -1}, {11, 1}, {9, 1}, {11, -1}}),
                    {0, 0, 0, 0, 1, 1, 1, 1});
}

TEST_F(SmallCase, MahalanobisIsTheNearestClassDistance) {
  FitContext ctx = two_squares(*backend_);
  EXPECT_NEAR(score("mahalanobis", ctx, rows({{3, 4}}))[0], 25.0, 1e-4);  // class 0: 9 + 16; class 1: 49 + 16
  EXPECT_NEAR(score("mahalanobis", ctx, rows({{3, 4}}), {{"shrinkage", "ridge"}, {"ridge", 1.0}})[0], 12.5, 1e-4);
}

TEST_F(SmallCase, RelativeMahalanobisSubtractsTheGlobalDistance) {
  // Global mean (5, 0), global covariance diag(26, 1): d_0 = 4 / 26 + 16.
  FitContext ctx = two_squares(*backend_);
  EXPECT_NEAR(score("rmds", ctx, rows({{3, 4}}))[0], 25.0 - (4.0 / 26.0 + 16.0), 1e-4);
}

TEST_F(SmallCase, PcaKeepsDirectionsUntilTheVarianceIsExplained) {
  // Variance 2 along x, 0.5 along y: x alone explains 80 %.
  FitContext ctx(*backend_, rows({{2, 0}, {-2, 0}, {0, 1}, {0, -1}}), {});
  EXPECT_NEAR(score("pca", ctx, rows({{3, 2}}), {{"variance", 0.5}})[0], 4.0, 1e-5);  // residual y² = 4
  EXPECT_NEAR(score("pca", ctx, rows({{3, 2}}), {{"variance", 0.9}})[0], 0.0, 1e-5);  // both kept
}

TEST_F(SmallCase, VimScalesTheResidualByAlpha) {
  // W = (1, 0; -1, 0), b = 0: origin u = 0; Σ_u = diag(2, 0.5), so the residual space is the y axis.
  // Train max logits |x|: mean 1; train residuals |y|: mean 0.5; alpha = 2.
  LinearHead head{rows({{1, 0}, {-1, 0}}), {0, 0}};
  FitContext ctx(*backend_, rows({{2, 0}, {-2, 0}, {0, 1}, {0, -1}}), {}, head);
  const auto s = score("vim", ctx, rows({{1, 3}}), {{"principal_dims", 1}});
  EXPECT_NEAR(s[0], 2.0 * 3.0 - std::log(std::exp(1.0) + std::exp(-1.0)), 1e-5);
}

TEST_F(SmallCase, NecoWithEveryComponentKeepsTheWholeNorm) {
  FitContext ctx = identity_head_context(rows({{2, 0}, {-2, 0}, {0, 1}, {0, -1}}));
  EXPECT_NEAR(score("neco", ctx, rows({{1, 3}}), {{"dims", 5}, {"use_maxlogit", false}})[0], -1.0, 1e-6);
  EXPECT_NEAR(score("neco", ctx, rows({{1, 3}}), {{"dims", 2}})[0], -3.0, 1e-5);  // ratio 1 times max logit 3
}

TEST_F(SmallCase, BadParametersAndNeedsAreInputErrors) {
  FitContext unlabeled(*backend_, rows({{1, 0}, {0, 1}}), {});
  EXPECT_THROW(score("mahalanobis", unlabeled, rows({{1, 0}})), InputError);  // needs labels
  EXPECT_THROW(score("msp", unlabeled, rows({{1, 0}})), InputError);          // needs a head
  EXPECT_THROW(score("knn", unlabeled, rows({{1, 0}}), {{"kk", 1}}), InputError);
  EXPECT_THROW(score("knn", unlabeled, rows({{1, 0}}), {{"k", "one"}}), InputError);
  EXPECT_THROW(score("mahalanobis", unlabeled, rows({{1, 0}}), {{"shrinkage", "oas"}}), InputError);
  EXPECT_THROW(find_detector("odin"), InputError);
  FitContext one_class(*backend_, rows({{1, 0}, {0, 1}}), {0, 0});
  EXPECT_THROW(score("mahalanobis", one_class, rows({{1, 0}})), InputError);
  EXPECT_THROW(FitContext(*backend_, rows({{1, 0}, {0, 1}}), {0, 2}), InputError);  // class 1 has no sample
}

TEST_F(SmallCase, ConstantFeaturesWarnThatEveryMahalanobisDistanceIsZero) {
  // Every row equal within its class: the shared covariance is 0, its pseudo-inverse 0, every score 0.
  FitContext ctx(*backend_, rows({{1, 2}, {1, 2}, {3, 4}, {3, 4}}), {0, 0, 1, 1});
  const std::vector<float> s = score("mahalanobis", ctx, rows({{0, 0}, {9, 9}}));
  EXPECT_EQ(s, (std::vector<float>{0, 0}));
  ASSERT_EQ(ctx.warnings().size(), 1u);
  EXPECT_NE(ctx.warnings()[0].find("the class covariance is zero"), std::string::npos) << ctx.warnings()[0];
  FitContext varied(*backend_, rows({{1, 2}, {2, 1}, {3, 4}, {5, 3}, {1, 1}, {4, 4}}), {0, 0, 1, 1, 0, 1});
  score("mahalanobis", varied, rows({{0, 0}}));
  for (const std::string& w : varied.warnings()) EXPECT_EQ(w.find("is zero"), std::string::npos) << w;
}

}  // namespace
}  // namespace oodbench
