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

/// One autoencoder per config, each identical to train_autoencoder(train, validation, config, backend) (bit for bit
/// on the CPU): configs that differ in their seed only train together through Backend::autoencoder_trainers (one
/// epoch of every seed at a time; a seed that stops early drops out).
std::vector<Autoencoder> train_autoencoders(const Matrix<float>& train, const Matrix<float>* validation,
                                            std::span<const AutoencoderConfig> configs, const Backend& backend);

/// All parameters as named .npy members ("w0".."w3", "b0".."b3"), for write_npz.
std::vector<std::pair<std::string, std::vector<std::byte>>> encode_params(const AutoencoderParams<float>& p);

}  // namespace oodbench
