#include "kernels/residency.h"

namespace oodbench {

ResidentCopy ResidencyRegistry::find(const Matrix<float>& host) const {
  if (host.data.empty()) return {};
  const std::lock_guard lock(mutex_);
  const auto it = entries_.find(resident_key(host));
  if (it == entries_.end()) return {};
  return {it->second.device, it->second.owner};
}

bool ResidencyRegistry::retain(const ResidentKey& key) {
  const std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  ++it->second.handles;
  return true;
}

void ResidencyRegistry::add(const ResidentKey& key, std::shared_ptr<void> owner, const float* device,
                            std::size_t bytes) {
  std::shared_ptr<void> unused;  // freed after the lock is released
  {
    const std::lock_guard lock(mutex_);
    auto [it, inserted] = entries_.try_emplace(key);
    if (inserted) it->second = Entry{std::move(owner), device, bytes, 0};
    else unused = std::move(owner);
    ++it->second.handles;
  }
}

void ResidencyRegistry::release(const ResidentKey& key) {
  std::shared_ptr<void> dropped;  // freed (device memory returned) after the lock is released
  {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end()) return;
    if (--it->second.handles == 0) {
      dropped = std::move(it->second.owner);
      entries_.erase(it);
    }
  }
}

std::size_t ResidencyRegistry::count() const {
  const std::lock_guard lock(mutex_);
  return entries_.size();
}

std::size_t ResidencyRegistry::bytes() const {
  const std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const auto& [key, entry] : entries_) total += entry.bytes;
  return total;
}

ResidentHandle resident_handle(const std::shared_ptr<ResidencyRegistry>& registry, const ResidentKey& key) {
  return ResidentHandle([weak = std::weak_ptr<ResidencyRegistry>(registry), key] {
    if (const auto r = weak.lock()) r->release(key);
  });
}

}  // namespace oodbench
