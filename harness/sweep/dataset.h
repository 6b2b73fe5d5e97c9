// The data of one sweep dataset in memory: the fit context over ID train (shared fits are cached there, so the probe,
// covariances and autoencoders are made once per dataset and seed) and every test set, checked against each other.
#pragma once

#include <string>
#include <vector>

#include "harness/fit/fit_context.h"
#include "harness/sweep/config.h"

namespace oodbench {

struct LoadedDataset {
  FitContext context;
  Matrix<float> test;
  std::vector<Matrix<float>> ood;  ///< in the order of DatasetConfig::ood
};

/// Loads and checks every array of `config` (widths, label counts, an OOD set identical to the ID test set).
/// Errors are InputErrors naming the array and where the config names it.
LoadedDataset load_dataset(const DatasetConfig& config, const std::string& config_source, const Backend& backend);

}  // namespace oodbench
