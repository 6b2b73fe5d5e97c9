// Device memory for the CUDA backend: an owning buffer, streams and events that free themselves on their own device,
// host<->device copies on a given stream (each upload counted), the device binding of a call, the memory budget that
// tiled primitives size their tiles from (shrunk and retried when an allocation fails), and launch checks.
#pragma once

#include <cuda_runtime.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cuda/cuda_check.cuh"
#include "kernels/matrix.h"
#include "kernels/residency.h"

namespace oodbench::cuda {

/// Makes `device` the calling thread's current device for its scope and gives the caller's back after, so that a
/// primitive allocates and launches on its backend's GPU whatever device the calling thread had chosen.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    check(cudaGetDevice(&previous_), "cudaGetDevice");
    if (previous_ == device) previous_ = -1;
    else check(cudaSetDevice(device), "cudaSetDevice");
  }
  ~DeviceGuard() {
    if (previous_ >= 0) cudaSetDevice(previous_);
  }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

/// The current device, for objects that must be freed on the device they were made on.
inline int current_device() {
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  return device;
}

/// Runs `release` with `device` current (a destructor may run on any thread).
template <class Release>
void on_device(int device, Release&& release) noexcept {
  int previous = device;
  cudaGetDevice(&previous);
  if (previous != device) cudaSetDevice(device);
  release();
  if (previous != device) cudaSetDevice(previous);
}

/// Bytes this module's DeviceBuffers hold now (the data, not the libraries' workspaces), for the capacity below.
inline std::atomic<std::size_t> live_device_bytes{0};

/// Fault injection for tests, so that the recovery paths run without starving other processes of GPU memory: with
/// OODBENCH_GPU_FAIL_ALLOCATIONS_ABOVE set, larger allocations fail as if the device were full (the shrink-and-retry
/// path); with OODBENCH_GPU_CAPACITY_BYTES set, an allocation fails where this module's buffers would hold more than
/// that in all (a smaller GPU: what resident copies must make room on).
inline bool injected_allocation_failure(std::size_t bytes) {
  const char* limit = std::getenv("OODBENCH_GPU_FAIL_ALLOCATIONS_ABOVE");
  if (limit && bytes > std::strtoull(limit, nullptr, 10)) return true;
  const char* capacity = std::getenv("OODBENCH_GPU_CAPACITY_BYTES");
  return capacity && live_device_bytes.load() + bytes > std::strtoull(capacity, nullptr, 10);
}

/// An owning, uninitialised device array on the device current at its allocation.
template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t size) : size_(size) {
    if (size == 0) return;
    if (injected_allocation_failure(size * sizeof(T))) throw OutOfDeviceMemory();
    device_ = current_device();
    const cudaError_t status = cudaMalloc(&data_, size * sizeof(T));
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // not sticky: clear it so the retry starts clean
      throw OutOfDeviceMemory();
    }
    check(status, "cudaMalloc");
    live_device_bytes += size * sizeof(T);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept { *this = std::move(other); }
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(device_, other.device_);
    return *this;
  }
  ~DeviceBuffer() {
    if (!data_) return;
    on_device(device_, [&] { cudaFree(data_); });
    live_device_bytes -= size_ * sizeof(T);
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
  int device_ = 0;
};

/// Host-to-device bytes of this module so far (Backend::upload_bytes); every upload adds to it through note_upload.
inline std::atomic<std::uint64_t> uploaded_bytes{0};
inline void note_upload(std::size_t bytes) { uploaded_bytes.fetch_add(bytes, std::memory_order_relaxed); }

/// `host` into device memory at `device` (room for host.size() elements), in `stream`'s order, counted by
/// note_upload. From pageable memory the call returns once `host` may be reused.
template <class T>
void copy_to_device(T* device, std::span<const T> host, cudaStream_t stream, const char* what = "upload") {
  if (host.empty()) return;
  note_upload(host.size_bytes());
  check(cudaMemcpyAsync(device, host.data(), host.size_bytes(), cudaMemcpyHostToDevice, stream), what);
}

template <class T>
DeviceBuffer<T> to_device(std::span<const T> host, cudaStream_t stream) {
  DeviceBuffer<T> d(host.size());
  copy_to_device(d.data(), host, stream, "to_device");
  return d;
}

