// Backend primitives on the CPU against plain definitions; the CUDA path is tested in test_cuda_backend.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "kernels/cpu/cpu_backend.h"
#include "tests/kernels/test_inputs.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/device.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

TEST(CpuBackend, ArgsortIsStableAscending) {
  const auto keys = test::random_keys_with_ties(1000, 1);
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
  CpuFallback fallback;
  const auto backend = make_backend(DeviceRequest::automatic, &fallback);
  std::string reason;
  bool gpu_found = false;
  if (!cuda_usable(&reason, &gpu_found)) {
    EXPECT_EQ(fallback.reason, reason);
    EXPECT_EQ(fallback.gpu_found, gpu_found);
    EXPECT_EQ(backend->kind(), DeviceKind::cpu);
    EXPECT_THROW(make_backend(DeviceRequest::cuda), DeviceError);
  } else {
    EXPECT_TRUE(fallback.reason.empty());
    EXPECT_EQ(backend->kind(), DeviceKind::cuda);
  }
}

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

TEST(CpuBackend, KSmallestPerRowTakesSignedZerosAsTies) {
  Matrix<float> v(1, 6);
  v.data = {0.0f, 1.0f, -0.0f, 0.0f, -0.0f, -1.0f};  // -0 and +0 are equal: the lowest columns win the tie
  const auto idx = make_cpu_backend()->k_smallest_per_row(v, 3);
  std::vector<std::int32_t> r(idx.row(0), idx.row(0) + 3);
  std::sort(r.begin(), r.end());
  EXPECT_EQ(r, (std::vector<std::int32_t>{0, 2, 5}));
}

}  // namespace
}  // namespace oodbench
