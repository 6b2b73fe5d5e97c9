// The CUDA backend as the rest of the code sees it. kernels/cuda_loader.cpp implements these by opening the CUDA
// module (kernels/cuda/cuda_module.h) on first use; in a build without nvcc there is no module and they say so.
#pragma once

#include <memory>
#include <string>

#include "kernels/backend.h"

namespace oodbench {

/// True when this build has the CUDA backend and a GPU it can run on; otherwise false with the reason in `why`, and
/// `gpu_found` (when given) says whether a GPU was there (one this build's code does not cover, say). Without an NVIDIA
/// driver device (/dev/nvidiactl) this answers without loading any CUDA library.
bool cuda_usable(std::string* why, bool* gpu_found = nullptr);

/// The CUDA backend on device 0; `tf32` lets its float32 products use TF32 tensor cores. Throws DeviceError when
/// !cuda_usable().
std::unique_ptr<Backend> make_cuda_backend(bool tf32 = false);

}  // namespace oodbench
