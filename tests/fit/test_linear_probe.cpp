// The linear probe's solvers reach the same optimum (the objective is strictly convex in W and the bias is normalised
// to sum to zero), in the shapes that take different paths (D < N, D > N, two and several classes), and the probe
// cache: a hit is bit-identical and trains nothing; other inputs, a corrupt or foreign file train again.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <unistd.h>

#include "harness/fit/fit_context.h"
#include "harness/fit/probe_cache.h"
#include "harness/io/content_hash.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/cuda_backend.h"

namespace oodbench {
namespace {

namespace fs = std::filesystem;

const Backend& cpu() {
  static const std::unique_ptr<Backend> backend = make_cpu_backend();
  return *backend;
}

struct Labelled {
  Matrix<float> x;
  std::vector<std::int32_t> y;
  std::size_t classes;
};

/// Overlapping Gaussian classes on a common offset: a large one, as in non-negative embeddings whose mean dominates,
/// is what makes L-BFGS over (W, b) slow (or stall early).
Labelled toy(std::size_t n, std::size_t d, std::size_t classes, unsigned seed = 7, float offset = 5) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  Matrix<float> centers(classes, d);
  for (float& v : centers.data) v = normal(rng);
  Labelled out{Matrix<float>(n, d), std::vector<std::int32_t>(n), classes};
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = i % classes;
    out.y[i] = static_cast<std::int32_t>(c);
    for (std::size_t j = 0; j < d; ++j) out.x(i, j) = offset * (1 + 0.1f * static_cast<float>(j % 3)) + centers(c, j) + 1.5f * normal(rng);
  }
  return out;
}

/// The objective of docs/methods.md at a head, in float64.
double objective(const Labelled& data, const LinearHead& head, double c_reg = 1.0) {
  const std::size_t n = data.x.rows, d = data.x.cols, c = data.classes;
  double loss = 0, w_sq = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> z(c);
    double m = -INFINITY;
    for (std::size_t k = 0; k < c; ++k) {
      z[k] = head.bias[k];
      for (std::size_t j = 0; j < d; ++j) z[k] += static_cast<double>(head.weight(k, j)) * data.x(i, j);
      m = std::max(m, z[k]);
    }
    double s = 0;
    for (double v : z) s += std::exp(v - m);
    loss += m + std::log(s) - z[static_cast<std::size_t>(data.y[i])];
  }
  for (float w : head.weight.data) w_sq += static_cast<double>(w) * w;
  return loss / static_cast<double>(n) + w_sq / (2 * c_reg * static_cast<double>(n));
}

void expect_same_optimum(const Labelled& data) {
  ProbeOptions tight;  // both to far below 1e-6, so that the two heads must agree to about float32 rounding
  tight.gradient_tolerance = 1e-7;
  ProbeOptions plain = tight;
  plain.solver = ProbeSolver::plain;
  ProbeReport r_new, r_old;
  const LinearHead h_new = train_linear_probe(data.x, data.y, data.classes, tight, cpu(), &r_new);
  const LinearHead h_old = train_linear_probe(data.x, data.y, data.classes, plain, cpu(), &r_old);
  ASSERT_TRUE(r_new.converged) << r_new.gradient_norm << " after " << r_new.iterations;
  ASSERT_TRUE(r_old.converged) << r_old.gradient_norm << " after " << r_old.iterations;
  EXPECT_LT(r_new.gradient_norm, 1e-7);
  EXPECT_NEAR(r_new.loss, r_old.loss, 1e-12);
  EXPECT_NEAR(objective(data, h_new), r_new.loss, 1e-6);  // the report is of the head returned
  double scale = 0;
  for (float w : h_old.weight.data) scale = std::max(scale, std::abs(static_cast<double>(w)));
  for (std::size_t j = 0; j < h_new.weight.data.size(); ++j)
    ASSERT_NEAR(h_new.weight.data[j], h_old.weight.data[j], 1e-5 * scale) << "weight " << j;
  double bias_sum = 0;
  for (std::size_t k = 0; k < data.classes; ++k) {
    // The bias is not penalised: where the classes separate, p(1 - p) and with it its curvature is small, so a
    // gradient of 1e-7 leaves it less determined than W.
    EXPECT_NEAR(h_new.bias[k], h_old.bias[k], 1e-4 * (1 + std::abs(h_old.bias[k]))) << "bias " << k;
    bias_sum += h_new.bias[k];
  }
  EXPECT_NEAR(bias_sum, 0.0, 1e-5);  // the same normalisation as the original solver's
}

