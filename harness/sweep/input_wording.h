// How a sweep config tells its user to give a fit's inputs: the config keys its messages name for a missing input or
// labels to remap. The layers below take the wording from their caller; the command line (cli/fit_inputs.h) and the
// Python module word their own options and arguments.
#pragma once

#include <string>

#include "harness/fit/fit_input_error.h"

namespace oodbench {

/// How a config asks for remapped labels.
inline const std::string kRemapLabelsKey = "\"remap_labels\": true";

/// The config keys that give each input a detector may need.
inline FitInputAdvice config_input_advice() {
  return {.labels = "train.labels",
          .fit_labels = "val.labels or train.labels",
          .head = "head.weights/bias",
          .validation = "val.features"};
}

}  // namespace oodbench
