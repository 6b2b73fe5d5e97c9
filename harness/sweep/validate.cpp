#include "harness/sweep/validate.h"

#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "harness/detectors/detector.h"
#include "harness/sweep/dataset.h"
#include "harness/sweep/file_names.h"
#include "harness/sweep/input_wording.h"
#include "harness/sweep/methods.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

/// What `variant`'s parameters cannot be on data of `shape` (DetectorInfo::limits).
std::vector<ParamLimit> param_limits(const DetectorVariant& variant, const DataShape& shape) {
  const DetectorInfo& info = find_method(variant.detector);
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

/// The report's file names this config makes, each with what makes it, and a fault for every name two things make:
/// their files would replace each other. Tables are named by dataset and metric (and scale tables by modality), ROC
/// plots by dataset and OOD set, histograms and spectra by dataset and detector label (labels that clean alike are
/// told apart already: label_file_parts).
std::vector<std::string> file_name_clashes(const SweepConfig& config) {
  std::set<std::string> labels;
  for (const DetectorVariant& v : config.detectors) labels.insert(v.label);
  const std::map<std::string, std::string> label_parts = label_file_parts(labels);
  std::map<std::string, std::string> made;  // file name (without the kind's fixed prefix/suffix) -> what made it
  std::vector<std::string> faults;
  const auto add = [&](const std::string& name, const std::string& what) {
    const auto [at, fresh] = made.emplace(name, what);
    if (!fresh && at->second != what)
      faults.push_back(config.source + ": " + at->second + " and " + what + " both give the report file name " +
                       name + ", so one would replace the other; rename one of them");
  };
  std::map<std::string, int> backbones;  // a modality with several has a scale table
  for (const DatasetConfig& d : config.datasets) ++backbones[d.modality];
  std::set<std::string> modalities;
  for (const DatasetConfig& d : config.datasets) {
    const std::string dataset = file_name_part(d.name());
    add("tables/" + dataset + "_<metric>", "dataset \"" + d.name() + "\" (" + d.pointer + ")");
    if (backbones[d.modality] > 1 && modalities.insert(d.modality).second)
      add("tables/scale_" + file_name_part(d.modality) + "_<metric>",
          "the scale table of modality \"" + d.modality + "\" (" + d.pointer + "/modality)");
    for (std::size_t j = 0; j < d.ood.size(); ++j)
      add("plots/roc_" + dataset + "_" + file_name_part(d.ood[j].name) + "_p<n>.svg",
          "OOD set \"" + d.ood[j].name + "\" of " + d.name() + " (" + d.pointer + "/ood/" + std::to_string(j) + ")");
    for (const DetectorVariant& v : config.detectors)
      add("plots/hist_" + dataset + "_" + label_parts.at(v.label) + ".svg",
          "detector \"" + v.label + "\" on " + d.name() + " (" + v.pointer + ", " + d.pointer + ")");
  }
  return faults;
}

}  // namespace

std::vector<nlohmann::json> validate_sweep(const SweepConfig& config, const Backend& backend) {
  std::vector<std::string> faults = file_name_clashes(config);  // before any array is read: the config alone
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
      for (const std::string& need : unmet_needs(find_method(variant.detector), variant.params, offer,
                                                     config_input_advice())) {
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