// A small offset, so that the plain solver converges too and can be the reference.
TEST(LinearProbe, PreconditionedReachesThePlainOptimumTwoClasses) { expect_same_optimum(toy(400, 24, 2, 7, 0.5f)); }
TEST(LinearProbe, PreconditionedReachesThePlainOptimumSeveralClasses) { expect_same_optimum(toy(300, 16, 5, 7, 0.5f)); }
TEST(LinearProbe, PreconditionedReachesThePlainOptimumWiderThanTall) { expect_same_optimum(toy(40, 90, 3, 7, 0.5f)); }

// A large offset: the preconditioned solver converges and its objective is no worse than the plain solver's.
TEST(LinearProbe, ConvergesWhereThePlainSolverStruggles) {
  for (const Labelled& data : {toy(300, 16, 5), toy(40, 90, 3), toy(500, 32, 2)}) {
    ProbeReport r_new, r_old;
    const LinearHead head = train_linear_probe(data.x, data.y, data.classes, {}, cpu(), &r_new);
    ProbeOptions plain;
    plain.solver = ProbeSolver::plain;
    train_linear_probe(data.x, data.y, data.classes, plain, cpu(), &r_old);
    EXPECT_TRUE(r_new.converged) << r_new.gradient_norm << " after " << r_new.iterations;
    EXPECT_LT(r_new.gradient_norm, 1e-6);
    EXPECT_LE(r_new.loss, r_old.loss + 1e-10);
    EXPECT_NEAR(objective(data, head), r_new.loss, 1e-6);
  }
}

class ProbeCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("oodbench-probe-cache-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir() const { return dir_.string(); }
  fs::path dir_;
};

void expect_bit_identical(const CachedProbe& a, const CachedProbe& b) {
  ASSERT_EQ(a.head.weight.data.size(), b.head.weight.data.size());
  EXPECT_EQ(0, std::memcmp(a.head.weight.data.data(), b.head.weight.data.data(), a.head.weight.data.size() * 4));
  EXPECT_EQ(0, std::memcmp(a.head.bias.data(), b.head.bias.data(), a.head.bias.size() * 4));
  EXPECT_EQ(a.report.iterations, b.report.iterations);
  EXPECT_EQ(a.report.loss, b.report.loss);
  EXPECT_EQ(a.report.gradient_norm, b.report.gradient_norm);
  EXPECT_EQ(a.report.converged, b.report.converged);
}

TEST_F(ProbeCache, HitIsBitIdenticalAndTrainsNothing) {
  const Labelled data = toy(200, 12, 3);
  const CachedProbe first = cached_linear_probe(dir(), data.x, data.y, data.classes, {}, cpu());
  EXPECT_TRUE(first.trained);
  EXPECT_TRUE(first.write_error.empty()) << first.write_error;
  EXPECT_TRUE(fs::is_regular_file(first.file)) << first.file;
  const CachedProbe second = cached_linear_probe(dir(), data.x, data.y, data.classes, {}, cpu());
  EXPECT_FALSE(second.trained);
  EXPECT_EQ(second.file, first.file);
  expect_bit_identical(first, second);
  const CachedProbe uncached = cached_linear_probe("", data.x, data.y, data.classes, {}, cpu());
  EXPECT_TRUE(uncached.trained);
  EXPECT_TRUE(uncached.file.empty());
  expect_bit_identical(first, uncached);
}

