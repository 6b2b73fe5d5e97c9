// Reading a user's JSON document with errors that name the JSON Pointer of the offending value (RFC 6901,
// "/detectors/3/params/k") and what was expected. Objects are read through a key whitelist, so a misspelt key is an
// error instead of a silently ignored setting.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace oodbench {

class JsonReader {
 public:
  /// `source` (the file name) prefixes every error: "sweep.json: /seeds/1: expected an integer, got "a"".
  JsonReader(const nlohmann::json& value, std::string source, std::string pointer = "")
      : value_(&value), source_(std::move(source)), pointer_(std::move(pointer)) {}

  const nlohmann::json& value() const { return *value_; }
  const std::string& pointer() const { return pointer_; }
  /// "/a/b", or "/" for the document itself.
  std::string where() const { return pointer_.empty() ? "/" : pointer_; }

  /// Throws an InputError "<source>: <pointer>: <message>".
  [[noreturn]] void fail(const std::string& message) const;

  /// Checks that this is an object whose keys are all in `allowed` and that every key of `required` is present.
  void expect_object(std::initializer_list<std::string_view> allowed,
                     std::initializer_list<std::string_view> required = {}) const;
  bool has(std::string_view key) const { return value_->contains(key); }
  JsonReader at(std::string_view key) const;     ///< member `key` (which must exist)
  JsonReader at(std::size_t index) const;        ///< element `index` of an array
  std::vector<JsonReader> elements(bool allow_empty = false) const;  ///< an array's elements

  std::string text() const;                     ///< a non-empty string
  std::int64_t integer() const;
  bool flag() const;
  /// A string, or an array of strings (at least one) read as a list.
  std::vector<std::string> texts() const;

 private:
  const nlohmann::json* value_;
  std::string source_;
  std::string pointer_;
};

/// Parses `text` as JSON; a syntax error is an InputError naming `source` with the line and column.
nlohmann::json parse_json_document(const std::string& text, const std::string& source);

/// "a string", "an integer", ...: how an error says what it got.
std::string json_type_phrase(const nlohmann::json& value);

}  // namespace oodbench
