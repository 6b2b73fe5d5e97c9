// What a sweep keeps on the device (FitContext::keep_resident, keep_dataset_resident), seen through a CPU backend
// that records its keep_resident calls in a ResidencyRegistry as the CUDA backend does: which arrays are kept, that
// a replaced array's copy goes before the array, and that everything is released with the dataset. Also that on
// the CPU backend itself keeping a dataset resident changes no score.
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "harness/detectors/detector.h"
#include "harness/sweep/dataset.h"
#include "kernels/cpu/cpu_backend.h"
#include "tests/kernels/test_inputs.h"

namespace oodbench {
namespace {

/// The CPU backend, recording what it is asked to keep: the registry maps each kept matrix to its own storage.
class RecordingBackend final : public CpuBackend {
 public:
  ResidentHandle keep_resident(const Matrix<float>& x) const override {
    if (x.data.empty()) return {};
    return keep_resident_copy(registry, resident_key(x), x.data.size() * sizeof(float), [&] {
      uploaded += x.data.size() * sizeof(float);
      return ResidentCopy{x.data.data(), std::make_shared<int>(0)};
    });
  }
  std::uint64_t upload_bytes() const override { return uploaded; }

  std::shared_ptr<ResidencyRegistry> registry = std::make_shared<ResidencyRegistry>();
  mutable std::uint64_t uploaded = 0;
};

using test::gaussian;

bool kept(const RecordingBackend& backend, const Matrix<float>& m) { return backend.registry->find(m).device != nullptr; }

TEST(FitContextResidency, KeepsTrainValidationAndTheNormalisedTrainOnceMade) {
  RecordingBackend backend;
  {
    FitContext ctx(backend, gaussian(50, 8, 1), {});
    ctx.set_validation(gaussian(20, 8, 2));
    EXPECT_EQ(backend.registry->count(), 0u) << "nothing is kept unless asked";
    ctx.keep_resident();
    EXPECT_TRUE(kept(backend, ctx.train()));
    EXPECT_TRUE(kept(backend, *ctx.validation()));
    EXPECT_EQ(backend.registry->count(), 2u) << "the normalised rows are not made just to be kept";
    const Matrix<float>& normalized = ctx.normalized_train();
    EXPECT_TRUE(kept(backend, normalized));
    ctx.keep_resident();  // again: nothing more
    EXPECT_EQ(backend.registry->count(), 3u);

    const ResidentKey old_validation = resident_key(*ctx.validation());
    ctx.set_validation(gaussian(30, 8, 3));
    EXPECT_TRUE(kept(backend, *ctx.validation()));
    EXPECT_EQ(backend.registry->count(), 3u);
    EXPECT_EQ(backend.registry->find(old_validation).device, nullptr) << "the replaced validation rows' copy is gone";
  }
  EXPECT_EQ(backend.registry->count(), 0u) << "the context releases everything it kept";
}

TEST(FitContextResidency, ValidationSetAfterwardsIsKeptToo) {
  RecordingBackend backend;
  FitContext ctx(backend, gaussian(40, 6, 4), {});
  ctx.keep_resident();
  EXPECT_EQ(backend.registry->count(), 1u);
  ctx.set_validation(gaussian(10, 6, 5));
  EXPECT_TRUE(kept(backend, *ctx.validation()));
}

TEST(DatasetResidency, KeepsEveryArrayUntilTheDatasetGoes) {
  RecordingBackend backend;
  {
    LoadedDataset data{FitContext(backend, gaussian(60, 5, 6), {}), gaussian(20, 5, 7),
                       {gaussian(15, 5, 8), gaussian(25, 5, 9)}, {}, {}, {}, {}, {}, std::nullopt, {}, {}, {}};
    keep_dataset_resident(data);
    EXPECT_TRUE(kept(backend, data.context.train()));
    EXPECT_TRUE(kept(backend, data.test));
    for (const Matrix<float>& o : data.ood) EXPECT_TRUE(kept(backend, o));
    EXPECT_EQ(backend.registry->count(), 4u);
    EXPECT_EQ(backend.upload_bytes(), (60u + 20u + 15u + 25u) * 5u * sizeof(float)) << "each array once";
    LoadedDataset moved = std::move(data);  // moving the dataset keeps the arrays' storage, and so their copies
    EXPECT_TRUE(kept(backend, moved.test));
    EXPECT_EQ(backend.registry->count(), 4u);
  }
  EXPECT_EQ(backend.registry->count(), 0u);
}

TEST(DatasetResidency, ChangesNoScoreOnTheCpu) {
  const auto cpu = make_cpu_backend();
  std::vector<std::int32_t> labels(90);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int32_t>(i % 3);
  const Matrix<float> train = gaussian(90, 12, 10), test = gaussian(40, 12, 11);
  for (const char* name : {"knn", "mahalanobis", "energy", "vim"}) {
    auto scores = [&](bool resident) {
      FitContext ctx(*cpu, train, labels);
      std::vector<ResidentHandle> handles;
      if (resident) {
        ctx.keep_resident();
        handles.push_back(cpu->keep_resident(test));
      }
      return make_fitted_detector(find_detector(name), nlohmann::json::object(), ctx, "test")->score(test, *cpu);
    };
    EXPECT_EQ(scores(true), scores(false)) << name;
  }
  EXPECT_EQ(cpu->upload_bytes(), 0u);
}

}  // namespace
}  // namespace oodbench
