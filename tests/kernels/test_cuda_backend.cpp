// Every CUDA backend primitive against the CPU backend on random inputs (docs/methods.md: closed-form results within 1e-4
// relative; selections and sorts exact). Integer-valued inputs make every float product exact, so there the GPU must
// equal the CPU bit for bit, ties included. Each test skips itself, with the reason, where no GPU is usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <tuple>

#include "kernels/cpu/cpu_backend.h"
#include "tests/kernels/test_inputs.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/nero_terms.h"

namespace oodbench {
namespace {

class CudaVsCpu : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!cuda_usable(&why)) GTEST_SKIP() << "no usable GPU: " << why;
    gpu_ = make_cuda_backend();
    cpu_ = make_cpu_backend();
  }
  std::unique_ptr<Backend> gpu_, cpu_;
};

template <class T>
Matrix<T> random_matrix(std::size_t rows, std::size_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  Matrix<T> m(rows, cols);
  for (T& v : m.data) v = static_cast<T>(normal(rng));
  return m;
}

/// Small integers: sums of their products are exact in float32, and equal values (ties) are common.
Matrix<float> integer_matrix(std::size_t rows, std::size_t cols, unsigned seed, int range = 3) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> value(-range, range);
  Matrix<float> m(rows, cols);
  for (float& v : m.data) v = static_cast<float>(value(rng));
  return m;
}

template <class A, class B>
double relative_difference(const A& a, const B& b) {  // any two vectors of numbers
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff += (static_cast<double>(a[i]) - static_cast<double>(b[i])) * (static_cast<double>(a[i]) - static_cast<double>(b[i]));
    norm += static_cast<double>(b[i]) * static_cast<double>(b[i]);
  }
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

/// Each row's indices, sorted, so that two "in no order" selections compare.
Matrix<std::int32_t> sorted_rows(Matrix<std::int32_t> m) {
  for (std::size_t i = 0; i < m.rows; ++i) std::sort(m.row(i), m.row(i) + m.cols);
  return m;
}

TEST_F(CudaVsCpu, ArgsortMatchesExactly) {
  for (std::size_t n : {1u, 7u, 1000u, 100000u}) {
    const auto keys = test::random_keys_with_ties(n, static_cast<unsigned>(n));
    EXPECT_EQ(gpu_->argsort(keys), cpu_->argsort(keys)) << "n = " << n;
  }
}

TEST_F(CudaVsCpu, MatmulMatchesInFloatAndDouble) {
  const auto a = random_matrix<float>(300, 130, 1), b = random_matrix<float>(70, 130, 2);
  EXPECT_LT(relative_difference(gpu_->matmul_nt(a, b).data, cpu_->matmul_nt(a, b).data), 1e-5);
  const auto a64 = random_matrix<double>(64, 33, 3), b64 = random_matrix<double>(17, 33, 4);
  EXPECT_LT(relative_difference(gpu_->matmul_nt(a64, b64).data, cpu_->matmul_nt(a64, b64).data), 1e-12);
}

TEST_F(CudaVsCpu, Tf32ProductsOnlyWhenAskedFor) {
  const auto a = random_matrix<float>(512, 512, 40), b = random_matrix<float>(512, 512, 41);
  const auto reference = cpu_->matmul_nt(a, b).data;
  const auto tf32 = make_cuda_backend(true);
  EXPECT_LT(relative_difference(gpu_->matmul_nt(a, b).data, reference), 1e-5);
  const double error = relative_difference(tf32->matmul_nt(a, b).data, reference);
  EXPECT_GT(error, 1e-5) << "TF32 asked for but the products are full FP32";
  EXPECT_LT(error, 3e-3);
  EXPECT_NE(tf32->description().find("TF32"), std::string::npos) << "records must say TF32 was on";
  const auto x = random_matrix<double>(64, 33, 42);  // float64 work is never TF32
  EXPECT_LT(relative_difference(tf32->matmul_nt(x, x).data, cpu_->matmul_nt(x, x).data), 1e-12);
}

