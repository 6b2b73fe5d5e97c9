#include "harness/sweep/plan.h"

#include <charconv>
#include <cstdio>

#include "harness/detectors/detector.h"
#include "harness/sweep/dataset.h"
#include "harness/sweep/methods.h"
#include "kernels/error.h"

namespace oodbench {

std::uint64_t fnv1a64(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string fnv1a_hex(const std::string& text) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(fnv1a64(text)));
  return out;
}

namespace {

/// What determines the data a dataset's cells see: the content of every input, and the OOD sets' names, shifts and
/// roles (the tables' columns and what counts as ID). Paths are left out, so moving the data keeps the results.
nlohmann::json dataset_identity(const DatasetConfig& dataset, const nlohmann::json& inputs) {
  nlohmann::json hashes = nlohmann::json::object();
  for (const auto& [name, input] : inputs.items())
    if (!name.starts_with(kPrecomputedInputs)) hashes[name] = input.at("hash");  // their variant's own inputs
  nlohmann::json ood = nlohmann::json::array();
  for (const OodSet& o : dataset.ood) ood.push_back({o.name, o.shift, o.role});
  return {{"modality", dataset.modality}, {"backbone", dataset.backbone}, {"inputs", hashes}, {"ood", ood}};
}

/// The hashes of the score files of the `scores` variant labelled `label`, by set.
nlohmann::json precomputed_hashes(const nlohmann::json& inputs, const std::string& label) {
  const std::string prefix = precomputed_input_prefix(label);
  nlohmann::json hashes = nlohmann::json::object();
  for (const auto& [name, input] : inputs.items())
    if (name.starts_with(prefix)) hashes[name.substr(prefix.size())] = input.at("hash");
  return hashes;
}

}  // namespace

std::vector<Cell> expand_plan(const SweepConfig& config, const std::vector<nlohmann::json>& inputs, DeviceKind device) {
  std::vector<Cell> cells;
  for (std::size_t d = 0; d < config.datasets.size(); ++d) {
    const nlohmann::json dataset = dataset_identity(config.datasets[d], inputs.at(d));
    for (std::size_t v = 0; v < config.detectors.size(); ++v) {
      const DetectorVariant& variant = config.detectors[v];
      if (!skip_reasons(config.datasets[d], variant).empty()) continue;  // "detectors": "all", a need unmet here
      std::vector<std::optional<std::int64_t>> seeds;
      if (variant.seeded) seeds.assign(config.seeds.begin(), config.seeds.end());
      else seeds.emplace_back();
      for (const auto& seed : seeds) {
        Cell cell;
        cell.dataset = d;
        cell.detector = v;
        cell.seed = seed;
        cell.params = variant.params;
        if (seed) cell.params["seed"] = *seed;
        cell.identity = {{"numbers_version", kNumbersVersion},
                         {"dataset", dataset},
                         {"detector", variant.detector},
                         {"label", variant.label},
                         {"params", cell.params},
                         {"device", device == DeviceKind::cuda ? "cuda" : "cpu"},
                         {"precision", config.tf32 ? "tf32" : "fp32"}};
        if (config.keep_scores) cell.identity["keep_scores"] = true;  // so finished cells gain their score files
        if (config.report.select)  // these sets are ranked against ID val, not ID test
          cell.identity["validation_sets"] = config.report.select->on;
        if (variant.precomputed)
          cell.identity["scores"] = precomputed_hashes(inputs.at(d), variant.label);
        const std::string& code = find_method(variant.detector).code_version;
        if (!code.empty()) cell.identity["code"] = code;  // a user-defined detector: its code is an input too
        cell.id = fnv1a_hex(cell.identity.dump());
        cells.push_back(std::move(cell));
      }
    }
  }
  return cells;
}

Shard parse_shard(const std::string& text, const std::string& name) {
  const auto slash = text.find('/');
  Shard s;
  auto number = [&](std::string_view part, std::size_t& out) {
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && end == part.data() + part.size() && !part.empty();
  };
  const std::string_view whole(text);
  if (slash == std::string::npos || !number(whole.substr(0, slash), s.index) ||
      !number(whole.substr(slash + 1), s.count) || s.count == 0 || s.index >= s.count) {
    throw InputError(name + " " + text + ": expected i/N with 0 <= i < N, e.g. 0/4");
  }
  return s;
}

}  // namespace oodbench
