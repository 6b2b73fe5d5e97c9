#include "harness/sweep/validate.h"

#include <optional>
#include <set>
#include <sstream>

#include "harness/detectors/detector.h"
#include "harness/sweep/dataset.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

/// What `variant`'s parameters cannot be on data of `shape` (DetectorInfo::limits).
std::vector<ParamLimit> param_limits(const DetectorVariant& variant, const DataShape& shape) {
  const DetectorInfo& info = find_detector(variant.detector).info;
  if (!info.limits) return {};
  return info.limits(Params::resolve(info, variant.params, variant.pointer + "/params"), shape);
}

/// The JSON Pointer of `variant`'s value of `param` in the config: the grid element it came from, the scalar, or,
/// for a default, the detector entry.
std::string param_pointer(const SweepConfig& config, const DetectorVariant& variant, const std::string& param) {
  const std::string pointer = variant.pointer + "/params/" + param;
  const nlohmann::json::json_pointer at(pointer);
  if (!config.document.contains(at)) return variant.pointer;
  const nlohmann::json& given = config.document.at(at);
  if (!given.is_array()) return pointer;
  for (std::size_t i = 0; i < given.size(); ++i)
    if (given[i] == variant.params.value(param, nlohmann::json())) return pointer + "/" + std::to_string(i);
  return pointer;
}

}  // namespace

std::vector<nlohmann::json> validate_sweep(const SweepConfig& config, const Backend& backend) {
  std::vector<std::string> faults;
  std::set<std::string> seen;  // grid variants of one detector share their needs: report each once
  std::vector<nlohmann::json> inputs;
  for (const DatasetConfig& dataset : config.datasets) {
    std::optional<DataShape> shape;  // the train and val shapes, from the arrays' headers where deferred
    try {
      LoadedDataset data = load_dataset(dataset, config.source, backend);  // one dataset in memory at a time
      shape = data_shape(data.context);
      inputs.push_back(std::move(data.inputs));
    } catch (const InputError& e) {  // one line per fault of the dataset
      std::istringstream lines(e.what());
      for (std::string line; std::getline(lines, line);) faults.push_back(line);
      inputs.emplace_back();
    }
    const DataOffer offer{!dataset.train_labels.empty(), !dataset.head_weights.empty(), !dataset.val.empty(),
                          !dataset.val_labels.empty()};
    for (const DetectorVariant& variant : config.detectors) {
      if (variant.skippable) continue;  // "detectors": "all" skips it on this dataset instead (skipped_lines)
      for (const std::string& need : unmet_needs(find_detector(variant.detector).info, variant.params, offer)) {
        const std::string line = config.source + ": " + variant.pointer + ": " + need + ", which dataset " +
                                 dataset.name() + " (" + dataset.pointer + ") lacks";
        if (seen.insert(line).second) faults.push_back(line);
      }
      if (shape) {
        for (const ParamLimit& limit : param_limits(variant, *shape)) {
          const std::string line = config.source + ": " + param_pointer(config, variant, limit.param) + ": " +
                                   variant.detector + ": " + limit.why + " (dataset " + dataset.name() + ", " +
                                   dataset.pointer + ")";
          if (seen.insert(line).second) faults.push_back(line);
        }
      }
    }
  }
  if (faults.empty()) return inputs;
  std::string message = std::to_string(faults.size()) + (faults.size() == 1 ? " problem" : " problems") + " in " +
                        config.source + "; nothing was run:";
  for (const std::string& f : faults) message += "\n  " + f;
  throw InputError(message);
}

}  // namespace oodbench
