// Backend::keep_resident on the CUDA backend: every primitive given a resident matrix answers exactly what it answers
// after a fresh upload, the kept matrix crosses the bus once (upload_bytes), and a matrix over the memory budget is
// simply not kept. Each test skips itself, with the reason, where no GPU is usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/nero_terms.h"
#include "tests/kernels/test_inputs.h"

namespace oodbench {
namespace {

class CudaResidency : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!cuda_usable(&why)) GTEST_SKIP() << "no usable GPU: " << why;
    gpu_ = make_cuda_backend();
  }
  std::unique_ptr<Backend> gpu_;
};

using test::gaussian;

std::uint64_t bytes_of(const Matrix<float>& m) { return m.data.size() * sizeof(float); }

/// The uploads `f` makes.
template <class F>
std::uint64_t uploads_of(const Backend& backend, F&& f) {
  const std::uint64_t before = backend.upload_bytes();
  f();
  return backend.upload_bytes() - before;
}

TEST_F(CudaResidency, KeepingUploadsOnceAndKeepingAgainSharesTheCopy) {
  const auto x = gaussian(3000, 64, 1);
  ResidentHandle first, second;
  EXPECT_EQ(uploads_of(*gpu_, [&] { first = gpu_->keep_resident(x); }), bytes_of(x));
  EXPECT_TRUE(first.active());
  EXPECT_EQ(uploads_of(*gpu_, [&] { second = gpu_->keep_resident(x); }), 0u);
  EXPECT_TRUE(second.active());
  EXPECT_FALSE(gpu_->keep_resident(Matrix<float>()).active());
}

TEST_F(CudaResidency, KnnReadsAResidentDatabaseAndQueriesInPlace) {
  const auto db = gaussian(20000, 48, 2), queries = gaussian(700, 48, 3);  // 3 database tiles
  const auto expected = gpu_->kth_smallest_sqdist(db, queries, 10);
  const std::uint64_t per_call = uploads_of(*gpu_, [&] { gpu_->kth_smallest_sqdist(db, queries, 10); });
  EXPECT_EQ(per_call, bytes_of(db) + bytes_of(queries));
  const ResidentHandle kept_db = gpu_->keep_resident(db);
  std::vector<float> got;
  EXPECT_EQ(uploads_of(*gpu_, [&] { got = gpu_->kth_smallest_sqdist(db, queries, 10); }), bytes_of(queries));
  EXPECT_EQ(got, expected);
  const ResidentHandle kept_queries = gpu_->keep_resident(queries);
  EXPECT_EQ(uploads_of(*gpu_, [&] { got = gpu_->kth_smallest_sqdist(db, queries, 10); }), 0u);
  EXPECT_EQ(got, expected);
}

TEST_F(CudaResidency, KnnWithResidentQueriesInSeveralChunks) {
  const auto db = gaussian(17000, 40, 4), queries = gaussian(3000, 40, 5);
  setenv("OODBENCH_GPU_MEMORY_BYTES", std::to_string(8u << 20).c_str(), 1);  // several query chunks
  const auto expected = gpu_->kth_smallest_sqdist(db, queries, 20);
  unsetenv("OODBENCH_GPU_MEMORY_BYTES");
  const ResidentHandle kd = gpu_->keep_resident(db), kq = gpu_->keep_resident(queries);  // kept before the cap
  setenv("OODBENCH_GPU_MEMORY_BYTES", std::to_string(8u << 20).c_str(), 1);
  const auto got = gpu_->kth_smallest_sqdist(db, queries, 20);
  unsetenv("OODBENCH_GPU_MEMORY_BYTES");
  EXPECT_EQ(got, expected);
}

TEST_F(CudaResidency, EveryPrimitiveAnswersTheSameFromAResidentCopy) {
  const std::size_t n = 900, d = 96, classes = 5, k = 20, pca = 16;
  const auto x = gaussian(n, d, 6), w = gaussian(classes, d, 7), relevance = gaussian(n, d, 8);
  const auto projected = gaussian(n, pca, 9), centroids = gaussian(classes, pca, 10);
  Matrix<double> centers(1, d);
  AutoencoderParams<float> ae = AutoencoderParams<float>::zeros(d, 32, 8);
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 0.1f);
  for (auto& layer : ae.weight)
    for (float& v : layer.data) v = normal(rng);
  std::vector<std::uint32_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>((i * 7919) % n);

  auto run = [&] {
    auto sorted_rows = [](Matrix<std::int32_t> m) {  // k_smallest_per_row's order within a row is unspecified
      for (std::size_t i = 0; i < m.rows; ++i) std::sort(m.row(i), m.row(i) + m.cols);
      return m.data;
    };
    auto trainer = test::trainer_of(*gpu_, ae, x, 128);
    const auto losses = test::epoch_of(*trainer, order);
    const NeroRowTerms nero = nero_row_terms(*gpu_, projected, centroids, relevance, x, k);
    const NearestCentroid nc = gpu_->nearest_centroid(x, w, CentroidMetric::squared_l2);
    return std::make_tuple(gpu_->matmul_nt(x, w).data, gpu_->scatter(x, centers, {}, nullptr).data,
                           sorted_rows(gpu_->k_smallest_per_row(relevance, k)), nc.distance, nc.index,
                           nero.nearest.distance, nero.nearest.index, nero.rho, losses,
                           trainer->params(0).weight[0].data, gpu_->autoencoder_reconstruct(ae, x).data);
  };
  const auto uploaded = run();
  std::vector<ResidentHandle> kept;
  for (const Matrix<float>* m : {&x, &w, &relevance, &projected, &centroids}) kept.push_back(gpu_->keep_resident(*m));
  for (const ResidentHandle& h : kept) EXPECT_TRUE(h.active());
  EXPECT_TRUE(uploaded == run());
}

