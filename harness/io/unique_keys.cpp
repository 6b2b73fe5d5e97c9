#include "harness/io/unique_keys.h"

#include <set>
#include <vector>

namespace oodbench {
namespace {

/// An object or array being parsed: the keys seen (objects) or the index of the next element (arrays), and the key
/// whose value is being parsed.
struct Level {
  bool object = false;
  std::set<std::string> keys;
  std::string key;
  std::size_t index = 0;
};

std::string escaped(const std::string& token) {  // RFC 6901: ~ as ~0, / as ~1
  std::string out;
  for (char c : token) {
    if (c == '~') out.append("~0");
    else if (c == '/') out.append("~1");
    else out.push_back(c);
  }
  return out;
}

std::string pointer_to(const std::vector<Level>& levels, const std::string& key) {
  std::string out;
  for (std::size_t i = 0; i + 1 < levels.size(); ++i)
    out.append("/").append(levels[i].object ? escaped(levels[i].key) : std::to_string(levels[i].index));
  return out.append("/").append(escaped(key));
}

}  // namespace

nlohmann::json parse_unique_keys(std::string_view text) {
  std::vector<Level> levels;
  using event = nlohmann::json::parse_event_t;
  const auto element_done = [&levels] {
    if (!levels.empty() && !levels.back().object) ++levels.back().index;
  };
  return nlohmann::json::parse(text, [&](int, event e, nlohmann::json& parsed) {
    switch (e) {
      case event::object_start: levels.push_back({true, {}, {}, 0}); break;
      case event::array_start: levels.push_back({false, {}, {}, 0}); break;
      case event::key: {
        const std::string key = parsed.get<std::string>();
        if (!levels.back().keys.insert(key).second) throw DuplicateJsonKey(pointer_to(levels, key));
        levels.back().key = key;
        break;
      }
      case event::object_end:
      case event::array_end:
        levels.pop_back();
        element_done();
        break;
      case event::value: element_done(); break;
    }
    return true;
  });
}

}  // namespace oodbench
