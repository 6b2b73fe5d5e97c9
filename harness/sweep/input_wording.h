// How the command line and a sweep config tell their user to give a fit's inputs: the wording of their messages
// about a missing input or labels to remap (one text for both, as `oodbench score` and a sweep share their messages).
// The layers below take the wording from their caller; the Python module words its arguments itself.
#pragma once

#include <string>

#include "harness/fit/fit_input_error.h"

namespace oodbench {

/// How the command line and configs ask for remapped labels.
inline const std::string kRemapLabelsOption = "--remap-labels (in a config, \"remap_labels\": true)";

/// The options and config keys that give each input a detector may need.
inline FitInputAdvice command_line_input_advice() {
  return {.labels = "--train-labels; in a config, train.labels",
          .fit_labels = "--val with --val-labels, or --train-labels; in a config, val.labels or train.labels",
          .head = "--head/--bias; head.weights/bias",
          .validation = "--val; in a config, val.features"};
}

}  // namespace oodbench