TEST_F(CudaVsCpu, EighMatchesEigenpairs) {
  const auto x = random_matrix<double>(200, 40, 5);
  Matrix<double> s(40, 40);
  for (std::size_t i = 0; i < 40; ++i)
    for (std::size_t j = 0; j < 40; ++j)
      for (std::size_t r = 0; r < 200; ++r) s(i, j) += x(r, i) * x(r, j);
  const SymmetricEigen g = gpu_->eigh(s), c = cpu_->eigh(s);
  EXPECT_LT(relative_difference(g.values, c.values), 1e-12);
  for (std::size_t j = 0; j < 40; ++j) {  // eigenvectors agree up to sign
    double dot = 0;
    for (std::size_t i = 0; i < 40; ++i) dot += g.vectors(i, j) * c.vectors(i, j);
    EXPECT_NEAR(std::fabs(dot), 1.0, 1e-9) << "eigenvector " << j;
  }
}

TEST_F(CudaVsCpu, ScatterMatchesWithGroupsAndFourthPowers) {
  const auto x = random_matrix<float>(5000, 70, 6);  // more rows than one GPU block of 4096
  const auto centers = random_matrix<double>(3, 70, 7);
  std::vector<std::int32_t> group(x.rows);
  for (std::size_t i = 0; i < group.size(); ++i) group[i] = static_cast<std::int32_t>(i % 3);
  double g4 = 0, c4 = 0;
  EXPECT_LT(relative_difference(gpu_->scatter(x, centers, group, &g4).data, cpu_->scatter(x, centers, group, &c4).data),
            1e-12);
  EXPECT_NEAR(g4, c4, 1e-12 * c4);
  EXPECT_LT(relative_difference(gpu_->scatter(x, centers, {}, nullptr).data, cpu_->scatter(x, centers, {}, nullptr).data),
            1e-12);
}

TEST_F(CudaVsCpu, KnnIsExactOnIntegerData) {
  // Several database tiles (8192 rows each), many tied distances, k from 1 to the whole database.
  const auto db = integer_matrix(20000, 37, 8), queries = integer_matrix(700, 37, 9);
  for (std::size_t k : {1u, 2u, 50u, 333u, 4096u}) {
    EXPECT_EQ(gpu_->kth_smallest_sqdist(db, queries, k), cpu_->kth_smallest_sqdist(db, queries, k)) << "k = " << k;
  }
  const auto small = integer_matrix(30, 5, 10), few = integer_matrix(9, 5, 11);  // k = every database row
  EXPECT_EQ(gpu_->kth_smallest_sqdist(small, few, 30), cpu_->kth_smallest_sqdist(small, few, 30));
}

TEST_F(CudaVsCpu, KnnMatchesOnGaussianDataAndAboveTheGpuK) {
  const auto db = random_matrix<float>(9000, 64, 12), queries = random_matrix<float>(500, 64, 13);
  for (std::size_t k : {1u, 10u, 100u}) {
    EXPECT_LT(relative_difference(gpu_->kth_smallest_sqdist(db, queries, k), cpu_->kth_smallest_sqdist(db, queries, k)),
              1e-5)
        << "k = " << k;
  }
  // Beyond the GPU's k limit the CPU path answers; the result must still be right.
  EXPECT_EQ(gpu_->kth_smallest_sqdist(db, queries, 5000), cpu_->kth_smallest_sqdist(db, queries, 5000));
}

/// Sets OODBENCH_GPU_MEMORY_BYTES for one scope.
struct MemoryBudget {
  explicit MemoryBudget(const std::string& bytes) { setenv("OODBENCH_GPU_MEMORY_BYTES", bytes.c_str(), 1); }
  ~MemoryBudget() { unsetenv("OODBENCH_GPU_MEMORY_BYTES"); }
};

TEST_F(CudaVsCpu, KnnInASmallBudgetTilesTheQueries) {
  const auto db = integer_matrix(17000, 40, 14), queries = integer_matrix(3000, 40, 15);
  const auto expected = cpu_->kth_smallest_sqdist(db, queries, 20);
  MemoryBudget budget(std::to_string(8u << 20));  // 8 MiB: several query chunks and small query tiles
  EXPECT_EQ(gpu_->kth_smallest_sqdist(db, queries, 20), expected);
}

