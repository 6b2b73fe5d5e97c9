// Lists in messages ("a, b, c"): one way to join, used by every layer.
#pragma once

#include <string>
#include <string_view>

namespace oodbench {

/// The items of `range`, each as `text(item)` gives it, separated by `separator`.
template <class Range, class Text>
std::string join(const Range& range, std::string_view separator, Text text) {
  std::string out;
  bool first = true;
  for (const auto& item : range) {
    if (!first) out += separator;
    out += text(item);
    first = false;
  }
  return out;
}

/// The items of `range` (strings, or what converts to std::string) separated by `separator`.
template <class Range>
std::string join(const Range& range, std::string_view separator = ", ") {
  return join(range, separator, [](const auto& item) { return std::string(item); });
}

}  // namespace oodbench
