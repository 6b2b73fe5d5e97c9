// cuBLAS and cuSOLVER handles that destroy themselves. A handle that cannot be created means the GPU cannot be used
// (no memory for the library's state, a driver too old for it): a DeviceError, so that `--device auto` falls back to
// the CPU and `--device cuda` exits with code 2 naming why.
#pragma once

#include <cublas_v2.h>
#include <cusolverDn.h>

#include <string>
#include <utility>

#include "kernels/error.h"

namespace oodbench::cuda {

class CublasHandle {
 public:
  CublasHandle() {
    if (const cublasStatus_t status = cublasCreate(&handle_); status != CUBLAS_STATUS_SUCCESS) {
      handle_ = nullptr;
      throw DeviceError(std::string("cuBLAS cannot start on the GPU: ") + cublasGetStatusString(status));
    }
  }
  ~CublasHandle() {
    if (handle_) cublasDestroy(handle_);
  }
  CublasHandle(CublasHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  CublasHandle& operator=(CublasHandle&&) = delete;
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

class CusolverHandle {
 public:
  CusolverHandle() {
    if (const cusolverStatus_t status = cusolverDnCreate(&handle_); status != CUSOLVER_STATUS_SUCCESS) {
      handle_ = nullptr;
      throw DeviceError("cuSOLVER cannot start on the GPU: status " + std::to_string(status));
    }
  }
  ~CusolverHandle() {
    if (handle_) cusolverDnDestroy(handle_);
  }
  CusolverHandle(CusolverHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  CusolverHandle& operator=(CusolverHandle&&) = delete;
  CusolverHandle(const CusolverHandle&) = delete;
  CusolverHandle& operator=(const CusolverHandle&) = delete;
  cusolverDnHandle_t get() const { return handle_; }

 private:
  cusolverDnHandle_t handle_ = nullptr;
};

}  // namespace oodbench::cuda