TEST_F(CudaVsCpu, KnnShrinksItsTilesWhenAllocationsFail) {
  // A claimed budget of 1 PB plans tiles far beyond what the (injected) device can hold: every allocation above
  // 32 MiB fails, and the primitive must halve its budget until a plan fits, then answer exactly.
  const auto db = integer_matrix(20000, 32, 16), queries = integer_matrix(20000, 32, 17);
  const auto expected = cpu_->kth_smallest_sqdist(db, queries, 10);
  MemoryBudget budget("1000000000000000");
  setenv("OODBENCH_GPU_FAIL_ALLOCATIONS_ABOVE", std::to_string(32u << 20).c_str(), 1);
  const auto got = gpu_->kth_smallest_sqdist(db, queries, 10);
  unsetenv("OODBENCH_GPU_FAIL_ALLOCATIONS_ABOVE");
  EXPECT_EQ(got, expected);
  setenv("OODBENCH_GPU_FAIL_ALLOCATIONS_ABOVE", "1024", 1);  // nothing fits: a clear error, not a crash
  EXPECT_THROW(gpu_->kth_smallest_sqdist(db, queries, 10), std::runtime_error);
  unsetenv("OODBENCH_GPU_FAIL_ALLOCATIONS_ABOVE");
}

TEST_F(CudaVsCpu, KSmallestPerRowMatchesWithTies) {
  for (int range : {2, 1000}) {  // heavy ties, then almost none
    const auto v = integer_matrix(300, 1280, 18, range);
    for (std::size_t k : {1u, 175u, 1280u}) {
      EXPECT_EQ(sorted_rows(gpu_->k_smallest_per_row(v, k)).data, sorted_rows(cpu_->k_smallest_per_row(v, k)).data)
          << "k = " << k << ", range = " << range;
    }
  }
  const auto g = random_matrix<float>(100, 777, 19);
  EXPECT_EQ(sorted_rows(gpu_->k_smallest_per_row(g, 100)).data, sorted_rows(cpu_->k_smallest_per_row(g, 100)).data);
}

// -0 and +0 compare equal on the CPU, which breaks their tie by the column index; the GPU's radix selection must take
// the same columns (its keys once put -0 below +0). Features j + 1 make every ρ exact, so a column chosen differently
// shows in ρ.
TEST_F(CudaVsCpu, SignedZerosAreTiesBrokenByIndex) {
  const std::size_t rows = 64, cols = 300;
  std::mt19937 rng(50);
  std::uniform_int_distribution<int> pick(0, 3);
  Matrix<float> relevance(rows, cols), features(rows, cols);
  for (float& v : relevance.data) v = std::array<float, 4>{-0.0f, 0.0f, -0.0f, 1.0f}[static_cast<std::size_t>(pick(rng))];
  relevance(1, 0) = -1.0f;  // a row with one value below the zeros
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) features(i, j) = static_cast<float>(j + 1);
  for (std::size_t k : {1u, 7u, 40u, 150u}) {
    EXPECT_EQ(sorted_rows(gpu_->k_smallest_per_row(relevance, k)).data,
              sorted_rows(cpu_->k_smallest_per_row(relevance, k)).data)
        << "k = " << k;
  }
  const auto projected = integer_matrix(rows, 16, 51), centroids = integer_matrix(3, 16, 52);
  const NeroRowTerms g = nero_row_terms(*gpu_, projected, centroids, relevance, features, 40);
  const NeroRowTerms c = nero_row_terms(*cpu_, projected, centroids, relevance, features, 40);
  EXPECT_EQ(g.rho, c.rho);
  EXPECT_EQ(g.nearest.index, c.nearest.index);
}

