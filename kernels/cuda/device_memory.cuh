// Device memory for the CUDA backend: an owning buffer, host<->device copies (each upload counted), the memory budget
// that tiled primitives size their tiles from (shrunk and retried when an allocation fails), and launch checks.
#pragma once

#include <cuda_runtime.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/matrix.h"

namespace oodbench::cuda {

/// Thrown when cudaMalloc runs out of device memory, so a tiled primitive can shrink its tiles and retry.
struct OutOfDeviceMemory : std::bad_alloc {
  const char* what() const noexcept override { return "out of GPU memory"; }
};

/// Fault injection for tests: with OODBENCH_GPU_FAIL_ALLOCATIONS_ABOVE set, larger allocations fail as if the
/// device were full, so the shrink-and-retry path runs without starving other processes of GPU memory.
inline bool injected_allocation_failure(std::size_t bytes) {
  const char* limit = std::getenv("OODBENCH_GPU_FAIL_ALLOCATIONS_ABOVE");
  return limit && bytes > std::strtoull(limit, nullptr, 10);
}

/// An owning, uninitialised device array.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t size) : size_(size) {
    if (size == 0) return;
    if (injected_allocation_failure(size * sizeof(T))) throw OutOfDeviceMemory();
    const cudaError_t status = cudaMalloc(&data_, size * sizeof(T));
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // not sticky: clear it so the retry starts clean
      throw OutOfDeviceMemory();
    }
    check(status, "cudaMalloc");
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept { *this = std::move(other); }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~DeviceBuffer() {
    if (data_) cudaFree(data_);
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Host-to-device bytes of this module so far (Backend::upload_bytes); every upload adds to it through note_upload.
inline std::atomic<std::uint64_t> uploaded_bytes{0};
inline void note_upload(std::size_t bytes) { uploaded_bytes.fetch_add(bytes, std::memory_order_relaxed); }

/// `host` into device memory at `device` (room for host.size() elements), in `stream`'s order, counted by
/// note_upload.
template <class T>
void copy_to_device(T* device, std::span<const T> host, cudaStream_t stream = nullptr, const char* what = "upload") {
  if (host.empty()) return;
  note_upload(host.size_bytes());
  check(cudaMemcpyAsync(device, host.data(), host.size_bytes(), cudaMemcpyHostToDevice, stream), what);
}

template <class T>
DeviceBuffer<T> to_device(std::span<const T> host, cudaStream_t stream = nullptr) {
  DeviceBuffer<T> d(host.size());
  copy_to_device(d.data(), host, stream, "to_device");
  return d;
}

template <class T>
DeviceBuffer<T> to_device(const std::vector<T>& host, cudaStream_t stream = nullptr) {
  return to_device(std::span<const T>(host), stream);
}

template <class T>
DeviceBuffer<T> to_device(const Matrix<T>& host, cudaStream_t stream = nullptr) {
  return to_device(std::span<const T>(host.data), stream);
}

/// A primitive's float input on the device: the resident copy of the host matrix when one is kept
/// (Backend::keep_resident), else a copy uploaded for this call and owned here.
struct DeviceInput {
  const float* data = nullptr;
  DeviceBuffer<float> owned;
  std::shared_ptr<void> resident;  ///< keeps a resident copy alive while this input is in use
};

template <class T>
void to_host(const T* device, std::span<T> host, cudaStream_t stream = nullptr) {
  if (host.empty()) return;
  check(cudaMemcpyAsync(host.data(), device, host.size_bytes(), cudaMemcpyDeviceToHost, stream), "to_host");
  check(cudaStreamSynchronize(stream), "to_host (synchronize)");
}

/// A stream (non-blocking unless asked: a blocking one waits for work on the legacy default stream, such as
/// to_device's copies) and a timing-free event, destroyed with their scope.
struct Stream {
  cudaStream_t handle = nullptr;
  explicit Stream(bool non_blocking = true) {
    check(cudaStreamCreateWithFlags(&handle, non_blocking ? cudaStreamNonBlocking : cudaStreamDefault),
          "cudaStreamCreate");
  }
  ~Stream() { cudaStreamDestroy(handle); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
};

struct Event {
  cudaEvent_t handle = nullptr;
  Event() { check(cudaEventCreateWithFlags(&handle, cudaEventDisableTiming), "cudaEventCreate"); }
  ~Event() { cudaEventDestroy(handle); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

/// Checks the launch just made (configuration errors surface here; faults at the next synchronising call).
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

/// Blocks of `per_block` threads needed for `threads` threads.
inline unsigned grid_size(std::size_t threads, unsigned per_block) {
  return static_cast<unsigned>((threads + per_block - 1) / per_block);
}

/// Device memory a primitive may plan to use: 90 % of what is free now, or OODBENCH_GPU_MEMORY_BYTES when set
/// (a smaller figure caps the footprint; a larger one exercises the shrink-and-retry path).
inline std::size_t memory_budget() {
  if (const char* cap = std::getenv("OODBENCH_GPU_MEMORY_BYTES")) return std::strtoull(cap, nullptr, 10);
  std::size_t free = 0, total = 0;
  check(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
  return free / 10 * 9;
}

/// Runs `attempt(budget)` and, each time it runs out of device memory, again with half the budget, down to
/// `minimum` bytes: then the error is reported, naming the primitive.
template <class Attempt>
auto with_shrinking_budget(const char* primitive, std::size_t minimum, Attempt&& attempt) {
  for (std::size_t budget = memory_budget();; budget /= 2) {
    try {
      return attempt(budget);
    } catch (const OutOfDeviceMemory&) {
      if (budget / 2 < minimum) {
        throw std::runtime_error(std::string(primitive) + ": out of GPU memory even with the smallest tiles (" +
                                 std::to_string(minimum >> 20) + " MiB)");
      }
    }
  }
}

}  // namespace oodbench::cuda
