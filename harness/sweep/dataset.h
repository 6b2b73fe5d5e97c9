// The data of one sweep dataset in memory: the fit context over ID train (shared fits are cached there, so the probe,
// covariances and autoencoders are made once per dataset and seed) and every test set, checked against each other,
// with the content hash of every array it read.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/fit/fit_context.h"
#include "harness/sweep/config.h"

namespace oodbench {

struct LoadedDataset {
  FitContext context;
  Matrix<float> test;
  std::vector<Matrix<float>> ood;  ///< in the order of DatasetConfig::ood
  nlohmann::json inputs;           ///< per input ("train", "test", "ood/<name>", ...): {"array", "hash"}
  /// The files of precomputed scores (methods.h), by variant label: the ID test set's scores, then each OOD set's.
  std::map<std::string, std::vector<std::vector<double>>> precomputed;
  /// Subgroup labels (as text) of the ID test rows, and of each OOD set's rows; empty where the config gives none.
  std::vector<std::string> test_groups;
  std::vector<std::vector<std::string>> ood_groups;  ///< in the order of DatasetConfig::ood
  /// Class labels of the ID test rows (empty when the config gives none), and, once a cell has computed it, whether
  /// the head classifies each row correctly.
  std::vector<std::int32_t> test_labels;
  std::optional<std::vector<bool>> test_correct;
  /// Class labels of each OOD set's rows (only csid sets have any; empty elsewhere), and, once a cell has computed
  /// them, whether the head classifies each row correctly (in the order of DatasetConfig::ood).
  std::vector<std::vector<std::int32_t>> ood_labels;
  std::vector<std::optional<std::vector<bool>>> ood_correct;
  /// The device copies of `test` and of every OOD set while the dataset is in memory (keep_dataset_resident); last,
  /// so that they go before the arrays they copy.
  std::vector<ResidentHandle> resident;
};

/// Inputs named "scores/<label>/<set>" are the files of the `scores` variant labelled `label`: that variant's inputs,
/// not the dataset's (plan.cpp keeps them out of the dataset's identity and puts them into the variant's cells').
inline constexpr std::string_view kPrecomputedInputs = "scores/";
inline std::string precomputed_input_prefix(const std::string& label) {
  return std::string(kPrecomputedInputs) + label + "/";
}

/// Loads and checks every array of `config` (files and keys exist, finite values, widths, labels, an OOD set
/// identical to the ID test set). Every fault found is reported at once: one InputError whose lines each name the
/// config file, the JSON Pointer of the array and what is wrong.
LoadedDataset load_dataset(const DatasetConfig& config, const std::string& config_source, const Backend& backend);

/// Keeps the dataset's arrays on the backend's device for as long as `data` lives, so that each crosses the bus once
/// and not once per detector: the fit context's (FitContext::keep_resident) and the ID test and OOD sets. Each array
/// that does not fit the device's memory budget is uploaded per call instead, as without this; the CPU keeps nothing.
void keep_dataset_resident(LoadedDataset& data);

}  // namespace oodbench
