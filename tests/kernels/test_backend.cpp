// Backend primitives: the CPU path against plain definitions, the CUDA path against the CPU (skipped without a GPU).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/device.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

std::vector<double> random_keys_with_ties(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> value(-20, 20);
  std::vector<double> keys(n);
  for (auto& k : keys) k = value(rng) * 0.25;
  return keys;
}

TEST(CpuBackend, ArgsortIsStableAscending) {
  const auto keys = random_keys_with_ties(1000, 1);
  const auto order = make_cpu_backend()->argsort(keys);
  ASSERT_EQ(order.size(), keys.size());
  for (std::size_t i = 1; i < order.size(); ++i) {
    ASSERT_LE(keys[order[i - 1]], keys[order[i]]);
    if (keys[order[i - 1]] == keys[order[i]]) {
      ASSERT_LT(order[i - 1], order[i]) << "ties must keep input order";
    }
  }
}

TEST(Device, ParsesRequests) {
  EXPECT_EQ(parse_device_request("auto"), DeviceRequest::automatic);
  EXPECT_EQ(parse_device_request("cpu"), DeviceRequest::cpu);
  EXPECT_EQ(parse_device_request("cuda"), DeviceRequest::cuda);
  EXPECT_THROW(parse_device_request("gpu"), InputError);
}

TEST(Device, AutoFallsBackAndCudaFailsClearly) {
  std::string why;
  const auto backend = make_backend(DeviceRequest::automatic, &why);
  EXPECT_NE(why.find("auto picked"), std::string::npos);
  std::string reason;
  if (!cuda_usable(&reason)) {
    EXPECT_EQ(backend->kind(), DeviceKind::cpu);
    EXPECT_THROW(make_backend(DeviceRequest::cuda), DeviceError);
  } else {
    EXPECT_EQ(backend->kind(), DeviceKind::cuda);
  }
}

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

TEST_F(CudaVsCpu, ArgsortMatchesExactly) {
  for (std::size_t n : {1u, 7u, 1000u, 100000u}) {
    const auto keys = random_keys_with_ties(n, static_cast<unsigned>(n));
    EXPECT_EQ(gpu_->argsort(keys), cpu_->argsort(keys)) << "n = " << n;
  }
}

}  // namespace
}  // namespace oodbench

namespace oodbench {
namespace {

template <class T>
Matrix<T> random_matrix(std::size_t rows, std::size_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  Matrix<T> m(rows, cols);
  for (T& v : m.data) v = static_cast<T>(normal(rng));
  return m;
}

template <class T>
double relative_difference(const std::vector<T>& a, const std::vector<T>& b) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    norm += static_cast<double>(b[i]) * b[i];
  }
  return std::sqrt(diff / norm);
}

TEST_F(CudaVsCpu, MatmulMatchesInFloatAndDouble) {
  const auto a = random_matrix<float>(300, 130, 1), b = random_matrix<float>(70, 130, 2);
  EXPECT_LT(relative_difference(gpu_->matmul_nt(a, b).data, cpu_->matmul_nt(a, b).data), 1e-5);
  const auto a64 = random_matrix<double>(64, 33, 3), b64 = random_matrix<double>(17, 33, 4);
  EXPECT_LT(relative_difference(gpu_->matmul_nt(a64, b64).data, cpu_->matmul_nt(a64, b64).data), 1e-12);
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

}  // namespace
}  // namespace oodbench

namespace oodbench {
namespace {

TEST(CpuBackend, KSmallestPerRowBreaksTiesByIndex) {
  Matrix<float> v(2, 5);
  v.data = {3, -1, 2, -1, 0,   // two -1s, then 0
            5, 4, 3, 2, 1};
  const auto idx = make_cpu_backend()->k_smallest_per_row(v, 3);
  std::vector<std::int32_t> r0(idx.row(0), idx.row(0) + 3), r1(idx.row(1), idx.row(1) + 3);
  std::sort(r0.begin(), r0.end());
  std::sort(r1.begin(), r1.end());
  EXPECT_EQ(r0, (std::vector<std::int32_t>{1, 3, 4}));
  EXPECT_EQ(r1, (std::vector<std::int32_t>{2, 3, 4}));
  Matrix<float> ties(1, 4, 7.0f);  // all equal: the lowest indices
  const auto t = make_cpu_backend()->k_smallest_per_row(ties, 2);
  std::vector<std::int32_t> rt(t.row(0), t.row(0) + 2);
  std::sort(rt.begin(), rt.end());
  EXPECT_EQ(rt, (std::vector<std::int32_t>{0, 1}));
}

}  // namespace
}  // namespace oodbench
