// Validation of a sweep before any cell runs and before its output folder exists: every array of every dataset is
// read and checked (files and keys, finite values, widths, labels, head), and every detector's needs (labels, head,
// validation features) and data-dependent parameter limits (knn's k <= train rows, ViM's principal_dims < D) are
// checked against every dataset. All faults are reported in one pass.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "harness/sweep/config.h"
#include "kernels/backend.h"

namespace oodbench {

/// The content hashes of each dataset's inputs (LoadedDataset::inputs, in config order), for the cell ids. Throws
/// one InputError listing every fault, each naming the config file and JSON Pointer, when there is any.
std::vector<nlohmann::json> validate_sweep(const SweepConfig& config, const Backend& backend);

}  // namespace oodbench
