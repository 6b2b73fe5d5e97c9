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

inline std::string status_text(cublasStatus_t status) { return cublasGetStatusString(status); }
inline std::string status_text(cusolverStatus_t status) { return "status " + std::to_string(status); }

/// A library handle made by `create` (any status but `ok` is a DeviceError naming `Library::name`) and freed by
/// `destroy`.
template <class Library>
class LibraryHandle {
 public:
  using Handle = typename Library::Handle;
  LibraryHandle() {
    if (const auto status = Library::create(&handle_); status != Library::ok) {
      handle_ = nullptr;
      throw DeviceError(std::string(Library::name) + " cannot start on the GPU: " + status_text(status));
    }
  }
  ~LibraryHandle() {
    if (handle_) Library::destroy(handle_);
  }
  LibraryHandle(LibraryHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  LibraryHandle& operator=(LibraryHandle&&) = delete;
  LibraryHandle(const LibraryHandle&) = delete;
  LibraryHandle& operator=(const LibraryHandle&) = delete;
  Handle get() const { return handle_; }

 private:
  Handle handle_ = nullptr;
};

struct Cublas {
  using Handle = cublasHandle_t;
  static constexpr const char* name = "cuBLAS";
  static constexpr cublasStatus_t ok = CUBLAS_STATUS_SUCCESS;
  static cublasStatus_t create(Handle* handle) { return cublasCreate(handle); }
  static cublasStatus_t destroy(Handle handle) { return cublasDestroy(handle); }
};

struct Cusolver {
  using Handle = cusolverDnHandle_t;
  static constexpr const char* name = "cuSOLVER";
  static constexpr cusolverStatus_t ok = CUSOLVER_STATUS_SUCCESS;
  static cusolverStatus_t create(Handle* handle) { return cusolverDnCreate(handle); }
  static cusolverStatus_t destroy(Handle handle) { return cusolverDnDestroy(handle); }
};

using CublasHandle = LibraryHandle<Cublas>;
using CusolverHandle = LibraryHandle<Cusolver>;

}  // namespace oodbench::cuda
