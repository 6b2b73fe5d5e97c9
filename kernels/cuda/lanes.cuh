// Lanes: a stream with its own cuBLAS handle (and, when asked, cuSOLVER handle) bound to it for good, and the
// workspace that handle uses. A call of a primitive checks one out of its backend's pool and gives it back when done,
// so that calls from several threads at once never share a handle, a stream or a workspace, and nothing is re-pointed
// at another stream while someone else uses it. One handle per stream, each with its own workspace of the same size,
// is also what cuBLAS needs to pick the same kernels for the same call on any lane (bitwise reproducible results).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "kernels/cuda/device_memory.cuh"
#include "kernels/cuda/library_handles.cuh"

namespace oodbench::cuda {

class Lane {
 public:
  /// On the current device; `tf32` lets its float32 GEMMs use TF32 tensor cores. DeviceError where cuBLAS cannot start.
  explicit Lane(bool tf32);
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  cudaStream_t stream() const { return stream_.handle; }
  cublasHandle_t blas() const { return blas_.get(); }
  /// The lane's cuSOLVER handle, made on first use (few calls need one).
  cusolverDnHandle_t solver();

 private:
  /// cuBLAS's workspace: plain device memory, outside the data's DeviceBuffer accounting.
  struct Workspace {
    void* data = nullptr;
    std::size_t bytes = 0;
    int device = 0;
    Workspace();
    ~Workspace();
    Workspace(const Workspace&) = delete;
    Workspace& operator=(const Workspace&) = delete;
  };

  Stream stream_;
  Workspace workspace_;  // before the handle that uses it, so it goes after it
  CublasHandle blas_;
  std::optional<CusolverHandle> solver_;
};

class LanePool;

/// A lane checked out of its pool; back in the pool when the lease goes.
class LaneLease {
 public:
  LaneLease(std::shared_ptr<LanePool> pool, std::unique_ptr<Lane> lane) : pool_(std::move(pool)), lane_(std::move(lane)) {}
  LaneLease(LaneLease&&) noexcept = default;
  LaneLease& operator=(LaneLease&&) noexcept = delete;
  ~LaneLease();

  Lane& operator*() const { return *lane_; }
  Lane* operator->() const { return lane_.get(); }

 private:
  std::shared_ptr<LanePool> pool_;
  std::unique_ptr<Lane> lane_;
};

/// The lanes of one backend (one device, one math mode): an idle one when there is one, else a new one. Thread-safe.
class LanePool : public std::enable_shared_from_this<LanePool> {
 public:
  LanePool(int device, bool tf32) : device_(device), tf32_(tf32) {}
  ~LanePool();
  LanePool(const LanePool&) = delete;
  LanePool& operator=(const LanePool&) = delete;

  /// A lane for the caller alone until the lease goes. The caller has made the pool's device current.
  LaneLease lease();

 private:
  friend class LaneLease;
  void give_back(std::unique_ptr<Lane> lane);

  int device_;
  bool tf32_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Lane>> idle_;
};

}  // namespace oodbench::cuda