TEST_F(CudaVsCpu, NearestCentroidMatches) {
  const auto q = random_matrix<float>(1000, 300, 20), c = random_matrix<float>(7, 300, 21);
  for (CentroidMetric metric : {CentroidMetric::l1, CentroidMetric::squared_l2}) {
    const NearestCentroid g = gpu_->nearest_centroid(q, c, metric), r = cpu_->nearest_centroid(q, c, metric);
    EXPECT_EQ(g.index, r.index);
    EXPECT_LT(relative_difference(g.distance, r.distance), 1e-6);
  }
  const auto qi = integer_matrix(500, 20, 22, 1), ci = integer_matrix(4, 20, 23, 1);  // tied distances: lowest index
  const NearestCentroid gi = gpu_->nearest_centroid(qi, ci, CentroidMetric::l1);
  EXPECT_EQ(gi.index, cpu_->nearest_centroid(qi, ci, CentroidMetric::l1).index);
}

TEST_F(CudaVsCpu, NeroRowTermsMatch) {
  const auto projected = random_matrix<float>(400, 850, 24), centroids = random_matrix<float>(3, 850, 25);
  const auto relevance = random_matrix<float>(400, 1280, 26);
  auto features = random_matrix<float>(400, 1280, 27);
  std::fill(features.row(5), features.row(6), 0.0f);  // ρ = 0 for an all-zero row
  const NeroRowTerms g = nero_row_terms(*gpu_, projected, centroids, relevance, features, 175);
  const NeroRowTerms c = nero_row_terms(*cpu_, projected, centroids, relevance, features, 175);
  EXPECT_EQ(g.nearest.index, c.nearest.index);
  EXPECT_LT(relative_difference(g.nearest.distance, c.nearest.distance), 1e-6);
  EXPECT_LT(relative_difference(g.rho, c.rho), 1e-12);
  EXPECT_EQ(g.rho[5], 0.0);
  const auto tied = integer_matrix(400, 1280, 28, 2);  // ties at the k-th relevance: the lower columns count
  EXPECT_EQ(nero_row_terms(*gpu_, projected, centroids, tied, features, 175).rho,
            nero_row_terms(*cpu_, projected, centroids, tied, features, 175).rho);
}

AutoencoderParams<float> small_autoencoder(std::size_t d, std::size_t h, std::size_t b, unsigned seed) {
  auto p = AutoencoderParams<float>::zeros(d, h, b);
  std::mt19937 rng(seed);
  for (std::size_t k = 0; k < AutoencoderParams<float>::kLayers; ++k) {
    std::uniform_real_distribution<float> u(-1.0f / std::sqrt(static_cast<float>(p.weight[k].cols)),
                                            1.0f / std::sqrt(static_cast<float>(p.weight[k].cols)));
    for (float& w : p.weight[k].data) w = u(rng);
    for (float& v : p.bias[k]) v = u(rng);
  }
  return p;
}

std::vector<std::uint32_t> strided_order(std::size_t rows, std::size_t length, std::size_t stride) {
  std::vector<std::uint32_t> order;
  for (std::size_t i = 0; i < length; ++i) order.push_back(static_cast<std::uint32_t>((i * stride) % rows));
  return order;
}

void expect_same_params(const AutoencoderParams<float>& a, const AutoencoderParams<float>& b, const std::string& what) {
  for (std::size_t k = 0; k < AutoencoderParams<float>::kLayers; ++k) {
    EXPECT_EQ(a.weight[k].data, b.weight[k].data) << what << ", layer " << k;
    EXPECT_EQ(a.bias[k], b.bias[k]) << what << ", layer " << k;
  }
}

