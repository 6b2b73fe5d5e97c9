#include "harness/fit/class_labels.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <string>

#include "harness/io/load_array.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

const std::string kRule = "labels must be 0..C-1 with every class present";
std::string remap_text(const std::string& option) {
  return remap_advice(option) + ", or remap them yourself, e.g. y = np.unique(y, return_inverse=True)[1]";
}

/// Rows of one label value: how many, and the first few (enough to point at a typo).
struct Rows {
  std::size_t count = 0;
  std::vector<std::size_t> first;
};

std::string found_text(const std::map<std::int32_t, Rows>& rows) {
  constexpr std::size_t shown = 12;
  std::string text = "found labels ";
  std::size_t i = 0;
  for (const auto& [label, r] : rows) {
    if (i == shown) {
      text += ", ...";
      break;
    }
    text += (i++ ? ", " : "") + std::to_string(label);
  }
  return text + " (" + std::to_string(rows.size()) + " distinct)";
}

/// "label 7 at row 123 is the only sample of its class", or "rows 3 and 9 are the only samples of label 7".
std::string stray_text(std::int32_t label, const Rows& r) {
  if (r.count == 1) return "label " + std::to_string(label) + " at row " + std::to_string(r.first[0]) +
                           " is the only sample of its class";
  return "rows " + std::to_string(r.first[0]) + " and " + std::to_string(r.first[1]) +
         " are the only samples of label " + std::to_string(label);
}

/// Up to kStrayLabels label values, each in at most kStray rows, lying beyond a missing class, are named with their
/// rows: likely typos. More than that is a labelling problem, not a typo.
constexpr std::size_t kStray = 2;
constexpr std::ptrdiff_t kStrayLabels = 3;

}  // namespace

std::size_t check_class_labels(const std::vector<std::int32_t>& labels, std::size_t head_classes,
                               const std::string& source, const std::string& remap_option) {
  std::map<std::int32_t, Rows> rows;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    Rows& r = rows[labels[i]];
    if (r.count++ < kStray) r.first.push_back(i);
  }
  if (head_classes > 0 && static_cast<std::size_t>(rows.rbegin()->first) >= head_classes) {
    const auto& [label, r] = *rows.rbegin();
    throw InputError(source + ": label " + std::to_string(label) + " (first at row " + std::to_string(r.first[0]) +
                     ") but the head has only " + std::to_string(head_classes) + " classes; " + found_text(rows) +
                     "; " + kRule);
  }
  // `present` = the classes 0, 1, ... found before the first missing one.
  std::size_t present = 0;
  for (auto it = rows.begin(); it != rows.end() && it->first == static_cast<std::int32_t>(present); ++it) ++present;
  const std::size_t classes = std::max(head_classes, static_cast<std::size_t>(rows.rbegin()->first) + 1);
  if (present == classes) return classes;

  std::string message = source + ": " + found_text(rows) + ": class " + std::to_string(present) + " has no sample";
  // Labels beyond the gap that are all rare are likely typos (a stray 7 among 0/1): name their rows.
  const auto beyond = rows.upper_bound(static_cast<std::int32_t>(present));
  const bool stray = beyond != rows.end() && present > 0 && std::distance(beyond, rows.end()) <= kStrayLabels &&
                     std::all_of(beyond, rows.end(), [](const auto& kv) { return kv.second.count <= kStray; });
  if (!stray) throw InputError(message + "; " + kRule + ": remap them, " + remap_text(remap_option));
  for (auto it = beyond; it != rows.end(); ++it) message += ", and " + stray_text(it->first, it->second);
  throw InputError(message + " (a typo?); fix or drop those rows, or remap the labels (" + kRule + "): " +
                   remap_text(remap_option));
}

std::string ClassLabels::map_text(const nlohmann::json& map, std::size_t shown) {
  std::string text;
  for (std::size_t c = 0; c < map.size(); ++c) {
    if (c == shown) return text + ", ... (" + std::to_string(map.size()) + " classes)";
    std::string original = map[c].dump();  // a string in double quotes, or a number
    text.append(c ? ", " : "").append(std::to_string(c)).append(" <- ").append(original);
  }
  return text;
}

std::string ClassLabels::remapped_note(const nlohmann::json& map, const std::string& what) {
  return what + " remapped to 0.." + std::to_string(map.size() - 1) + ": " + map_text(map);
}

ClassLabels remap_class_labels(const RawLabels& raw) {
  ClassLabels out;
  out.map = nlohmann::json::array();
  out.labels.resize(raw.size());
  if (raw.text) {
    std::map<std::string, std::int32_t> index;
    for (const std::string& w : raw.words) index.emplace(w, 0);
    std::int32_t c = 0;
    for (auto& [word, i] : index) i = c++, out.map.push_back(word);
    for (std::size_t r = 0; r < raw.words.size(); ++r) out.labels[r] = index.at(raw.words[r]);
  } else {
    std::map<std::int64_t, std::int32_t> index;
    for (std::int64_t v : raw.values) index.emplace(v, 0);
    std::int32_t c = 0;
    for (auto& [value, i] : index) i = c++, out.map.push_back(value);
    for (std::size_t r = 0; r < raw.values.size(); ++r) out.labels[r] = index.at(raw.values[r]);
  }
  if (out.map.size() > static_cast<std::size_t>(INT32_MAX)) throw InputError(raw.source + ": too many classes");
  return out;
}

ClassLabels class_labels(const NpyArray& array, bool remap, const std::string& remap_option) {
  if (remap) return remap_class_labels(to_raw_labels(array));
  return {to_labels(array, remap_option), nullptr};
}

ClassLabels load_class_labels(const std::string& spec, bool remap, const std::string& remap_option) {
  return class_labels(load_array(spec), remap, remap_option);
}

std::vector<std::int32_t> load_labels_like_train(const std::string& spec, const nlohmann::json& train_map,
                                                 const std::string& remap_option) {
  return labels_like_train(load_array(spec), train_map, remap_option);
}

std::vector<std::int32_t> labels_like_train(const NpyArray& array, const nlohmann::json& train_map,
                                            const std::string& remap_option) {
  const std::string& spec = array.source;
  if (train_map.is_null()) return to_labels(array, remap_option);
  const RawLabels raw = to_raw_labels(array);
  std::map<nlohmann::json, std::int32_t> class_of;  // original label -> class, one lookup per row
  for (std::size_t c = 0; c < train_map.size(); ++c) class_of.emplace(train_map[c], static_cast<std::int32_t>(c));
  std::vector<std::int32_t> out(raw.size());
  for (std::size_t r = 0; r < raw.size(); ++r) {
    const nlohmann::json value = raw.text ? nlohmann::json(raw.words[r]) : nlohmann::json(raw.values[r]);
    const auto it = class_of.find(value);
    if (it == class_of.end()) {
      throw InputError(spec + ": row " + std::to_string(r) + " has label " + value.dump() +
                       ", which the train labels do not have (" + ClassLabels::map_text(train_map) +
                       "); every class must be a train class");
    }
    out[r] = it->second;
  }
  return out;
}

}  // namespace oodbench
