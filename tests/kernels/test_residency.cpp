// The bookkeeping behind Backend::keep_resident, host-only (kernels/residency.h): which host matrix has a device
// copy, how many handles hold it, and when it goes. Also that the CPU backend keeps nothing and counts no uploads.
#include <gtest/gtest.h>

#include <memory>

#include "kernels/cpu/cpu_backend.h"
#include "kernels/residency.h"

namespace oodbench {
namespace {

/// A stand-in device copy: an owner whose destruction the test can see.
struct FakeCopy {
  std::shared_ptr<int> owner = std::make_shared<int>(0);
  std::weak_ptr<int> watch = owner;
  float device[4] = {};
  bool alive() const { return !watch.expired(); }
};

ResidentHandle keep(const std::shared_ptr<ResidencyRegistry>& registry, const Matrix<float>& m, FakeCopy& copy) {
  return keep_resident_copy(registry, resident_key(m), m.data.size() * sizeof(float),
                            [&] { return ResidentCopy{copy.device, std::move(copy.owner)}; });
}

TEST(ResidencyRegistry, FindsOnlyTheVeryMatrixRegistered) {
  const auto registry = std::make_shared<ResidencyRegistry>();
  const Matrix<float> a(6, 4, 1.0f), same_values(6, 4, 1.0f);
  FakeCopy copy;
  EXPECT_EQ(registry->find(a).device, nullptr);
  const ResidentHandle h = keep(registry, a, copy);
  EXPECT_TRUE(h.active());
  EXPECT_EQ(registry->find(a).device, copy.device);
  EXPECT_EQ(registry->find(same_values).device, nullptr) << "equal values in other storage are another matrix";
  Matrix<float> reshaped;  // the same storage seen with another shape is not the registered matrix either
  reshaped.rows = 4;
  reshaped.cols = 6;
  EXPECT_EQ(registry->find(reshaped).device, nullptr);
  EXPECT_EQ(registry->count(), 1u);
  EXPECT_EQ(registry->bytes(), 6u * 4u * sizeof(float));
  EXPECT_EQ(registry->find(Matrix<float>()).device, nullptr) << "an empty matrix is never resident";
}

TEST(ResidencyRegistry, TheLastHandleDropsTheCopy) {
  const auto registry = std::make_shared<ResidencyRegistry>();
  const Matrix<float> a(3, 2, 0.5f);
  FakeCopy first, second;
  ResidentHandle h1 = keep(registry, a, first);
  ResidentHandle h2 = keep(registry, a, second);  // shares the first copy: nothing uploaded again
  EXPECT_FALSE(second.owner == nullptr) << "a second keep of the same matrix must not take a new copy";
  EXPECT_EQ(registry->count(), 1u);
  h1.reset();
  EXPECT_FALSE(h1.active());
  EXPECT_TRUE(first.alive()) << "another handle still holds the copy";
  EXPECT_EQ(registry->find(a).device, first.device);
  h2.reset();
  EXPECT_FALSE(first.alive());
  EXPECT_EQ(registry->find(a).device, nullptr);
  EXPECT_EQ(registry->count(), 0u);
  EXPECT_EQ(registry->bytes(), 0u);
}

TEST(ResidencyRegistry, AFoundCopyOutlivesItsLastHandleWhileInUse) {
  const auto registry = std::make_shared<ResidencyRegistry>();
  const Matrix<float> a(3, 2, 0.5f);
  FakeCopy copy;
  ResidentHandle h = keep(registry, a, copy);
  const ResidentCopy in_use = registry->find(a);  // what a primitive (a trainer) holds while it reads the copy
  h.reset();
  EXPECT_TRUE(copy.alive());
  EXPECT_EQ(registry->find(a).device, nullptr) << "no longer registered for new calls";
}

TEST(ResidencyRegistry, ARacingKeepJoinsTheFirstCopy) {
  const auto registry = std::make_shared<ResidencyRegistry>();
  const Matrix<float> a(2, 2, 1.0f);
  FakeCopy first, second;
  ResidentHandle inner;
  ResidentHandle outer = keep_resident_copy(registry, resident_key(a), 16, [&] {
    inner = keep(registry, a, first);  // another thread registers the same matrix while this one uploads
    return ResidentCopy{second.device, std::move(second.owner)};
  });
  EXPECT_FALSE(second.alive()) << "the second copy is dropped";
  EXPECT_EQ(registry->find(a).device, first.device);
  EXPECT_EQ(registry->bytes(), 16u) << "counted once";
  inner.reset();
  EXPECT_TRUE(first.alive()) << "both keeps hold a handle";
  outer.reset();
  EXPECT_FALSE(first.alive());
}

TEST(ResidentHandle, MovesHandOverTheReleaseAndOutliveTheirRegistry) {
  auto registry = std::make_shared<ResidencyRegistry>();
  const Matrix<float> a(2, 2, 1.0f), b(2, 2, 2.0f);
  FakeCopy ca, cb;
  ResidentHandle h = keep(registry, a, ca);
  ResidentHandle moved = std::move(h);
  EXPECT_FALSE(h.active());  // NOLINT(bugprone-use-after-move): the moved-from state is what is tested
  EXPECT_TRUE(moved.active());
  EXPECT_TRUE(ca.alive());
  moved = keep(registry, b, cb);  // assigning releases what it held
  EXPECT_FALSE(ca.alive());
  EXPECT_TRUE(cb.alive());
  registry.reset();  // the backend goes first: its copies with it, and the handle then has nothing to do
  EXPECT_FALSE(cb.alive());
  moved.reset();
  EXPECT_FALSE(moved.active());
}

/// A device of `capacity` bytes for the registry to fill: allocations beyond it fail as cudaMalloc's do.
struct FakeDevice {
  std::size_t capacity, used = 0;
  std::shared_ptr<void> allocate(std::size_t bytes) {
    if (used + bytes > capacity) throw OutOfDeviceMemory();
    used += bytes;
    return std::shared_ptr<void>(new char, [this, bytes](void* p) {
      used -= bytes;
      delete static_cast<char*>(p);
    });
  }
  ResidentHandle keep(const std::shared_ptr<ResidencyRegistry>& registry, const Matrix<float>& m, std::size_t bytes) {
    return keep_resident_copy(registry, resident_key(m), bytes, [&] {
      std::shared_ptr<void> owner = allocate(bytes);
      return ResidentCopy{static_cast<const float*>(owner.get()), owner};
    });
  }
};

TEST(ResidencyBudget, CopiesAreAdmittedAgainstARunningTotal) {
  FakeDevice device{1000};
  const auto registry = std::make_shared<ResidencyRegistry>([] { return std::size_t{100}; });
  const Matrix<float> a(1, 1), b(1, 1), c(1, 1);
  ResidentHandle ha = device.keep(registry, a, 40), hb = device.keep(registry, b, 40);
  EXPECT_TRUE(ha.active() && hb.active());
  // Half of what is free now (960 bytes) would admit c; the budget beside a's and b's 80 bytes does not.
  EXPECT_FALSE(device.keep(registry, c, 40).active());
  EXPECT_EQ(registry->bytes(), 80u);
  EXPECT_EQ(device.used, 80u);
  ha.reset();
  EXPECT_TRUE(device.keep(registry, c, 40).active()) << "a's bytes came back to the budget";
}

TEST(ResidencyBudget, AKeepTheDeviceHasNoRoomForKeepsNothing) {
  FakeDevice device{50};
  const auto registry = std::make_shared<ResidencyRegistry>();
  const Matrix<float> a(1, 1), b(1, 1);
  const ResidentHandle ha = device.keep(registry, a, 30);
  EXPECT_FALSE(device.keep(registry, b, 30).active()) << "keeping never evicts another copy, nor fails";
  EXPECT_NE(registry->find(a).device, nullptr);
  EXPECT_EQ(registry->count(), 1u);
}

TEST(ResidencyBudget, AnOperationOutOfMemoryEvictsTheLeastRecentlyUsedIdleCopyAndRunsAgain) {
  FakeDevice device{100};
  const auto registry = std::make_shared<ResidencyRegistry>();
  const Matrix<float> a(1, 1), b(1, 1), c(1, 1);
  const ResidentHandle ha = device.keep(registry, a, 30), hb = device.keep(registry, b, 30),
                       hc = device.keep(registry, c, 30);
  registry->find(a);  // used last: a, then c and b before it
  const ResidentCopy in_use = registry->find(c);  // a primitive reads c right now: not evictable
  int attempts = 0;
  const std::shared_ptr<void> work = retry_after_eviction(*registry, [&] {
    ++attempts;
    return device.allocate(20);  // 90 + 20 > 100 until one copy goes
  });
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(registry->find(b).device, nullptr) << "b, the least recently used idle copy, went";
  EXPECT_NE(registry->find(a).device, nullptr);
  EXPECT_NE(registry->find(c).device, nullptr);
  EXPECT_EQ(registry->bytes(), 60u);
  EXPECT_TRUE(hb.active()) << "b's handle stays; b is uploaded per call";
  EXPECT_EQ(registry->count(), 3u);
}

TEST(ResidencyBudget, WhenNothingIsLeftToEvictTheFailureStands) {
  FakeDevice device{100};
  const auto registry = std::make_shared<ResidencyRegistry>();
  const Matrix<float> a(1, 1), b(1, 1);
  const ResidentHandle ha = device.keep(registry, a, 30), hb = device.keep(registry, b, 30);
  EXPECT_THROW(retry_after_eviction(*registry, [&] { return device.allocate(200); }), OutOfDeviceMemory);
  EXPECT_EQ(device.used, 0u) << "every idle copy was given back first";
  EXPECT_EQ(registry->bytes(), 0u);
}

TEST(ResidencyBudget, AnEvictedMatrixIsKeptAgainAndItsHandlesStayCounted) {
  FakeDevice device{100};
  const auto registry = std::make_shared<ResidencyRegistry>();
  const Matrix<float> a(1, 1);
  ResidentHandle first = device.keep(registry, a, 30);
  EXPECT_EQ(registry->evict_least_recently_used(), 30u);
  EXPECT_EQ(registry->evict_least_recently_used(), 0u) << "nothing left";
  ResidentHandle second = device.keep(registry, a, 30);  // within the budget again: uploaded anew
  EXPECT_NE(registry->find(a).device, nullptr);
  EXPECT_EQ(device.used, 30u);
  first.reset();
  EXPECT_NE(registry->find(a).device, nullptr) << "the second handle holds the new copy";
  second.reset();
  EXPECT_EQ(device.used, 0u);
  EXPECT_EQ(registry->count(), 0u);
}

TEST(CpuBackend, KeepsNothingResidentAndUploadsNothing) {
  const auto cpu = make_cpu_backend();
  const Matrix<float> a(5, 3, 1.0f);
  const ResidentHandle h = cpu->keep_resident(a);
  EXPECT_FALSE(h.active());
  EXPECT_EQ(cpu->upload_bytes(), 0u);
}

}  // namespace
}  // namespace oodbench
