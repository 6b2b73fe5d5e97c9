// Device-resident copies of host matrices (Backend::keep_resident): the handle a caller holds while a copy is to stay
// on the device, and the registry a device backend looks a primitive's inputs up in. Host-only C++ (no CUDA), so
// the bookkeeping is tested on any machine.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <utility>

#include "kernels/matrix.h"

namespace oodbench {

/// While it lives, the backend that made it keeps a device copy of one host matrix (unless the copy is evicted to
/// make room, ResidencyRegistry). Move-only; an empty handle (the CPU backend, an empty matrix, a matrix over the
/// residency budget) keeps nothing, and the primitives then upload that matrix on every call as they would without
/// a handle.
class ResidentHandle {
 public:
  ResidentHandle() = default;
  explicit ResidentHandle(std::function<void()> release) : release_(std::move(release)) {}
  ResidentHandle(ResidentHandle&& other) noexcept : release_(std::exchange(other.release_, nullptr)) {}
  ResidentHandle& operator=(ResidentHandle&& other) noexcept {
    if (this != &other) {
      reset();
      release_ = std::exchange(other.release_, nullptr);
    }
    return *this;
  }
  ResidentHandle(const ResidentHandle&) = delete;
  ResidentHandle& operator=(const ResidentHandle&) = delete;
  ~ResidentHandle() { reset(); }

  /// True while a device copy is held through this handle.
  bool active() const { return static_cast<bool>(release_); }
  /// Gives the copy up now (the last handle over a matrix frees its device memory).
  void reset() {
    if (release_) std::exchange(release_, nullptr)();
  }

 private:
  std::function<void()> release_;
};

/// A host matrix's identity: its storage and shape. Matching all three means "this very array", as long as the
/// caller keeps the promise of Backend::keep_resident (the storage neither changes nor is freed while registered).
struct ResidentKey {
  const void* data = nullptr;
  std::size_t rows = 0, cols = 0;
  auto operator<=>(const ResidentKey&) const = default;
};

inline ResidentKey resident_key(const Matrix<float>& m) { return {m.data.data(), m.rows, m.cols}; }

/// A registered device copy, and a share in what keeps it: a primitive (or a trainer) that holds this may use the
/// copy even if the last handle over it goes, or the copy is evicted, meanwhile.
struct ResidentCopy {
  const float* device = nullptr;  ///< null: none registered
  std::shared_ptr<void> owner;
};

/// Thrown when the device has no memory for an allocation (cudaMalloc's cudaErrorMemoryAllocation, or a failure
/// injected by a test), so that the caller can give resident copies back or shrink its tiles, and try again. Declared
/// here, host-only, so that the eviction below is tested without a GPU.
struct OutOfDeviceMemory : std::bad_alloc {
  const char* what() const noexcept override { return "out of GPU memory"; }
};

/// The device copies a backend holds, by host matrix, each with a count of the handles over it; the copy (held
/// through `owner`, e.g. a device buffer) is dropped with its last handle. Copies are admitted against a running
/// total within a budget, so that together they never take more than it; and where a primitive runs out of device
/// memory anyway (other processes, other threads' work), it evicts the least recently used copy no call is reading
/// (retry_after_eviction): that matrix is then uploaded per call, as if it had never been kept, so keeping never
/// makes an operation fail that would have run without it. Thread-safe: primitives are const.
class ResidencyRegistry {
 public:
  /// `budget()`: the bytes all copies may take together, read at each admission.
  explicit ResidencyRegistry(std::function<std::size_t()> budget = [] { return SIZE_MAX; }) : budget_(std::move(budget)) {}

  /// The device copy of `host` (ResidentCopy::device null when none is registered); marks it as just used.
  ResidentCopy find(const Matrix<float>& host);
  ResidentCopy find(const ResidentKey& key);

  /// Drops the copy of the least recently used matrix that no call is reading now (only the registry holds it); its
  /// handles stay, and the matrix is uploaded per call from then on. Returns the bytes given back: 0 when there was
  /// nothing to evict.
  std::size_t evict_least_recently_used();

  /// Matrices registered now (evicted ones included, while handles hold them), and the device bytes their copies take.
  std::size_t count() const;
  std::size_t bytes() const;

  /// One handle fewer over `key`'s copy (what a handle from keep_resident_copy does when it goes); the last drops it.
  void release(const ResidentKey& key);

 private:
  friend ResidentHandle keep_resident_copy(const std::shared_ptr<ResidencyRegistry>&, const ResidentKey&, std::size_t,
                                           const std::function<ResidentCopy()>&);

  struct Entry {
    std::shared_ptr<void> owner;  ///< null once evicted
    const float* device = nullptr;
    std::size_t bytes = 0;
    std::size_t handles = 0;
    std::uint64_t last_use = 0;
  };
  std::function<std::size_t()> budget_;
  mutable std::mutex mutex_;
  std::map<ResidentKey, Entry> entries_;
  std::size_t total_ = 0;     ///< bytes of the registered copies
  std::size_t reserved_ = 0;  ///< bytes of copies being uploaded, admitted but not registered yet
  std::uint64_t clock_ = 0;   ///< ticks at every find, for the least recently used
};

/// A handle over `key`'s copy (`bytes` long): the registered one, or a new one `upload()` makes, if it fits the
/// budget beside the copies already registered. Where it does not fit, or the device has no memory for it, the
/// handle keeps nothing (the matrix is uploaded per call). The handle releases its share on destruction, or does
/// nothing if the registry (its backend) is gone by then.
ResidentHandle keep_resident_copy(const std::shared_ptr<ResidencyRegistry>& registry, const ResidentKey& key,
                                  std::size_t bytes, const std::function<ResidentCopy()>& upload);

/// Runs `attempt()`; each time it runs out of device memory, evicts the least recently used idle resident copy and
/// runs it again. When there is nothing left to evict, the failure stands. `attempt` must be safe to run again (it
/// allocates before it changes anything).
template <class Attempt>
auto retry_after_eviction(ResidencyRegistry& registry, Attempt&& attempt) {
  for (;;) {
    try {
      return attempt();
    } catch (const OutOfDeviceMemory&) {
      if (registry.evict_least_recently_used() == 0) throw;
    }
  }
}

}  // namespace oodbench
