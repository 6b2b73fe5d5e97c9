// Training the MaRS autoencoder (issue 4's defaults, every one a parameter): PyTorch nn.Linear initialisation from
// the seed, MSE, Adam, mini-batches shuffled each epoch from the seed, optional early stopping on ID validation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/fit/seeded_random.h"
#include "harness/fit/standardize.h"
#include "kernels/backend.h"

namespace oodbench {

enum class Preprocessing { raw, standardize, l2 };

struct AutoencoderConfig {
  std::size_t hidden = 0;      ///< h; 0 means D / 2
  std::size_t bottleneck = 0;  ///< b; 0 means min(128, D / 4)
  std::size_t epochs = 50;
  std::size_t batch = 256;
  AdamSettings adam;
  std::uint64_t seed = 0;
  Preprocessing preprocessing = Preprocessing::raw;
  std::size_t patience = 0;    ///< early stopping: epochs without a better validation loss; 0 = off

  /// A stable description, used to share one trained autoencoder between detectors asking for the same one.
  std::string key() const;
  /// This config with seed 0: configs with the same seedless().key() train together in train_autoencoders.
  AutoencoderConfig seedless() const;
};

/// A trained autoencoder together with the input preprocessing it was trained on.
struct Autoencoder {
  AutoencoderParams<float> params;
  Preprocessing preprocessing = Preprocessing::raw;
  Standardization standardization;  ///< for Preprocessing::standardize
  std::vector<double> epoch_losses;  ///< mean training loss per epoch
  std::size_t best_epoch = 0;

  /// Preprocessed input, as the autoencoder sees it.
  Matrix<float> prepare(const Matrix<float>& x) const;
  /// r = prepare(x) - reconstruction, one residual row per input row.
  Matrix<float> residuals(const Matrix<float>& x, const Backend& backend) const;
};

/// What the first steps of training did, for checking against an independent implementation.
struct TrainingTrace {
  AutoencoderParams<float> initial;
  std::vector<std::uint32_t> order;  ///< the rows of every epoch, concatenated
  std::vector<double> losses;        ///< every step's loss
};

/// Trains on `train` (rows = samples); `validation` is needed for early stopping.
Autoencoder train_autoencoder(const Matrix<float>& train, const Matrix<float>* validation,
                              const AutoencoderConfig& config, const Backend& backend, TrainingTrace* trace = nullptr);

/// One autoencoder per config, each identical to train_autoencoder(train, validation, config, backend), bit for bit
/// (Backend::autoencoder_trainers gives each member its own bits): configs that differ in their seed only train
/// together (one epoch of every seed at a time; a seed that stops early drops out), in parts of at most
/// autoencoder_group_size seeds, so that memory is bounded whatever the number of seeds.
std::vector<Autoencoder> train_autoencoders(const Matrix<float>& train, const Matrix<float>* validation,
                                            std::span<const AutoencoderConfig> configs, const Backend& backend);

/// The most memory one seed takes while it trains in a group, in bytes, for inputs d wide, hidden width h,
/// bottleneck b and mini-batches of `batch` rows: seven copies of its parameters (the trainer's parameters, gradients
/// and Adam's two moments, the initial ones it starts from, the best ones early stopping keeps and those read back to
/// validate; on the GPU the first four are on the device) and one mini-batch's activations and deltas. The rows
/// themselves are the group's, once.
std::size_t autoencoder_member_bytes(std::size_t d, std::size_t h, std::size_t b, std::size_t batch);

/// The budget of one group's training: OODBENCH_AUTOENCODER_GROUP_BYTES when set (an InputError when it is not a
/// number), else 1 GiB.
std::size_t autoencoder_group_bytes();

/// How many seeds of `config` (on `rows` x `cols` inputs) train together: as many as autoencoder_group_bytes() holds
/// at autoencoder_member_bytes each, and at least one. A seed's results do not depend on it.
std::size_t autoencoder_group_size(std::size_t rows, std::size_t cols, const AutoencoderConfig& config);

/// All parameters as named .npy members ("w0".."w3", "b0".."b3"), for write_npz.
std::vector<std::pair<std::string, std::vector<std::byte>>> encode_params(const AutoencoderParams<float>& p);

}  // namespace oodbench
