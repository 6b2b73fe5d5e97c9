// Floats as unsigned keys that sort as the floats compare, for radix selection on the CPU and the GPU alike
// (__host__ __device__): the k smallest columns and the kNN's merge (kernels/cuda/block_select.cuh), ASH's and SCALE's
// k-th largest value (harness/detectors/kth_largest.h). One definition, so that the CPU tests check what the GPU runs.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/rowwise.h"

namespace oodbench {

/// float -> uint32 such that key(a) < key(b) exactly when a < b, and key(a) == key(b) exactly when a == b, for every
/// non-NaN float: -0 takes +0's key, since they compare equal (the CPU's comparisons then break the tie by index, and
/// so must the GPU's selection). Denormals and infinities keep their order.
OODBENCH_HD inline std::uint32_t ordered_key(float f) {
  std::uint32_t u;
#if defined(__CUDA_ARCH__)
  u = __float_as_uint(f);
#else
  std::memcpy(&u, &f, sizeof u);
#endif
  if (u == 0x80000000u) u = 0;  // -0 is +0
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/// The float whose key is `key` (the inverse of ordered_key; -0 comes back as +0).
OODBENCH_HD inline float key_value(std::uint32_t key) {
  const std::uint32_t u = (key & 0x80000000u) ? (key & 0x7fffffffu) : ~key;
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}

}  // namespace oodbench