TEST_F(CudaVsCpu, AutoencoderTrainingAndReconstructionMatch) {
  const auto x = random_matrix<float>(2000, 96, 29);
  const auto initial = small_autoencoder(96, 48, 24, 30);
  const auto order = strided_order(x.rows, x.rows, 7919);
  auto gpu_trainer = test::trainer_of(*gpu_, initial, x, 256);  // 8 steps, the last one short
  auto cpu_trainer = test::trainer_of(*cpu_, initial, x, 256);
  for (int epoch = 0; epoch < 3; ++epoch) {
    const auto g = test::epoch_of(*gpu_trainer, order), c = test::epoch_of(*cpu_trainer, order);
    ASSERT_EQ(g.size(), c.size());
    EXPECT_LT(relative_difference(g, c), 1e-4) << "epoch " << epoch;
  }
  const auto gp = gpu_trainer->params(0), cp = cpu_trainer->params(0);
  for (std::size_t k = 0; k < AutoencoderParams<float>::kLayers; ++k) {
    EXPECT_LT(relative_difference(gp.weight[k].data, cp.weight[k].data), 1e-3) << "layer " << k;
    EXPECT_LT(relative_difference(gp.bias[k], cp.bias[k]), 1e-3) << "layer " << k;
  }
  EXPECT_LT(relative_difference(gpu_->autoencoder_reconstruct(cp, x).data, cpu_->autoencoder_reconstruct(cp, x).data),
            1e-5);
}

TEST_F(CudaVsCpu, AutoencoderTrainingIsDeterministic) {
  const auto x = random_matrix<float>(1000, 64, 31);
  const auto initial = small_autoencoder(64, 32, 16, 32);
  const auto order = strided_order(x.rows, x.rows, 1);
  auto run = [&] {
    auto trainer = test::trainer_of(*gpu_, initial, x, 128);
    const auto losses = test::epoch_of(*trainer, order);
    return std::make_pair(losses, trainer->params(0).weight[3].data);
  };
  EXPECT_EQ(run(), run());
}

// One trainer for any number of members: each member's losses and parameters are the bits it gives trained alone,
// whatever trains beside it, on the GPU as on the CPU. Ten members (more than the trainer's eight streams, so lanes are
// shared), epochs of different lengths, a member sitting an epoch out (early stopping), and replayed graphs.
TEST_F(CudaVsCpu, EachMemberTrainsAsAloneWhateverTrainsBesideIt) {
  const auto x = random_matrix<float>(1000, 96, 33);
  std::vector<AutoencoderParams<float>> initial;
  for (unsigned m = 0; m < 10; ++m) initial.push_back(small_autoencoder(96, 48, 24, 34 + m));
  const AdamSettings adam;
  auto together = gpu_->autoencoder_trainers(initial, x, 128, adam);  // 8 steps per full epoch, the last one short
  auto pair = gpu_->autoencoder_trainers(std::span(initial).subspan(2, 2), x, 128, adam);  // members 2 and 3 only
  std::vector<std::unique_ptr<AutoencoderTrainers>> alone;
  for (const auto& p : initial) alone.push_back(test::trainer_of(*gpu_, p, x, 128, adam));
  for (int epoch = 0; epoch < 4; ++epoch) {
    std::vector<std::vector<std::uint32_t>> orders(initial.size());
    for (std::size_t m = 0; m < orders.size(); ++m) {
      const std::size_t rows = epoch == 1 && m == 1 ? 700 : x.rows;  // one member alone in a shorter epoch
      orders[m] = strided_order(x.rows, rows, 7919 + 2 * m + 10 * static_cast<std::size_t>(epoch));
    }
    if (epoch == 2) orders[2].clear();  // member 2 stopped early: it sits this epoch out
    const auto losses = together->epoch(orders);
    const auto pair_losses = pair->epoch(std::vector<std::vector<std::uint32_t>>{orders[2], orders[3]});
    for (std::size_t m = 0; m < orders.size(); ++m) {
      const std::string what = "member " + std::to_string(m) + ", epoch " + std::to_string(epoch);
      if (orders[m].empty()) {
        EXPECT_TRUE(losses[m].empty()) << what;
        continue;
      }
      EXPECT_EQ(losses[m], test::epoch_of(*alone[m], orders[m])) << what;
      if (m == 3) {
        EXPECT_EQ(pair_losses[1], losses[m]) << what << ", in a pair";
      }
    }
  }
  for (std::size_t m = 0; m < initial.size(); ++m)
    expect_same_params(together->params(m), alone[m]->params(0), "member " + std::to_string(m));
  expect_same_params(pair->params(1), alone[3]->params(0), "member 3 in a pair");
  EXPECT_GT(relative_difference(together->params(0).weight[0].data, together->params(1).weight[0].data), 1e-2)
      << "members must not share parameters";
}