TEST_F(ProbeCache, OtherInputsOrOptionsTrainAgain) {
  Labelled data = toy(200, 12, 3);
  const CachedProbe first = cached_linear_probe(dir(), data.x, data.y, data.classes, {}, cpu());
  ProbeOptions other;
  other.c_reg = 0.5;
  EXPECT_TRUE(cached_linear_probe(dir(), data.x, data.y, data.classes, other, cpu()).trained);
  other = {};
  other.solver = ProbeSolver::plain;
  EXPECT_TRUE(cached_linear_probe(dir(), data.x, data.y, data.classes, other, cpu()).trained);
  std::swap(data.y[0], data.y[1]);
  const CachedProbe relabelled = cached_linear_probe(dir(), data.x, data.y, data.classes, {}, cpu());
  EXPECT_TRUE(relabelled.trained);
  EXPECT_NE(relabelled.file, first.file);
  std::swap(data.y[0], data.y[1]);
  data.x(3, 4) += 1;
  EXPECT_TRUE(cached_linear_probe(dir(), data.x, data.y, data.classes, {}, cpu()).trained);
}

TEST_F(ProbeCache, CorruptOrForeignFileIsTrainedAgainAndReplaced) {
  const Labelled data = toy(200, 12, 3);
  const CachedProbe first = cached_linear_probe(dir(), data.x, data.y, data.classes, {}, cpu());
  for (const std::string& garbage : {std::string(), std::string("not a zip"), std::string(40, '\0')}) {
    std::ofstream(first.file, std::ios::binary | std::ios::trunc) << garbage;
    const CachedProbe again = cached_linear_probe(dir(), data.x, data.y, data.classes, {}, cpu());
    EXPECT_TRUE(again.trained);
    expect_bit_identical(first, again);
    EXPECT_FALSE(cached_linear_probe(dir(), data.x, data.y, data.classes, {}, cpu()).trained);  // replaced
  }
  // Truncated: the first half of a valid file.
  const auto size = fs::file_size(first.file);
  fs::resize_file(first.file, size / 2);
  expect_bit_identical(first, cached_linear_probe(dir(), data.x, data.y, data.classes, {}, cpu()));
  // A valid cache file of other inputs under this name: its key does not match, so it is not read.
  Labelled other = toy(200, 12, 3, 99);
  const CachedProbe foreign = cached_linear_probe(dir(), other.x, other.y, other.classes, {}, cpu());
  fs::copy_file(foreign.file, first.file, fs::copy_options::overwrite_existing);
  const CachedProbe after = cached_linear_probe(dir(), data.x, data.y, data.classes, {}, cpu());
  EXPECT_TRUE(after.trained);
  expect_bit_identical(first, after);
}

TEST_F(ProbeCache, UnwritableFolderStillGivesTheHead) {
  const Labelled data = toy(120, 8, 2);
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  const CachedProbe probe =
      cached_linear_probe((dir_ / "file" / "cache").string(), data.x, data.y, data.classes, {}, cpu());
  EXPECT_TRUE(probe.trained);
  EXPECT_FALSE(probe.write_error.empty());
  expect_bit_identical(probe, cached_linear_probe("", data.x, data.y, data.classes, {}, cpu()));
}

TEST_F(ProbeCache, FitContextReadsTheProbeOfAnEarlierContext) {
  const Labelled data = toy(150, 10, 3);
  const auto backend = make_cpu_backend();
  FitContext first(*backend, data.x, data.y);
  first.set_probe_cache(dir());
  const LinearHead trained = first.head();
  EXPECT_TRUE(first.probe_read_from().empty());
  FitContext second(*backend, data.x, data.y);
  second.set_probe_cache(dir());
  const LinearHead& read = second.head();
  EXPECT_FALSE(second.probe_read_from().empty());
  EXPECT_EQ(0, std::memcmp(read.weight.data.data(), trained.weight.data.data(), trained.weight.data.size() * 4));
  EXPECT_EQ(0, std::memcmp(read.bias.data(), trained.bias.data(), trained.bias.size() * 4));
}