template <class T>
DeviceBuffer<T> to_device(const std::vector<T>& host, cudaStream_t stream) {
  return to_device(std::span<const T>(host), stream);
}

template <class T>
DeviceBuffer<T> to_device(const Matrix<T>& host, cudaStream_t stream) {
  return to_device(std::span<const T>(host.data), stream);
}

/// A primitive's float input on the device: the resident copy of the host matrix when one is kept
/// (Backend::keep_resident), else a copy uploaded for this call and owned here.
struct DeviceInput {
  const float* data = nullptr;
  DeviceBuffer<float> owned;
  std::shared_ptr<void> resident;  ///< keeps a resident copy alive while this input is in use
};

/// `device` into `host` once `stream`'s work before it is done; returns when the copy is.
template <class T>
void to_host(const T* device, std::span<T> host, cudaStream_t stream) {
  if (host.empty()) return;
  check(cudaMemcpyAsync(host.data(), device, host.size_bytes(), cudaMemcpyDeviceToHost, stream), "to_host");
  check(cudaStreamSynchronize(stream), "to_host (synchronize)");
}

/// A non-blocking stream: it never waits for the legacy default stream, so nothing another thread (or PyTorch in
/// the same process) queues there can order itself into ours, nor break a graph capture on it.
struct Stream {
  cudaStream_t handle = nullptr;
  int device = 0;
  Stream() : device(current_device()) {
    check(cudaStreamCreateWithFlags(&handle, cudaStreamNonBlocking), "cudaStreamCreate");
  }
  ~Stream() {
    on_device(device, [&] { cudaStreamDestroy(handle); });
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
};

/// A timing-free event.
struct Event {
  cudaEvent_t handle = nullptr;
  int device = 0;
  Event() : device(current_device()) {
    check(cudaEventCreateWithFlags(&handle, cudaEventDisableTiming), "cudaEventCreate");
  }
  ~Event() {
    on_device(device, [&] { cudaEventDestroy(handle); });
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
};

/// Checks the launch just made (configuration errors surface here; faults at the next synchronising call).
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

/// Blocks of `per_block` threads needed for `threads` threads.
inline unsigned grid_size(std::size_t threads, unsigned per_block) {
  return static_cast<unsigned>((threads + per_block - 1) / per_block);
}

/// OODBENCH_GPU_MEMORY_BYTES when set: a cap on the device memory the backend plans with (a smaller figure caps the
/// footprint; a larger one exercises the shrink-and-retry path). 0 when unset.
inline std::size_t memory_cap() {
  const char* cap = std::getenv("OODBENCH_GPU_MEMORY_BYTES");
  return cap ? std::strtoull(cap, nullptr, 10) : 0;
}

/// Device memory a primitive may plan to use: 90 % of what is free now, or the cap when set.
inline std::size_t memory_budget() {
  if (const std::size_t cap = memory_cap()) return cap;
  std::size_t free = 0, total = 0;
  check(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
  return free / 10 * 9;
}

/// What resident copies may take together: half of the memory budget the backend found when it was made (free
/// memory then, or the cap), so that the primitives keep the other half for their tiles and products.
inline std::size_t residency_budget(std::size_t budget_at_start) {
  const std::size_t cap = memory_cap();
  return (cap ? cap : budget_at_start) / 2;
}

/// Runs `attempt(budget)` and, each time it runs out of device memory, first gives back the least recently used idle
/// resident copy and runs it again with the same budget, and when none is left, with half the budget, down to
/// `minimum` bytes: then the error is reported, naming the primitive.
template <class Attempt>
auto with_shrinking_budget(const char* primitive, std::size_t minimum, ResidencyRegistry& resident,
                           Attempt&& attempt) {
  for (std::size_t budget = memory_budget();;) {
    try {
      return attempt(budget);
    } catch (const OutOfDeviceMemory&) {
      if (resident.evict_least_recently_used() > 0) continue;
      if (budget / 2 < minimum) {
        throw std::runtime_error(std::string(primitive) + ": out of GPU memory even with the smallest tiles (" +
                                 std::to_string(minimum >> 20) + " MiB)");
      }
      budget /= 2;
    }
  }
}

}  // namespace oodbench::cuda
