#include "harness/sweep/validate.h"

#include <set>
#include <sstream>

#include "harness/detectors/detector.h"
#include "harness/sweep/dataset.h"
#include "kernels/error.h"

namespace oodbench {

std::vector<nlohmann::json> validate_sweep(const SweepConfig& config, const Backend& backend) {
  std::vector<std::string> faults;
  std::set<std::string> seen;  // grid variants of one detector share their needs: report each once
  std::vector<nlohmann::json> inputs;
  for (const DatasetConfig& dataset : config.datasets) {
    try {
      inputs.push_back(load_dataset(dataset, config.source, backend).inputs);  // one dataset in memory at a time
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
    }
  }
  if (faults.empty()) return inputs;
  std::string message = std::to_string(faults.size()) + (faults.size() == 1 ? " problem" : " problems") + " in " +
                        config.source + "; nothing was run:";
  for (const std::string& f : faults) message += "\n  " + f;
  throw InputError(message);
}

}  // namespace oodbench
