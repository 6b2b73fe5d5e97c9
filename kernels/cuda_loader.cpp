// cuda_usable(), make_cuda_backend() and the fused NERO row terms through the CUDA module (kernels/cuda/cuda_module.h),
// opened on first use.
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_module.h"
#include "kernels/error.h"
#include "kernels/nero_terms.h"

namespace oodbench {
namespace {

constexpr const char* kEntry = "oodbench_cuda_module";

struct LoadedModule {
  const CudaModule* module = nullptr;
  std::string why_not;  ///< when module is null
};

LoadedModule load() {
  LoadedModule m;
  // A module named by the user is loaded even without a driver device, so that CUDA itself says why no GPU is usable.
  if (const char* named = std::getenv("OODBENCH_CUDA_MODULE"); named != nullptr && *named != '\0') {
    m.module = module_interface<CudaModule>(module_entry_at(named, kEntry, &m.why_not), named, kCudaModuleVersion,
                                            &m.why_not);
    return m;
  }
#ifndef OODBENCH_HAVE_CUDA
  m.why_not = "this oodbench was built without CUDA";
#else
  // Without an NVIDIA driver device (WSL's is /dev/dxg) no GPU can be usable, and loading the CUDA libraries to hear
  // that would be most of a CPU run's start-up.
  if (access("/dev/nvidiactl", F_OK) != 0 && access("/dev/dxg", F_OK) != 0) {
    m.why_not = "no NVIDIA driver device (/dev/nvidiactl)";
    return m;
  }
  m.module = module_interface<CudaModule>(module_entry(kCudaModuleFile, kEntry, &m.why_not), kCudaModuleFile,
                                          kCudaModuleVersion, &m.why_not);
#endif
  return m;
}

const LoadedModule& loaded() {
  static const LoadedModule module = load();
  return module;
}

}  // namespace

bool cuda_usable(std::string* why, bool* gpu_found) {
  const LoadedModule& m = loaded();
  bool found = false;
  std::string reason;
  const bool usable = m.module != nullptr && m.module->usable(&reason, &found);
  if (m.module == nullptr) reason = m.why_not;
  if (why) *why = reason;
  if (gpu_found) *gpu_found = found;
  return usable;
}

std::unique_ptr<Backend> make_cuda_backend(bool tf32) {
  const LoadedModule& m = loaded();
  if (m.module == nullptr) throw DeviceError(m.why_not);
  return std::unique_ptr<Backend>(m.module->make_backend(tf32));
}

std::optional<NeroRowTerms> fused_nero_row_terms(const Backend& backend, const Matrix<float>& projected,
                                                 const Matrix<float>& centroids, const Matrix<float>& relevance,
                                                 const Matrix<float>& features, std::size_t k) {
  const LoadedModule& m = loaded();
  NeroRowTerms out;
  if (m.module == nullptr || !m.module->nero_row_terms(backend, projected, centroids, relevance, features, k, &out))
    return std::nullopt;
  return out;
}

}  // namespace oodbench
