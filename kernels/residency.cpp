#include "kernels/residency.h"

namespace oodbench {
namespace {

ResidentHandle handle_over(const std::shared_ptr<ResidencyRegistry>& registry, const ResidentKey& key) {
  return ResidentHandle([weak = std::weak_ptr<ResidencyRegistry>(registry), key] {
    if (const auto r = weak.lock()) r->release(key);
  });
}

}  // namespace

ResidentCopy ResidencyRegistry::find(const Matrix<float>& host) {
  if (host.data.empty()) return {};
  return find(resident_key(host));
}

ResidentCopy ResidencyRegistry::find(const ResidentKey& key) {
  const std::lock_guard lock(mutex_);
  const auto it = entries_.find(key);
  if (it == entries_.end() || it->second.device == nullptr) return {};
  it->second.last_use = ++clock_;
  return {it->second.device, it->second.owner};
}

std::size_t ResidencyRegistry::evict_least_recently_used() {
  std::shared_ptr<void> evicted;  // freed (device memory given back) after the lock is released
  std::size_t bytes = 0;
  {
    const std::lock_guard lock(mutex_);
    Entry* oldest = nullptr;
    for (auto& [key, entry] : entries_) {
      // use_count 1: no call holds a share of the copy (a primitive reading it, a trainer), so dropping frees it.
      const bool idle = entry.owner != nullptr && entry.owner.use_count() == 1;
      if (idle && (oldest == nullptr || entry.last_use < oldest->last_use)) oldest = &entry;
    }
    if (oldest == nullptr) return 0;
    evicted = std::move(oldest->owner);
    bytes = oldest->bytes;
    total_ -= bytes;
    *oldest = Entry{nullptr, nullptr, 0, oldest->handles, oldest->last_use};
  }
  return bytes;
}

void ResidencyRegistry::release(const ResidentKey& key) {
  std::shared_ptr<void> dropped;  // freed after the lock is released
  {
    const std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    if (it == entries_.end()) return;
    if (--it->second.handles == 0) {
      dropped = std::move(it->second.owner);
      total_ -= it->second.bytes;
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
  return total_;
}

ResidentHandle keep_resident_copy(const std::shared_ptr<ResidencyRegistry>& registry, const ResidentKey& key,
                                  std::size_t bytes, const std::function<ResidentCopy()>& upload) {
  ResidencyRegistry& r = *registry;
  {
    const std::lock_guard lock(r.mutex_);
    const auto it = r.entries_.find(key);
    if (it != r.entries_.end() && it->second.device != nullptr) {  // kept already: one more handle, nothing uploaded
      ++it->second.handles;
      it->second.last_use = ++r.clock_;
      return handle_over(registry, key);
    }
    if (r.total_ + r.reserved_ + bytes > r.budget_()) {
      if (it == r.entries_.end()) return {};
      ++it->second.handles;  // an evicted copy's matrix: its handles stay counted, and it is uploaded per call
      return handle_over(registry, key);
    }
    r.reserved_ += bytes;
  }
  ResidentCopy copy;
  try {
    copy = upload();
  } catch (const OutOfDeviceMemory&) {  // no room on the device now: kept nothing, as over the budget
  }
  std::shared_ptr<void> unused;  // a copy another thread registered first makes ours redundant; freed unlocked
  const std::lock_guard lock(r.mutex_);
  r.reserved_ -= bytes;
  auto [it, inserted] = r.entries_.try_emplace(key);
  ResidencyRegistry::Entry& entry = it->second;
  if (copy.device == nullptr && inserted) {
    r.entries_.erase(it);
    return {};
  }
  if (entry.device == nullptr && copy.device != nullptr) {
    entry.owner = std::move(copy.owner);
    entry.device = copy.device;
    entry.bytes = bytes;
    r.total_ += bytes;
  } else {
    unused = std::move(copy.owner);
  }
  ++entry.handles;
  entry.last_use = ++r.clock_;
  return handle_over(registry, key);
}

}  // namespace oodbench
