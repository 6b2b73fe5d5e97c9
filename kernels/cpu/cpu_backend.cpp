#include "kernels/cpu/cpu_backend.h"

#include <omp.h>

#include <algorithm>
#include <numeric>

namespace oodbench {
namespace {

class CpuBackend final : public Backend {
 public:
  DeviceKind kind() const override { return DeviceKind::cpu; }

  std::string description() const override {
    return "cpu (OpenBLAS, " + std::to_string(omp_get_max_threads()) + " threads)";
  }

  std::vector<std::uint32_t> argsort(std::span<const double> keys) const override {
    std::vector<std::uint32_t> order(keys.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
    return order;
  }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace oodbench
