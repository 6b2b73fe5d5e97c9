// The entry point of the CUDA backend module, liboodbench_cuda.so. The module holds everything that links the CUDA
// libraries (cudart, cuBLAS, cuSOLVER: ~85 ms of a process's start-up to load), and kernels/cuda_loader.cpp opens it
// (kernels/module_loader.h) only when a GPU may be used, so a CPU run never loads them.
#pragma once

#include <string>

#include "kernels/backend.h"
#include "kernels/module_loader.h"
#include "kernels/nero_terms.h"

namespace oodbench {

inline constexpr const char* kCudaModuleFile = "liboodbench_cuda.so";
/// Bumped whenever this struct or the Backend interface changes, so a module from another build is refused.
inline constexpr int kCudaModuleVersion = 5;

struct CudaModule {
  int version;
  /// True when a GPU is usable: CUDA finds a device, and this build's GPU code runs on it (kernels/device_choice.h).
  /// Otherwise false with the reason in `why`, and `gpu_found` says whether a device was there.
  bool (*usable)(std::string* why, bool* gpu_found);
  /// A new CUDA backend on device 0, owned by the caller; throws DeviceError when no GPU is usable.
  Backend* (*make_backend)(bool tf32);
  /// NERO's row terms in the fused GPU pass when `backend` is one this module made (then true, the terms in `out`);
  /// false for any other backend.
  bool (*nero_row_terms)(const Backend& backend, const Matrix<float>& projected, const Matrix<float>& centroids,
                         const Matrix<float>& relevance, const Matrix<float>& features, std::size_t k,
                         NeroRowTerms* out);
};

}  // namespace oodbench

OODBENCH_MODULE_ENTRY const oodbench::CudaModule* oodbench_cuda_module();
