// JSON with each key of an object once. nlohmann::json (like most parsers) keeps the last of two equal keys, so a
// config or a header with "seeds" twice would silently lose the first; these parsers refuse it, naming where.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace oodbench {

/// A key that appears twice in one object: `pointer` is its JSON Pointer ("/datasets/0/train").
class DuplicateJsonKey : public std::runtime_error {
 public:
  explicit DuplicateJsonKey(std::string pointer)
      : std::runtime_error(pointer + ": duplicate key"), pointer_(std::move(pointer)) {}
  const std::string& pointer() const { return pointer_; }

 private:
  std::string pointer_;
};

/// nlohmann::json::parse(text), with its exceptions, but a duplicate key throws DuplicateJsonKey.
nlohmann::json parse_unique_keys(std::string_view text);

}  // namespace oodbench
