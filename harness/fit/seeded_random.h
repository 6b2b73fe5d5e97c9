// A deterministic generator (splitmix64): the same seed gives the same autoencoder weights, batch orders, bootstrap
// resamples and random projections (kpca's random Fourier features, weiper's perturbed heads) everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace oodbench {

class SeededRandom {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  /// Uniform in [0, 1) with 24 random bits: exact in float32.
  float uniform();
  /// Uniform in [0, 1) with 53 random bits: every double of the form k / 2^53.
  double uniform_double();
  /// Standard normal, by the Box-Muller transform of two uniform_double() draws (the cosine branch only, so one
  /// draw is always two steps of the generator).
  double normal();
  /// Uniform in 0..n-1, by a 128-bit multiply of next() (Lemire's mapping, no modulo).
  std::size_t below(std::size_t n);
  /// A uniformly random permutation of 0..n-1 (Fisher-Yates).
  std::vector<std::uint32_t> permutation(std::size_t n);

 private:
  std::uint64_t state_;
};

}  // namespace oodbench
