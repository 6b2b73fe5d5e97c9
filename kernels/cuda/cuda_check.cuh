// Turns CUDA runtime failures into exceptions that name the call and the error.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace oodbench::cuda {

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(status));
  }
}

}  // namespace oodbench::cuda

#define OODBENCH_CUDA_CHECK(call) ::oodbench::cuda::check((call), #call)