// The trainer captures an epoch of one set of members as a CUDA graph once and replays it in later epochs with their
// new batch orders and Adam corrections: every replayed epoch must still match the members trained alone against the
// CPU's training, and two runs must agree bit for bit.
TEST_F(CudaVsCpu, EpochsReplayedFromTheirGraphUseEachEpochsOrder) {
  const auto x = random_matrix<float>(900, 64, 41);
  const std::vector<AutoencoderParams<float>> initial = {small_autoencoder(64, 32, 16, 42),
                                                         small_autoencoder(64, 32, 16, 43)};
  auto run = [&](const Backend& backend) {
    auto trainers = backend.autoencoder_trainers(initial, x, 128, AdamSettings{});
    std::vector<std::vector<std::vector<double>>> all;
    for (std::size_t epoch = 0; epoch < 4; ++epoch) {
      std::vector<std::vector<std::uint32_t>> orders;
      for (std::size_t m = 0; m < initial.size(); ++m) orders.push_back(strided_order(x.rows, x.rows, 7919 + 2 * m + 10 * epoch));
      all.push_back(trainers->epoch(orders));
    }
    return std::make_pair(all, trainers->params(1).weight[3].data);
  };
  const auto first = run(*gpu_);
  EXPECT_EQ(first, run(*gpu_)) << "replayed epochs must be deterministic";
  const auto cpu = run(*cpu_);
  for (std::size_t epoch = 0; epoch < 4; ++epoch)
    for (std::size_t m = 0; m < initial.size(); ++m)
      EXPECT_LT(relative_difference(first.first[epoch][m], cpu.first[epoch][m]), 1e-4)
          << "member " << m << ", epoch " << epoch;
}

// Calls from several threads at once share nothing mutable (each runs on a lane of its own: its stream, cuBLAS and
// cuSOLVER handles, workspace): four threads calling every primitive on one backend get the serial bits.
TEST_F(CudaVsCpu, FourThreadsGetTheSerialBits) {
  const auto db = random_matrix<float>(9000, 64, 60), queries = random_matrix<float>(700, 64, 61);
  const auto relevance = random_matrix<float>(300, 512, 62), projected = random_matrix<float>(300, 32, 63);
  const auto centroids = random_matrix<float>(4, 32, 64);
  const auto x = random_matrix<float>(600, 96, 65);
  Matrix<double> sym(48, 48);
  for (std::size_t i = 0; i < 48; ++i)
    for (std::size_t j = 0; j < 48; ++j) sym(i, j) = 1.0 / (1.0 + static_cast<double>(i + j)) + (i == j ? 1.0 : 0.0);
  const auto keys = test::random_keys_with_ties(5000, 66);
  const auto ae = small_autoencoder(96, 48, 24, 67);
  const auto order = strided_order(x.rows, x.rows, 7919);
  auto everything = [&] {
    auto trainer = test::trainer_of(*gpu_, ae, x, 128);
    const auto losses = test::epoch_of(*trainer, order);
    const NeroRowTerms nero = nero_row_terms(*gpu_, projected, centroids, relevance, relevance, 50);
    return std::make_tuple(gpu_->kth_smallest_sqdist(db, queries, 10), gpu_->matmul_nt(queries, db).data,
                           sorted_rows(gpu_->k_smallest_per_row(relevance, 50)).data, nero.rho, nero.nearest.index,
                           gpu_->scatter(x, Matrix<double>(1, 96), {}, nullptr).data, gpu_->eigh(sym).values,
                           gpu_->argsort(keys), gpu_->autoencoder_reconstruct(ae, x).data, losses,
                           trainer->params(0).weight[2].data);
  };
  const auto serial = everything();
  std::vector<decltype(everything())> results(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) results[t] = everything();
    });
  for (std::thread& t : threads) t.join();
  for (std::size_t t = 0; t < results.size(); ++t) EXPECT_TRUE(results[t] == serial) << "thread " << t;
}

