// Turns CUDA runtime, cuBLAS and cuSOLVER failures into exceptions that name the call and the status.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cusolverDn.h>

#include <stdexcept>
#include <string>

namespace oodbench::cuda {

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw std::runtime_error(std::string("CUDA error in ") + what + ": " + cudaGetErrorString(status));
  }
}

inline void check(cublasStatus_t status, const char* what) {
  if (status != CUBLAS_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("cuBLAS error in ") + what + ": " + cublasGetStatusString(status));
  }
}

inline void check(cusolverStatus_t status, const char* what) {
  if (status != CUSOLVER_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("cuSOLVER error in ") + what + ": status " + std::to_string(status));
  }
}

}  // namespace oodbench::cuda

#define OODBENCH_CUDA_CHECK(call) ::oodbench::cuda::check((call), #call)
