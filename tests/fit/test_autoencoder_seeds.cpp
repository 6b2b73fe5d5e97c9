// Autoencoders of several seeds trained together (train_autoencoders, Backend::autoencoder_trainers, the FitContext's
// announced seeds) against each seed trained alone: on the CPU every parameter and every loss must be identical, bit
// for bit, whatever the thread count, the preprocessing or early stopping.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>
#include <string>

#include "harness/fit/autoencoder_fit.h"
#include "harness/fit/fit_context.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/error.h"
#include "tests/kernels/test_inputs.h"

namespace oodbench {
namespace {

/// Rows with some structure (a few latent directions plus noise), so training makes progress and early stopping
/// has something to stop on. 256 columns make the products big enough for OpenBLAS to use several threads alone.
Matrix<float> structured(std::size_t rows, std::size_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  Matrix<float> basis(4, cols);
  for (float& v : basis.data) v = normal(rng);
  Matrix<float> x(rows, cols);
  for (std::size_t i = 0; i < rows; ++i) {
    float z[4];
    for (float& v : z) v = normal(rng);
    for (std::size_t j = 0; j < cols; ++j)
      x.row(i)[j] = 2.0f + z[0] * basis.row(0)[j] + z[1] * basis.row(1)[j] + z[2] * basis.row(2)[j] +
                    z[3] * basis.row(3)[j] + 0.3f * normal(rng);
  }
  return x;
}

AutoencoderConfig small_config(std::uint64_t seed, Preprocessing prep = Preprocessing::raw) {
  AutoencoderConfig c;
  c.hidden = 128;
  c.bottleneck = 32;
  c.epochs = 4;
  c.batch = 128;  // 600 rows: 5 steps per epoch, the last one short
  c.seed = seed;
  c.preprocessing = prep;
  return c;
}

void expect_identical(const Autoencoder& batched, const Autoencoder& alone, const std::string& what) {
  EXPECT_EQ(batched.epoch_losses, alone.epoch_losses) << what;
  EXPECT_EQ(batched.best_epoch, alone.best_epoch) << what;
  EXPECT_EQ(batched.preprocessing, alone.preprocessing) << what;
  EXPECT_EQ(batched.standardization.mean, alone.standardization.mean) << what;
  for (std::size_t k = 0; k < AutoencoderParams<float>::kLayers; ++k) {
    EXPECT_EQ(batched.params.weight[k].data, alone.params.weight[k].data) << what << ", layer " << k;
    EXPECT_EQ(batched.params.bias[k], alone.params.bias[k]) << what << ", layer " << k;
  }
}

class AutoencoderSeeds : public ::testing::Test {
 protected:
  std::unique_ptr<Backend> cpu_ = make_cpu_backend();
  Matrix<float> train_ = structured(600, 256, 1);
  Matrix<float> val_ = structured(200, 256, 2);
};

TEST_F(AutoencoderSeeds, BatchedSeedsEqualEachSeedAloneForEveryPreprocessing) {
  for (Preprocessing prep : {Preprocessing::raw, Preprocessing::standardize, Preprocessing::l2}) {
    const std::vector<AutoencoderConfig> configs = {small_config(0, prep), small_config(1, prep), small_config(7, prep)};
    const std::vector<Autoencoder> batched = train_autoencoders(train_, &val_, configs, *cpu_);
    ASSERT_EQ(batched.size(), configs.size());
    for (std::size_t i = 0; i < configs.size(); ++i) {
      const std::string what = "preprocessing " + std::to_string(static_cast<int>(prep)) + ", seed " +
                                std::to_string(configs[i].seed);
      expect_identical(batched[i], train_autoencoder(train_, &val_, configs[i], *cpu_), what);
      ASSERT_EQ(batched[i].epoch_losses.size(), 4u) << what;
    }
    EXPECT_NE(batched[0].params.weight[0].data, batched[1].params.weight[0].data) << "seeds must differ";
  }
}

TEST_F(AutoencoderSeeds, EarlyStoppedSeedsDropOutAndStillEqualTheirAloneRuns) {
  std::vector<AutoencoderConfig> configs;
  for (std::uint64_t seed : {0u, 1u, 2u, 3u}) {
    AutoencoderConfig c = small_config(seed);
    c.epochs = 12;
    c.patience = 1;
    c.adam.lr = 3e-2;  // large steps: the validation loss stalls early, at different epochs for different seeds
    configs.push_back(c);
  }
  const std::vector<Autoencoder> batched = train_autoencoders(train_, &val_, configs, *cpu_);
  std::set<std::size_t> epochs_run;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    expect_identical(batched[i], train_autoencoder(train_, &val_, configs[i], *cpu_), "seed " + std::to_string(i));
    epochs_run.insert(batched[i].epoch_losses.size());
  }
  EXPECT_LT(*epochs_run.begin(), 12u) << "no seed stopped early: the test does not exercise dropping out";
  EXPECT_GT(epochs_run.size(), 1u) << "every seed stopped at the same epoch: the test does not exercise one batch "
                                      "going on without a member";
}

TEST_F(AutoencoderSeeds, MixedConfigsComeBackInOrderEachAsAlone) {
  AutoencoderConfig wide = small_config(5);
  wide.hidden = 64;
  const std::vector<AutoencoderConfig> configs = {small_config(3, Preprocessing::l2), wide, small_config(4),
                                                  small_config(2, Preprocessing::l2), small_config(3)};
  const std::vector<Autoencoder> batched = train_autoencoders(train_, &val_, configs, *cpu_);
  ASSERT_EQ(batched.size(), configs.size());
  for (std::size_t i = 0; i < configs.size(); ++i)
    expect_identical(batched[i], train_autoencoder(train_, &val_, configs[i], *cpu_), "config " + std::to_string(i));
}

/// Counts what the fit layer asks of the backend, to see the announced seeds trained in one batch.
class CountingBackend final : public CpuBackend {
 public:
  std::unique_ptr<AutoencoderTrainers> autoencoder_trainers(std::span<const AutoencoderParams<float>> initial,
                                                            const Matrix<float>& x, std::size_t batch,
                                                            const AdamSettings& adam) const override {
    batch_sizes.push_back(initial.size());
    return CpuBackend::autoencoder_trainers(initial, x, batch, adam);
  }
  mutable std::vector<std::size_t> batch_sizes;
};

TEST_F(AutoencoderSeeds, FitContextTrainsAnnouncedSeedsTogetherOnFirstRequest) {
  CountingBackend backend;
  FitContext ctx(backend, train_, {});
  const std::vector<AutoencoderConfig> announced = {small_config(0), small_config(1), small_config(2),
                                                    small_config(0, Preprocessing::l2)};
  ctx.expect_autoencoders(announced);
  const Autoencoder& first = ctx.autoencoder(small_config(1));
  EXPECT_EQ(backend.batch_sizes, std::vector<std::size_t>{3}) << "seeds 1, 0 and 2 of the raw config, one batch";
  EXPECT_EQ(&ctx.autoencoder(small_config(1)), &first) << "a second request trains nothing";
  const Autoencoder& zero = ctx.autoencoder(small_config(0));
  ctx.autoencoder(small_config(2));
  EXPECT_EQ(backend.batch_sizes, std::vector<std::size_t>{3}) << "seeds 0 and 2 were trained with seed 1";
  ctx.autoencoder(small_config(0, Preprocessing::l2));
  ctx.autoencoder(small_config(9));  // never announced: trained alone when asked for
  EXPECT_EQ(backend.batch_sizes, (std::vector<std::size_t>{3, 1, 1}));
  expect_identical(first, train_autoencoder(train_, nullptr, small_config(1), *cpu_), "seed 1");
  expect_identical(zero, train_autoencoder(train_, nullptr, small_config(0), *cpu_), "seed 0");
}

TEST_F(AutoencoderSeeds, EarlyStoppingWithoutValidationIsAnInputError) {
  AutoencoderConfig c = small_config(0);
  c.patience = 2;
  const std::vector<AutoencoderConfig> configs = {c};
  EXPECT_THROW(train_autoencoders(train_, nullptr, configs, *cpu_), InputError);
}

// Seeds in groups within a memory budget (autoencoder_group_size): 200 or 100k seeds of one config never hold their
// training state at once, each still trains bit for bit as alone, and the FitContext asks for one group at a time.

struct GroupBudget {
  explicit GroupBudget(const std::string& bytes) { setenv("OODBENCH_AUTOENCODER_GROUP_BYTES", bytes.c_str(), 1); }
  ~GroupBudget() { unsetenv("OODBENCH_AUTOENCODER_GROUP_BYTES"); }
};

AutoencoderConfig group_config(std::uint64_t seed) {
  AutoencoderConfig c;
  c.hidden = 32;
  c.bottleneck = 8;
  c.epochs = 2;
  c.batch = 64;
  c.seed = seed;
  return c;
}

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
  CountingBackend backend;
  const auto train = test::gaussian(300, 48, 1);
  std::vector<AutoencoderConfig> configs;
  for (std::uint64_t seed = 0; seed < 7; ++seed) configs.push_back(group_config(seed));
  const std::size_t one = autoencoder_member_bytes(48, 32, 8, 64);
  std::vector<Autoencoder> trained;
  {
    const GroupBudget budget(std::to_string(3 * one));
    ASSERT_EQ(autoencoder_group_size(300, 48, configs.front()), 3u);
    trained = train_autoencoders(train, nullptr, configs, backend);
  }
  EXPECT_EQ(backend.batch_sizes, (std::vector<std::size_t>{3, 3, 1})) << "never more than 3 seeds' state at once";
  const auto cpu = make_cpu_backend();
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const Autoencoder alone = train_autoencoder(train, nullptr, configs[i], *cpu);
    EXPECT_EQ(trained[i].epoch_losses, alone.epoch_losses) << "seed " << i;
    for (std::size_t k = 0; k < AutoencoderParams<float>::kLayers; ++k)
      EXPECT_EQ(trained[i].params.weight[k].data, alone.params.weight[k].data) << "seed " << i << ", layer " << k;
  }
}

TEST(AutoencoderGroups, TheFitContextTrainsOneGroupPerRequest) {
  CountingBackend backend;
  FitContext ctx(backend, test::gaussian(300, 48, 2), {});
  std::vector<AutoencoderConfig> announced;
  for (std::uint64_t seed = 0; seed < 7; ++seed) announced.push_back(group_config(seed));
  ctx.expect_autoencoders(announced);
  const GroupBudget budget(std::to_string(3 * autoencoder_member_bytes(48, 32, 8, 64)));
  ctx.autoencoder(group_config(4));
  EXPECT_EQ(backend.batch_sizes, std::vector<std::size_t>{3}) << "seed 4 and two announced seeds";
  for (std::uint64_t seed = 0; seed < 7; ++seed) ctx.autoencoder(group_config(seed));
  EXPECT_EQ(backend.batch_sizes, (std::vector<std::size_t>{3, 3, 1})) << "every seed trained once, a group at a time";
}

}  // namespace
}  // namespace oodbench
