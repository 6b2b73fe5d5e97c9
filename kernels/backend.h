// The Backend: the numerical primitives every detector and metric is written against (DESIGN.md, "written once").
//
// Primitives take and return host memory, so a detector never knows where it runs; a CUDA implementation moves data
// to the device inside the primitive and keeps whole fused operations (kNN, autoencoder epochs) resident there.
// To add a primitive: declare it here, implement it in cpu/cpu_backend.cpp and cuda/cuda_backend.cu, and add a
// GPU-vs-CPU test in tests/kernels/.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace oodbench {

enum class DeviceKind { cpu, cuda };

class Backend {
 public:
  virtual ~Backend() = default;

  virtual DeviceKind kind() const = 0;
  /// One line for logs and result records, e.g. "cpu (OpenBLAS, 2 threads)" or "cuda:0 NVIDIA H100 80GB HBM3".
  virtual std::string description() const = 0;

  /// Stable ascending argsort: the permutation that sorts `keys`, ties kept in input order. Keys must be finite.
  virtual std::vector<std::uint32_t> argsort(std::span<const double> keys) const = 0;
};

}  // namespace oodbench
