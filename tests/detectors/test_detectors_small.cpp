// Every detector on a case small enough to compute by hand (the float64 reference on real data is
// test_detectors_reference.py). Scores are outlier scores: higher = more OOD.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "harness/detectors/detector.h"
#include "harness/fit/seeded_random.h"
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

TEST_F(SmallCase, AshVariantsShapeTheKeptValues) {
  // x = (1, 3), p = 50: k = 2 - round(1) = 1 keeps the 3. ASH-S: 3 e^(4/3); ASH-P: 3; ASH-B: Σx / k = 4.
  FitContext ctx = identity_head_context(rows({{1, 1}}));
  const Matrix<float> x = rows({{1, 3}});
  const auto energy = [](double z1) { return -std::log(1.0 + std::exp(z1)); };
  EXPECT_NEAR(score("ash", ctx, x, {{"percentile", 50.0}})[0], energy(3 * std::exp(4.0 / 3)), 1e-5);
  EXPECT_NEAR(score("ash", ctx, x, {{"percentile", 50.0}, {"variant", "ash-p"}})[0], energy(3), 1e-6);
  EXPECT_NEAR(score("ash", ctx, x, {{"percentile", 50.0}, {"variant", "ash-b"}})[0], energy(4), 1e-6);
}

TEST_F(SmallCase, GradBceNormsTheHeadGradient) {
  // x = (ln 3, 0): p = (3/4, 1/4). Targets 1: g = 2p - 1 = (1/2, -1/2), ‖g‖² = 1/2, times ‖x‖² + 1. With two classes
  // the uniform target's gradient is the same g: ‖g‖₁ = 1, times ‖x‖₁ + 1.
  FitContext ctx = identity_head_context(rows({{1, 0}, {0, 1}}));
  const Matrix<float> x = rows({{kLn3, 0}, {0, 0}});
  const double squared = 0.5 * (1 + kLn3 * kLn3);
  EXPECT_NEAR(score("gradbce", ctx, x)[0], -squared, 1e-6);
  EXPECT_NEAR(score("gradbce", ctx, x, {{"variant", "gradnorm"}})[0], squared, 1e-6);
  EXPECT_NEAR(score("gradbce", ctx, x, {{"variant", "gradnormkl"}})[0], -(1 + kLn3), 1e-6);
  EXPECT_FLOAT_EQ(score("gradbce", ctx, x, {{"variant", "gradnormkl"}})[1], 0.0f);  // uniform p: no gradient
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

// The 2022-2025 detectors of docs/methods.md ("More post-hoc baselines: 2022-2025 methods").

TEST_F(SmallCase, OraIsTheAngleToTheBoundaryProjection) {
  // Head W = I, b = 0; class means (3, 0) and (0, 3), so μ = (1.5, 1.5).
  // x = (3, 1): p = 0, d = (1, -1), x_1 = x - (3 - 1)/2 d = (2, 2); cos(x - μ, x_1 - μ) = 0.5 / (√2.5 √0.5) = 1/√5.
  FitContext ctx(*backend_, rows({{2, 0}, {4, 0}, {0, 2}, {0, 4}}), {0, 0, 1, 1},
                 LinearHead{rows({{1, 0}, {0, 1}}), {0, 0}});
  const Matrix<float> x = rows({{3, 1}, {1, 1}});
  const double angle = std::acos(1 / std::sqrt(5.0)) / std::numbers::pi;
  EXPECT_NEAR(score("ora", ctx, x)[0], -angle, 1e-6);
  EXPECT_NEAR(score("ora", ctx, x, {{"aggregation", "mean"}})[0], -angle / 2, 1e-6);  // a_p = 0 counts in the mean
  EXPECT_NEAR(score("ora", ctx, x)[1], 0.0, 1e-6);  // (1, 1) lies on the boundary: no angle
}

TEST_F(SmallCase, OraAggregatesOverTheOtherClasses) {
  // Three classes, W = I (3 x 3), b = 0, class means e_0 * 3, e_1 * 3, e_2 * 3: μ = (1, 1, 1).
  // x = (4, 1, 0), p = 0. Class 1: d = (1, -1, 0), shift 3/2, x_1 = (2.5, 2.5, 0); class 2: d = (1, 0, -1),
  // shift 2, x_2 = (2, 1, 2). v = (3, 0, -1); x_1 - μ = (1.5, 1.5, -1), x_2 - μ = (1, 0, 1).
  FitContext ctx(*backend_, rows({{3, 0, 0}, {0, 3, 0}, {0, 0, 3}}), {0, 1, 2},
                 LinearHead{rows({{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}), {0, 0, 0}});
  const Matrix<float> x = rows({{4, 1, 0}});
  const double a1 = std::acos(5.5 / (std::sqrt(10.0) * std::sqrt(5.5))) / std::numbers::pi;
  const double a2 = std::acos(2 / (std::sqrt(10.0) * std::sqrt(2.0))) / std::numbers::pi;
  EXPECT_NEAR(score("ora", ctx, x)[0], -std::max(a1, a2), 1e-6);
  EXPECT_NEAR(score("ora", ctx, x, {{"aggregation", "min"}})[0], -std::min(a1, a2), 1e-6);
  EXPECT_NEAR(score("ora", ctx, x, {{"aggregation", "mean"}})[0], -(a1 + a2) / 3, 1e-6);
}

TEST_F(SmallCase, McmIsTheMaxSoftmaxOfTheCosines) {
  // Text embeddings (2, 0) and (0, 1); x = (3, 4) has cosines 0.6 and 0.8: at T = 0.1, 1 / (1 + e^-2).
  FitContext ctx(*backend_, rows({{1, 1}}), {}, LinearHead{rows({{2, 0}, {0, 1}}), {0, 0}});
  const Matrix<float> x = rows({{3, 4}, {0, 0}});
  EXPECT_NEAR(score("mcm", ctx, x, {{"temperature", 0.1}})[0], -1 / (1 + std::exp(-2.0)), 1e-6);
  EXPECT_NEAR(score("mcm", ctx, x)[0], -1 / (1 + std::exp(-0.2)), 1e-6);
  EXPECT_NEAR(score("mcm", ctx, x)[1], -0.5, 1e-6);  // a zero row: both cosines 0, not NaN
  EXPECT_THROW(score("mcm", ctx, x, {{"temperature", 0.0}}), InputError);
}

TEST_F(SmallCase, OptFsWeighsEachIntervalByItsContribution) {
  // D = 1, W = (1; -1), b = 0, train values 0, 1, ..., 10: percentiles 0.01 and 9.99, width 0.0998, 100 intervals.
  // 0 and 10 fall outside; every other integer k is alone in its interval and predicted as class 0, contributing k:
  // θ = 1000 k / √285 there, 0 elsewhere. x = 3: h = 3 θ, s = -h. x = 3.05 lies in [3.004, 3.1038), where no train
  // value does: s = 0.
  Matrix<float> train(11, 1);
  for (std::size_t i = 0; i < 11; ++i) train(i, 0) = static_cast<float>(i);
  FitContext ctx(*backend_, std::move(train), {}, LinearHead{rows({{1}, {-1}}), {0, 0}});
  const Matrix<float> x = rows({{3}, {3.05f}, {20}});
  const std::vector<float> s = score("optfs", ctx, x);
  EXPECT_NEAR(s[0], -9000 / std::sqrt(285.0), 1e-3);
  EXPECT_EQ(s[1], 0.0f);
  EXPECT_EQ(s[2], 0.0f);
  EXPECT_NEAR(score("optfs", ctx, x, {{"score", "energy"}})[0], -9000 / std::sqrt(285.0), 1e-3);  // -lse(h, -h)
  FitContext flat(*backend_, rows({{1}, {1}}), {}, LinearHead{rows({{1}, {-1}}), {0, 0}});
  EXPECT_THROW(score("optfs", flat, x), InputError);  // no spread: nothing to shape
}

TEST_F(SmallCase, GroodIsTheNearestGradientOfTheCorrectRows) {
  // D = 1, W = (1; -1), b = 0. Train 2, 4 (class 0), -2, 1 (class 1, but 1 is predicted 0: not in the bank).
  // μ_0 = 3, μ_1 = -0.5, μ_o = 1.25; g(x) = p_o(x) sign(x - μ_o), p_o = e^-|x - μ_o| / Σ_j e^-|x - μ_j|.
  FitContext ctx(*backend_, rows({{2}, {4}, {-2}, {1}}), {0, 0, 1, 1}, LinearHead{rows({{1}, {-1}}), {0, 0}});
  auto p_ood = [](double v) {
    const double a = std::exp(-std::abs(v - 3)), b = std::exp(-std::abs(v + 0.5)), o = std::exp(-std::abs(v - 1.25));
    return o / (a + b + o);
  };
  const double bank[] = {p_ood(2), p_ood(4), -p_ood(-2)};
  auto nearest = [&](double g) {
    double best = 1e300;
    for (double b : bank) best = std::min(best, (g - b) * (g - b));
    return best;
  };
  const std::vector<float> s = score("grood", ctx, rows({{2.5}, {1.25}, {1}}));
  EXPECT_NEAR(s[0], nearest(p_ood(2.5)), 1e-7);
  EXPECT_NEAR(s[1], nearest(0), 1e-7);  // at μ_o the gradient is 0
  EXPECT_NEAR(s[2], nearest(-p_ood(1)), 1e-7);  // 1 was left out of the bank: its own gradient is not there
  EXPECT_GT(s[2], 1e-4);
}

TEST_F(SmallCase, KpcaCopIsTheResidualOfTheCentredUnitRows) {
  // Train (1, 0), (0, 1), (-1, 0) are unit rows; μ = (0, 1/3); the centred scatter is diag(2, 2/3): the first axis
  // explains 3/4, and at most D - 1 = 1 axis is kept, so q = 1 for both ratios. s = |φ(x)_y - 1/3|.
  FitContext ctx(*backend_, rows({{1, 0}, {0, 1}, {-1, 0}}), {});
  const Matrix<float> x = rows({{3, 4}, {0, -2}});
  for (double ratio : {0.5, 0.9}) {
    const std::vector<float> s = score("kpca", ctx, x, {{"method", "CoP"}, {"exp_var_ratio", ratio}});
    EXPECT_NEAR(s[0], 0.8 - 1.0 / 3, 1e-6);
    EXPECT_NEAR(s[1], 4.0 / 3, 1e-6);
  }
  EXPECT_THROW(score("kpca", ctx, x, {{"exp_var_ratio", 0.0}}), InputError);
  EXPECT_THROW(score("kpca", ctx, x, {{"features", 1}}), InputError);
}

TEST_F(SmallCase, KpcaCorpIsSeeded) {
  FitContext ctx(*backend_, rows({{1, 0}, {0, 1}, {-1, 0}, {1, 1}, {2, -1}}), {});
  const Matrix<float> x = rows({{3, 4}, {0, -2}});
  const nlohmann::json params = {{"features", 16}, {"exp_var_ratio", 0.9}};
  EXPECT_EQ(score("kpca", ctx, x, params), score("kpca", ctx, x, params));
  nlohmann::json other = params;
  other["seed"] = 1;
  EXPECT_NE(score("kpca", ctx, x, params), score("kpca", ctx, x, other));
}

TEST_F(SmallCase, WeiPerWithoutPerturbationIsTheDivergenceOfTwoBins) {
  // δ = 0, R = 1: the perturbed head is W = I (b = 0). Train (0, 1), (1, 0): lo = 0, hi = 1; with two bins
  // [0, 0.5), [0.5, 1 + 1e-8) every train row puts one value in each, p = p~ = (1/2, 1/2). x = (1, 0.75) puts both
  // in the second, q = q~ = (0, 1); unsmoothed, with ε: q' = (ε, 1 + ε) / (1 + 2ε), p' = (1/2, 1/2).
  FitContext ctx(*backend_, rows({{0, 1}, {1, 0}}), {}, LinearHead{rows({{1, 0}, {0, 1}}), {0, 0}});
  const nlohmann::json params = {{"n_repeats", 1}, {"perturbation_distance", 0.0}, {"n_bins", 2}, {"smoothing", 1},
                                 {"smoothing_perturbed", 1}};
  auto kl = [](double eps) {
    const double a = eps / (1 + 2 * eps), b = (1 + eps) / (1 + 2 * eps);
    return (0.5 - a) * std::log(0.5 / a) + (0.5 - b) * std::log(0.5 / b);
  };
  const double msp = std::exp(1.0) / (std::exp(1.0) + std::exp(0.75));
  EXPECT_NEAR(score("weiper", ctx, rows({{1, 0.75f}}), params)[0], kl(0.01) + 2.5 * kl(0.025) - 0.1 * msp, 1e-5);
  EXPECT_THROW(score("weiper", ctx, rows({{1, 0.75f}}), {{"smoothing", 0}}), InputError);
}

TEST_F(SmallCase, PcaNreScalesTheClippedEnergyByTheResidual) {
  // Train (2, 1), (4, 1), (0, 1): μ = (2, 1), the one principal axis is e_x; percentile 100 clips at 4; W = I, b = 0.
  // x = (3, 3): residual 2 of norm √18, s = -(3 + ln 2)(1 - 2/√18). x = (5, 1) -> (4, 1): no residual, s = -lse(4, 1).
  FitContext ctx(*backend_, rows({{2, 1}, {4, 1}, {0, 1}}), {}, LinearHead{rows({{1, 0}, {0, 1}}), {0, 0}});
  const nlohmann::json params = {{"k", 1}, {"percentile", 100.0}};
  const std::vector<float> s = score("pca_nre", ctx, rows({{3, 3}, {5, 1}}), params);
  EXPECT_NEAR(s[0], -(3 + std::log(2.0)) * (1 - 2 / std::sqrt(18.0)), 1e-5);
  EXPECT_NEAR(s[1], -(4 + std::log(1 + std::exp(-3.0))), 1e-5);
  EXPECT_THROW(score("pca_nre", ctx, rows({{3, 3}}), {{"k", 3}}), InputError);  // k > D
}

TEST(SeededRandomDraws, UniformAndNormalHaveTheirMoments) {
  SeededRandom rng(5);
  double sum = 0, squares = 0, uniform_sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double v = rng.normal();
    sum += v;
    squares += v * v;
    const double u = rng.uniform_double();
    ASSERT_TRUE(u >= 0 && u < 1);
    uniform_sum += u;
  }
  EXPECT_NEAR(sum / n, 0, 0.01);        // standard error 1 / √n = 0.0022
  EXPECT_NEAR(squares / n, 1, 0.01);    // standard error √(2 / n) = 0.0032
  EXPECT_NEAR(uniform_sum / n, 0.5, 0.003);
}

}  // namespace
}  // namespace oodbench