// The CPU's files are named as before the probe could train on a GPU, so caches written then still hit.
TEST_F(ProbeCache, CpuFileNameIsUnchanged) {
  const Labelled data = toy(60, 6, 2);
  const ProbeOptions options;
  const CachedProbe probe = cached_linear_probe(dir(), data.x, data.y, data.classes, options, cpu());
  char numbers[160];
  std::snprintf(numbers, sizeof numbers, "classes %zu\nc_reg %a\ngradient_tolerance %a\nmax_iterations %d\n",
                data.classes, options.c_reg, options.gradient_tolerance, options.max_iterations);
  const std::string key = "oodbench linear probe\nsolver preconditioned " + std::to_string(kProbeSolverVersion) +
                          "\nfeatures " + content_hash(data.x) + "\nlabels " + content_hash(data.y) + "\n" + numbers;
  EXPECT_EQ(fs::path(probe.file).filename().string(), "probe-" + content_hash(std::string_view(key)).substr(5) + ".npz");
}

/// The CPU backend under the GPU's kind: what the probe cache sees of a GPU, on a machine without one.
class CpuCalledCuda final : public CpuBackend {
 public:
  DeviceKind kind() const override { return DeviceKind::cuda; }
};

// A head trained on the GPU is not the CPU's bits: each device reads only the files it wrote.
TEST_F(ProbeCache, GpuAndCpuHeadsKeepFilesOfTheirOwn) {
  const Labelled data = toy(120, 8, 3);
  const CpuCalledCuda gpu;
  const CachedProbe on_gpu = cached_linear_probe(dir(), data.x, data.y, data.classes, {}, gpu);
  const CachedProbe on_cpu = cached_linear_probe(dir(), data.x, data.y, data.classes, {}, cpu());
  EXPECT_TRUE(on_gpu.trained);
  EXPECT_TRUE(on_cpu.trained);
  EXPECT_NE(on_gpu.file, on_cpu.file);
  EXPECT_FALSE(cached_linear_probe(dir(), data.x, data.y, data.classes, {}, gpu).trained);
  EXPECT_FALSE(cached_linear_probe(dir(), data.x, data.y, data.classes, {}, cpu()).trained);
}

// On the GPU the loss and gradient are summed in another order, so L-BFGS takes a slightly different path to the
// same strictly convex optimum: held to the bounds that the two solvers are held to above (both to 1e-7), since the
// gradient tolerance, not the path, decides how far from the optimum a head may lie.
TEST(LinearProbeOnGpu, ReachesTheCpuOptimum) {
  std::string why;
  if (!cuda_usable(&why)) GTEST_SKIP() << "no usable GPU: " << why;
  const std::unique_ptr<Backend> gpu = make_cuda_backend();
  ProbeOptions tight;
  tight.gradient_tolerance = 1e-7;
  for (const Labelled& data : {toy(4000, 64, 10), toy(300, 16, 5), toy(40, 90, 3)}) {
    ProbeReport r_gpu, r_cpu;
    const LinearHead h_gpu = train_linear_probe(data.x, data.y, data.classes, tight, *gpu, &r_gpu);
    const LinearHead h_cpu = train_linear_probe(data.x, data.y, data.classes, tight, cpu(), &r_cpu);
    ASSERT_TRUE(r_gpu.converged) << r_gpu.gradient_norm << " after " << r_gpu.iterations;
    ASSERT_TRUE(r_cpu.converged) << r_cpu.gradient_norm << " after " << r_cpu.iterations;
    EXPECT_NEAR(r_gpu.loss, r_cpu.loss, 1e-12);
    EXPECT_NEAR(objective(data, h_gpu), r_gpu.loss, 1e-6);
    double scale = 0;
    for (float w : h_cpu.weight.data) scale = std::max(scale, std::abs(static_cast<double>(w)));
    for (std::size_t j = 0; j < h_cpu.weight.data.size(); ++j)
      ASSERT_NEAR(h_gpu.weight.data[j], h_cpu.weight.data[j], 1e-5 * scale) << "weight " << j;
    for (std::size_t k = 0; k < data.classes; ++k)
      EXPECT_NEAR(h_gpu.bias[k], h_cpu.bias[k], 1e-4 * (1 + std::abs(h_cpu.bias[k]))) << "bias " << k;
  }
}

}  // namespace
}  // namespace oodbench
