// Random inputs shared by the backend tests.
#pragma once

#include <memory>
#include <random>
#include <span>
#include <vector>

#include "kernels/backend.h"
#include "kernels/matrix.h"

namespace oodbench::test {

/// Quarter-integers in [-5, 5]: many equal keys, to test that sorts keep ties in input order.
inline std::vector<double> random_keys_with_ties(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> value(-20, 20);
  std::vector<double> keys(n);
  for (auto& k : keys) k = value(rng) * 0.25;
  return keys;
}

/// Standard normal values, rows x cols.
inline Matrix<float> gaussian(std::size_t rows, std::size_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  Matrix<float> m(rows, cols);
  for (float& v : m.data) v = normal(rng);
  return m;
}

/// One autoencoder's trainer: a group of one member (Backend::autoencoder_trainers).
inline std::unique_ptr<AutoencoderTrainers> trainer_of(const Backend& backend, const AutoencoderParams<float>& initial,
                                                       const Matrix<float>& x, std::size_t batch,
                                                       const AdamSettings& adam = {}) {
  return backend.autoencoder_trainers(std::span(&initial, 1), x, batch, adam);
}

/// One epoch of a one-member trainer: its step losses.
inline std::vector<double> epoch_of(AutoencoderTrainers& trainer, const std::vector<std::uint32_t>& order) {
  return trainer.epoch(std::vector<std::vector<std::uint32_t>>{order}).front();
}

}  // namespace oodbench::test
