// What every message about labels that are not 0..C-1 advises: remapping them, in the words of the front end.
#pragma once

#include <string>

namespace oodbench {

/// "pass <remap_option> to map them to 0..C-1 ...", where `remap_option` is how the caller's user asks for remapped
/// labels (empty: "map them to 0..C-1 ...").
inline std::string remap_advice(const std::string& remap_option) {
  if (remap_option.empty()) return "map them to 0..C-1 in sorted order";
  return "pass " + remap_option + " to map them to 0..C-1 in sorted order, recorded with the results";
}

}  // namespace oodbench
