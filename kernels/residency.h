// Device-resident copies of host matrices (Backend::keep_resident): the handle a caller holds while a copy is to stay
// on the device, and the registry a device backend looks a primitive's inputs up in. Host-only C++ (no CUDA), so
// the bookkeeping is tested on any machine.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "kernels/matrix.h"

namespace oodbench {

/// While it lives, the backend that made it keeps a device copy of one host matrix. Move-only; an empty handle
/// (the CPU backend, an empty matrix, a matrix over the device's memory budget) keeps nothing, and the primitives
/// then upload that matrix on every call as they would without a handle.
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
/// copy even if the last handle over it goes meanwhile.
struct ResidentCopy {
  const float* device = nullptr;  ///< null: none registered
  std::shared_ptr<void> owner;
};

/// The device copies a backend holds, by host matrix, each with a count of the handles over it; the copy (held
/// through `owner`, e.g. a device buffer) is dropped with its last handle. Thread-safe: primitives are const.
class ResidencyRegistry {
 public:
  /// The device copy of `host` (ResidentCopy::device null when none is registered).
  ResidentCopy find(const Matrix<float>& host) const;
  /// One more handle over `key`'s copy: true if it is registered (the caller need not upload), else false.
  bool retain(const ResidentKey& key);
  /// Registers `device` (kept alive by `owner`, `bytes` long) as `key`'s copy with one handle. If another thread
  /// registered `key` meanwhile, that copy gains the handle and `owner` is dropped.
  void add(const ResidentKey& key, std::shared_ptr<void> owner, const float* device, std::size_t bytes);
  /// One handle fewer over `key`'s copy; the last one drops it.
  void release(const ResidentKey& key);

  /// Matrices registered now, and the device bytes their copies take.
  std::size_t count() const;
  std::size_t bytes() const;

 private:
  struct Entry {
    std::shared_ptr<void> owner;
    const float* device = nullptr;
    std::size_t bytes = 0;
    std::size_t handles = 0;
  };
  mutable std::mutex mutex_;
  std::map<ResidentKey, Entry> entries_;
};

/// A handle over `key`'s copy in `registry` (already retained or added): releases it on destruction, or does
/// nothing if the registry (its backend) is gone by then.
ResidentHandle resident_handle(const std::shared_ptr<ResidencyRegistry>& registry, const ResidentKey& key);

}  // namespace oodbench
