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
  const ResidentKey key = resident_key(m);
  if (!registry->retain(key)) registry->add(key, std::move(copy.owner), copy.device, m.data.size() * sizeof(float));
  return resident_handle(registry, key);
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

TEST(ResidencyRegistry, ARacingAddJoinsTheFirstCopy) {
  const auto registry = std::make_shared<ResidencyRegistry>();
  const Matrix<float> a(2, 2, 1.0f);
  FakeCopy first, second;
  const ResidentKey key = resident_key(a);
  registry->add(key, std::move(first.owner), first.device, 16);
  registry->add(key, std::move(second.owner), second.device, 16);  // uploaded meanwhile by another thread
  EXPECT_FALSE(second.alive()) << "the second copy is dropped";
  EXPECT_EQ(registry->find(a).device, first.device);
  registry->release(key);
  EXPECT_TRUE(first.alive()) << "both adds hold a handle";
  registry->release(key);
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

TEST(CpuBackend, KeepsNothingResidentAndUploadsNothing) {
  const auto cpu = make_cpu_backend();
  const Matrix<float> a(5, 3, 1.0f);
  const ResidentHandle h = cpu->keep_resident(a);
  EXPECT_FALSE(h.active());
  EXPECT_EQ(cpu->upload_bytes(), 0u);
}

}  // namespace
}  // namespace oodbench
