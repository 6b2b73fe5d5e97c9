// The CUDA backend (cuBLAS, cuSOLVER, Thrust/CUB and our kernels). Built only where nvcc is found; without it the
// functions below come from cuda_unavailable.cpp and report that this binary has no CUDA support.
#pragma once

#include <memory>
#include <string>

#include "kernels/backend.h"

namespace oodbench {

/// True when this binary has the CUDA backend and a GPU is usable; otherwise false with the reason in `why`.
bool cuda_usable(std::string* why);

/// The CUDA backend on device 0; `tf32` lets its float32 products use TF32 tensor cores. Throws DeviceError when
/// !cuda_usable().
std::unique_ptr<Backend> make_cuda_backend(bool tf32 = false);

}  // namespace oodbench
