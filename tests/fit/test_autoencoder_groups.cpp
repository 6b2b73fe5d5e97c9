// A sweep's seeds train in groups whose memory stays within a budget (autoencoder_group_size): 200 or 100k seeds of
// one config never hold their training state at once. Each seed still trains bit for bit as alone, and the FitContext
// asks for one group at a time.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "harness/fit/autoencoder_fit.h"
#include "harness/fit/fit_context.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/error.h"
#include "tests/kernels/test_inputs.h"

namespace oodbench {
namespace {

struct GroupBudget {
  explicit GroupBudget(const std::string& bytes) { setenv("OODBENCH_AUTOENCODER_GROUP_BYTES", bytes.c_str(), 1); }
  ~GroupBudget() { unsetenv("OODBENCH_AUTOENCODER_GROUP_BYTES"); }
};

AutoencoderConfig config_of(std::uint64_t seed) {
  AutoencoderConfig c;
  c.hidden = 32;
  c.bottleneck = 8;
  c.epochs = 2;
  c.batch = 64;
  c.seed = seed;
  return c;
}

/// What the fit layer asks of the backend: the members of each trainer.
class CountingBackend final : public CpuBackend {
 public:
  std::unique_ptr<AutoencoderTrainers> autoencoder_trainers(std::span<const AutoencoderParams<float>> initial,
                                                            const Matrix<float>& x, std::size_t batch,
                                                            const AdamSettings& adam) const override {
    members.push_back(initial.size());
    return CpuBackend::autoencoder_trainers(initial, x, batch, adam);
  }
  mutable std::vector<std::size_t> members;
};

TEST(AutoencoderGroups, TheMemberBytesAreSevenParameterCopiesAndOneBatch) {
  // The bundled 1280-wide embeddings with the defaults: h = 640, b = 128, batch 256.
  const std::size_t parameters = 1280 * 640 + 640 + 640 * 128 + 128 + 128 * 640 + 640 + 640 * 1280 + 1280;
  const std::size_t batch = 256 * (1280 + 640 + 128 + 640 + 1280) + 2 * 256 * 1280;
  EXPECT_EQ(autoencoder_member_bytes(1280, 640, 128, 256), 4 * (7 * parameters + batch));
  AutoencoderConfig defaults;
  EXPECT_EQ(autoencoder_group_size(4000, 1280, defaults), (std::size_t{1} << 30) / (4 * (7 * parameters + batch)))
      << "1 GiB by default: 18 seeds of 54.6 MiB";
  const std::size_t one = autoencoder_member_bytes(1280, 640, 128, 256);
  {
    const GroupBudget budget(std::to_string(3 * one + 1));
    EXPECT_EQ(autoencoder_group_size(4000, 1280, defaults), 3u);
  }
  {
    const GroupBudget budget("1");
    EXPECT_EQ(autoencoder_group_size(4000, 1280, defaults), 1u) << "at least one seed";
  }
  {
    const GroupBudget budget("lots");
    EXPECT_THROW(autoencoder_group_size(4000, 1280, defaults), InputError);
  }
  EXPECT_EQ(autoencoder_member_bytes(1280, 640, 128, 100), autoencoder_member_bytes(1280, 640, 128, 256) -
                                                                  4 * 156 * (1280 + 640 + 128 + 640 + 1280 + 2 * 1280))
      << "the batch's share is per row";
}

TEST(AutoencoderGroups, ManySeedsTrainInPartsWithinTheBudgetEachAsAlone) {
  const CountingBackend backend;
  const auto train = test::gaussian(300, 48, 1);
  std::vector<AutoencoderConfig> configs;
  for (std::uint64_t seed = 0; seed < 7; ++seed) configs.push_back(config_of(seed));
  const std::size_t one = autoencoder_member_bytes(48, 32, 8, 64);
  std::vector<Autoencoder> trained;
  {
    const GroupBudget budget(std::to_string(3 * one));
    ASSERT_EQ(autoencoder_group_size(300, 48, configs.front()), 3u);
    trained = train_autoencoders(train, nullptr, configs, backend);
  }
  EXPECT_EQ(backend.members, (std::vector<std::size_t>{3, 3, 1})) << "never more than 3 seeds' state at once";
  const auto cpu = make_cpu_backend();
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const Autoencoder alone = train_autoencoder(train, nullptr, configs[i], *cpu);
    EXPECT_EQ(trained[i].epoch_losses, alone.epoch_losses) << "seed " << i;
    for (std::size_t k = 0; k < AutoencoderParams<float>::kLayers; ++k)
      EXPECT_EQ(trained[i].params.weight[k].data, alone.params.weight[k].data) << "seed " << i << ", layer " << k;
  }
}

TEST(AutoencoderGroups, TheFitContextTrainsOneGroupPerRequest) {
  const CountingBackend backend;
  FitContext ctx(backend, test::gaussian(300, 48, 2), {});
  std::vector<AutoencoderConfig> announced;
  for (std::uint64_t seed = 0; seed < 7; ++seed) announced.push_back(config_of(seed));
  ctx.expect_autoencoders(announced);
  const GroupBudget budget(std::to_string(3 * autoencoder_member_bytes(48, 32, 8, 64)));
  ctx.autoencoder(config_of(4));
  EXPECT_EQ(backend.members, std::vector<std::size_t>{3}) << "seed 4 and two announced seeds";
  for (std::uint64_t seed = 0; seed < 7; ++seed) ctx.autoencoder(config_of(seed));
  EXPECT_EQ(backend.members, (std::vector<std::size_t>{3, 3, 1})) << "every seed trained once, a group at a time";
}

}  // namespace
}  // namespace oodbench
