#include "harness/sweep/methods.h"

#include <algorithm>

#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {

const DetectorInfo& precomputed_scores_info() {
  static const DetectorInfo info{
      .name = std::string(kPrecomputedScores),
      .summary = "s = precomputed scores read from one file per test set (higher = more OOD)",
      .reference = "docs/methods.md#scores",
      .params = {{"files", "",
                 "score file per set: a path with {set} (\"test\" or an OOD set name), {modality}, {backbone}; "
                 "relative to data_root",
                 {}}},
  };
  return info;
}

std::vector<const DetectorInfo*> all_methods() {
  std::vector<const DetectorInfo*> out{&precomputed_scores_info()};
  for (const DetectorEntry* entry : all_detectors()) out.push_back(&entry->info);
  std::sort(out.begin(), out.end(), [](const DetectorInfo* a, const DetectorInfo* b) { return a->name < b->name; });
  return out;
}

const DetectorInfo& find_method(std::string_view name) {
  if (name == kPrecomputedScores) return precomputed_scores_info();
  if (const DetectorEntry* entry = registered_detector(name)) return entry->info;
  throw InputError("unknown detector '" + std::string(name) + "' (known: " +
                   join(all_methods(), ", ", [](const DetectorInfo* info) { return info->name; }) + ")");
}

nlohmann::json methods_json() {
  nlohmann::json out = nlohmann::json::array();
  for (const DetectorInfo* info : all_methods()) out.push_back(describe_detector(*info));
  return out;
}

const DetectorEntry& find_detector_to_fit(std::string_view name, const nlohmann::json& params) {
  if (const DetectorEntry* entry = registered_detector(name)) return *entry;
  find_method(name);  // not a method at all: the message lists every one
  if (!params.is_object() || params.value("files", nlohmann::json("")) == "")
    throw InputError("detector 'scores' needs score files (params.files, one per set), which only a sweep config can "
                     "name; to evaluate score files directly use `oodbench eval`");
  throw InputError("scores: precomputed scores are read by sweeps (a config's detectors, with params.files); to "
                   "evaluate score files directly use `oodbench eval --id ID.npy --ood OOD.npy`");
}

void add_user_detector(DetectorInfo info, DetectorFactory make) {
  if (info.name == kPrecomputedScores)
    throw InputError("detector name '" + info.name + "' is already taken by a built-in detector; choose another name");
  add_runtime_detector(std::move(info), std::move(make));
}

}  // namespace oodbench
