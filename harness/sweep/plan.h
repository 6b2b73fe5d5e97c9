// The plan of a sweep: the grid of a config expanded into independent cells (dataset x detector variant x seed), each
// with a content-addressed id, and the slice of it one shard runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/numbers_version.h"
#include "harness/sweep/config.h"
#include "kernels/backend.h"

namespace oodbench {

/// One unit of work: fit one detector variant on one dataset (with one seed) and score every test set of it.
struct Cell {
  std::string id;                    ///< 16 hex digits: a hash of identity(); the same inputs give the same id
  std::size_t dataset = 0;           ///< index into SweepConfig::datasets
  std::size_t detector = 0;          ///< index into SweepConfig::detectors
  std::optional<std::int64_t> seed;  ///< for seeded detectors only
  nlohmann::json params;             ///< the variant's parameters with the seed filled in
  nlohmann::json identity;           ///< what the cell computes from: input hashes, detector, params, seed, device
                                     ///< class, precision, kNumbersVersion; never file names
};

/// All cells in a fixed order: datasets, then detector variants, then seeds (config order throughout). `inputs` are
/// validate_sweep's content hashes, one per dataset; `device` the backend the cells run on.
std::vector<Cell> expand_plan(const SweepConfig& config, const std::vector<nlohmann::json>& inputs, DeviceKind device);

/// `--shard i/N`: cell k of the plan belongs to shard k mod N, so every shard gets a share of every detector.
struct Shard {
  std::size_t index = 0;
  std::size_t count = 1;
  bool owns(std::size_t position) const { return position % count == index; }
};
/// Parses "i/N" with 0 <= i < N; anything else is an InputError naming `name`, the option or argument that gave it.
Shard parse_shard(const std::string& text, const std::string& name = "shard");

/// FNV-1a 64-bit hash of `text`, and the same as 16 lowercase hex digits.
std::uint64_t fnv1a64(const std::string& text);
std::string fnv1a_hex(const std::string& text);

}  // namespace oodbench
