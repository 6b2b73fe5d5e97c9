#include "harness/sweep/json_reader.h"

#include <algorithm>

#include "harness/io/unique_keys.h"
#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {
namespace {

/// RFC 6901 escaping of one reference token.
std::string escape_token(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string joined(std::initializer_list<std::string_view> names) { return join(names); }

}  // namespace

std::string json_type_phrase(const nlohmann::json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number_integer()) return "an integer";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "an array";
  return "an object";
}

void JsonReader::fail(const std::string& message) const { throw InputError(source_ + ": " + where() + ": " + message); }

void JsonReader::expect_object(std::initializer_list<std::string_view> allowed,
                               std::initializer_list<std::string_view> required) const {
  if (!value_->is_object()) fail("expected an object, got " + json_type_phrase(*value_));
  for (const auto& [key, v] : value_->items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      JsonReader(v, source_, pointer_ + "/" + escape_token(key))
          .fail("unknown key (expected one of: " + joined(allowed) + ")");
    }
  }
  for (std::string_view key : required) {
    if (!value_->contains(key)) fail("missing required key \"" + std::string(key) + "\"");
  }
}

JsonReader JsonReader::at(std::string_view key) const {
  return JsonReader(value_->at(std::string(key)), source_, pointer_ + "/" + escape_token(key));
}

JsonReader JsonReader::at(std::size_t index) const {
  return JsonReader(value_->at(index), source_, pointer_ + "/" + std::to_string(index));
}

std::vector<JsonReader> JsonReader::elements(bool allow_empty) const {
  if (!value_->is_array()) fail("expected an array, got " + json_type_phrase(*value_));
  if (!allow_empty && value_->empty()) fail("expected a non-empty array");
  std::vector<JsonReader> out;
  for (std::size_t i = 0; i < value_->size(); ++i) out.push_back(at(i));
  return out;
}

std::string JsonReader::text() const {
  if (!value_->is_string()) fail("expected a string, got " + json_type_phrase(*value_));
  std::string s = value_->get<std::string>();
  if (s.empty()) fail("expected a non-empty string");
  return s;
}

std::int64_t JsonReader::integer() const {
  if (!value_->is_number_integer()) fail("expected an integer, got " + json_type_phrase(*value_));
  return value_->get<std::int64_t>();
}

bool JsonReader::flag() const {
  if (!value_->is_boolean()) fail("expected true or false, got " + json_type_phrase(*value_));
  return value_->get<bool>();
}

std::vector<std::string> JsonReader::texts() const {
  if (value_->is_string()) return {text()};
  std::vector<std::string> out;
  for (const JsonReader& e : elements()) out.push_back(e.text());
  return out;
}

nlohmann::json parse_json_document(const std::string& text, const std::string& source) {
  try {
    return parse_unique_keys(text);
  } catch (const DuplicateJsonKey& e) {
    throw InputError(source + ": " + e.pointer() + ": duplicate key: JSON gives each key of an object once (the later "
                     "value would silently replace the earlier); keep one");
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based and points at (or just past) the offending character.
    const std::size_t end = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') ++line, column = 1;
      else ++column;
    }
    const std::string what = e.what();
    const auto at = what.find("syntax error");
    throw InputError(source + ": line " + std::to_string(line) + ", column " + std::to_string(column) +
                     ": invalid JSON (" + (at == std::string::npos ? what : what.substr(at)) + ")");
  } catch (const nlohmann::json::exception& e) {  // e.g. a number too large for a double (found by fuzzing)
    const std::string what = e.what();
    const auto at = what.find("] ");
    throw InputError(source + ": invalid JSON (" + (at == std::string::npos ? what : what.substr(at + 2)) + ")");
  }
}

}  // namespace oodbench