TEST_F(CudaResidency, ATrainerKeepsItsResidentRowsAfterTheHandleGoes) {
  const auto x = gaussian(500, 32, 12);
  const auto ae = AutoencoderParams<float>::zeros(32, 16, 4);
  std::vector<std::uint32_t> order(x.rows);
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
  const auto expected = test::epoch_of(*test::trainer_of(*gpu_, ae, x, 64), order);
  ResidentHandle h = gpu_->keep_resident(x);
  auto trainer = test::trainer_of(*gpu_, ae, x, 64);
  h.reset();  // the trainer still holds its share of the copy
  EXPECT_EQ(test::epoch_of(*trainer, order), expected);
}

TEST_F(CudaResidency, AMatrixOverTheBudgetIsNotKeptAndStillAnswers) {
  const auto db = gaussian(5000, 64, 13), queries = gaussian(100, 64, 14);
  const auto expected = gpu_->kth_smallest_sqdist(db, queries, 5);
  setenv("OODBENCH_GPU_MEMORY_BYTES", std::to_string(bytes_of(db)).c_str(), 1);  // keeping needs twice the matrix
  const ResidentHandle h = gpu_->keep_resident(db);
  unsetenv("OODBENCH_GPU_MEMORY_BYTES");
  EXPECT_FALSE(h.active());
  std::vector<float> got;
  EXPECT_EQ(uploads_of(*gpu_, [&] { got = gpu_->kth_smallest_sqdist(db, queries, 5); }),
            bytes_of(db) + bytes_of(queries));
  EXPECT_EQ(got, expected);
}

/// Sets an environment variable for one scope.
struct ScopedEnv {
  const char* name;
  ScopedEnv(const char* variable, std::size_t value) : name(variable) { setenv(name, std::to_string(value).c_str(), 1); }
  ~ScopedEnv() { unsetenv(name); }
};

constexpr std::size_t kMiB = std::size_t{1} << 20;

/// A matrix of `mib` MiB (1024 columns).
Matrix<float> mebibytes(std::size_t mib, unsigned seed) { return gaussian(mib * kMiB / 4096, 1024, seed); }

TEST_F(CudaResidency, CopiesAreAdmittedAgainstARunningTotal) {
  const auto a = mebibytes(4, 20), b = mebibytes(4, 21);
  const ScopedEnv budget("OODBENCH_GPU_MEMORY_BYTES", 3 * bytes_of(a));  // copies may take 1.5 matrices together
  ResidentHandle ha = gpu_->keep_resident(a);
  EXPECT_TRUE(ha.active());
  // Half of the budget would admit b too (as half of the free memory did, matrix by matrix); the total does not.
  EXPECT_FALSE(gpu_->keep_resident(b).active());
  ha.reset();
  EXPECT_TRUE(gpu_->keep_resident(b).active()) << "a's bytes came back to the budget";
}

// On a device too small for the resident copies and a call's own buffers, the call gives back the least recently used
// copy and runs: keeping data never makes a call fail that would run without it.
TEST_F(CudaResidency, ACallOutOfMemoryEvictsTheLeastRecentlyUsedCopyAndRuns) {
  const auto a = mebibytes(12, 22), b = mebibytes(12, 23), c = mebibytes(12, 24);
  const auto d = mebibytes(8, 25), e = mebibytes(2, 26);  // d eᵀ: 8 + 2 MiB in, 4 MiB out
  const ScopedEnv budget("OODBENCH_GPU_MEMORY_BYTES", std::size_t{1} << 30);
  const auto expected = gpu_->matmul_nt(d, e);
  const ResidentHandle ha = gpu_->keep_resident(a), hb = gpu_->keep_resident(b), hc = gpu_->keep_resident(c);
  gpu_->matmul_nt(b, e);  // b and c used after a: a is the least recently used
  gpu_->matmul_nt(c, e);
  Matrix<float> got;
  {
    const ScopedEnv capacity("OODBENCH_GPU_CAPACITY_BYTES", 45 * kMiB);  // 36 MiB kept + 14 MiB for the call: too much
    got = gpu_->matmul_nt(d, e);
  }
  EXPECT_EQ(got.data, expected.data);
  EXPECT_EQ(uploads_of(*gpu_, [&] { gpu_->matmul_nt(a, e); }), bytes_of(a) + bytes_of(e)) << "a was given back";
  EXPECT_EQ(uploads_of(*gpu_, [&] { gpu_->matmul_nt(b, e); }), bytes_of(e)) << "b is still kept";
  EXPECT_TRUE(ha.active()) << "a's handle stays; a is uploaded per call";
}

TEST_F(CudaResidency, ReleasedMatricesAreUploadedAgain) {
  const auto a = gaussian(400, 32, 15), b = gaussian(10, 32, 16);
  ResidentHandle h = gpu_->keep_resident(a);
  EXPECT_EQ(uploads_of(*gpu_, [&] { gpu_->matmul_nt(a, b); }), bytes_of(b));
  h.reset();
  EXPECT_EQ(uploads_of(*gpu_, [&] { gpu_->matmul_nt(a, b); }), bytes_of(a) + bytes_of(b));
}

}  // namespace
}  // namespace oodbench