// The linear probe's loss and gradient: the same products in float64 and the same per-row math (rowwise.h), summed
// in another order, so within 1e-10 relative; a second evaluation checks that the session's buffers carry nothing
// over, and a non-zero grad W on entry that it is accumulated into.
TEST_F(CudaVsCpu, SoftmaxRegressionTermsMatch) {
  struct Shape {
    std::size_t n, d, c;
  };
  for (const Shape s : {Shape{20000, 256, 10}, Shape{3000, 64, 200}, Shape{7, 5, 2}}) {
    SCOPED_TRACE(std::to_string(s.n) + " x " + std::to_string(s.d) + ", " + std::to_string(s.c) + " classes");
    const Matrix<double> x = random_matrix<double>(s.n, s.d, 11);
    std::vector<std::int32_t> labels(s.n);
    for (std::size_t i = 0; i < s.n; ++i) labels[i] = static_cast<std::int32_t>((i * 7 + i / 3) % s.c);
    const auto on_gpu = gpu_->softmax_regression_terms(x, labels, s.c, 16);
    const auto on_cpu = cpu_->softmax_regression_terms(x, labels, s.c, 16);
    for (unsigned round = 0; round < 2; ++round) {
      Matrix<double> w = random_matrix<double>(s.c, s.d, 20 + round);
      for (double& v : w.data) v *= 0.2;
      const Matrix<double> b = random_matrix<double>(1, s.c, 30 + round);
      std::vector<double> gw_gpu(s.c * s.d, 0.5), gw_cpu(s.c * s.d, 0.5), gb_gpu(s.c), gb_cpu(s.c);
      const double loss_gpu = on_gpu->evaluate(w.data.data(), b.data.data(), gw_gpu.data(), gb_gpu.data());
      const double loss_cpu = on_cpu->evaluate(w.data.data(), b.data.data(), gw_cpu.data(), gb_cpu.data());
      EXPECT_NEAR(loss_gpu, loss_cpu, 1e-10 * std::abs(loss_cpu)) << "round " << round;
      EXPECT_LT(relative_difference(gw_gpu, gw_cpu), 1e-10) << "round " << round;
      EXPECT_LT(relative_difference(gb_gpu, gb_cpu), 1e-10) << "round " << round;
    }
  }
}

// Beyond the device's budget, or when an allocation fails, the session is the CPU's: the same bits as the CPU's own.
TEST_F(CudaVsCpu, SoftmaxRegressionTermsFallBackToTheCpu) {
  const Matrix<double> x = random_matrix<double>(500, 40, 12);
  std::vector<std::int32_t> labels(x.rows);
  for (std::size_t i = 0; i < x.rows; ++i) labels[i] = static_cast<std::int32_t>(i % 4);
  const Matrix<double> w = random_matrix<double>(4, 40, 13), b = random_matrix<double>(1, 4, 14);
  std::vector<double> gw_cpu(w.data.size()), gb_cpu(4);
  const double loss_cpu = cpu_->softmax_regression_terms(x, labels, 4, 16)->evaluate(
      w.data.data(), b.data.data(), gw_cpu.data(), gb_cpu.data());
  for (const char* variable : {"OODBENCH_GPU_MEMORY_BYTES", "OODBENCH_GPU_FAIL_ALLOCATIONS_ABOVE"}) {
    SCOPED_TRACE(variable);
    setenv(variable, "1024", 1);
    const auto session = gpu_->softmax_regression_terms(x, labels, 4, 16);
    unsetenv(variable);
    std::vector<double> gw(w.data.size()), gb(4);
    EXPECT_EQ(session->evaluate(w.data.data(), b.data.data(), gw.data(), gb.data()), loss_cpu);
    EXPECT_EQ(gw, gw_cpu);
    EXPECT_EQ(gb, gb_cpu);
  }
}

}  // namespace
}  // namespace oodbench
