// What every message about labels that are not 0..C-1 advises: remapping them, in the words of the front end.
#pragma once

#include <string>

namespace oodbench {

/// How the command line and configs ask for remapped labels; the Python module names its own argument.
inline const std::string kRemapLabelsOption = "--remap-labels (in a config, \"remap_labels\": true)";
/// "pass <remap_option> to map them to 0..C-1 ...".
inline std::string remap_advice(const std::string& remap_option) {
  return "pass " + remap_option + " to map them to 0..C-1 in sorted order, recorded with the results";
}

}  // namespace oodbench
