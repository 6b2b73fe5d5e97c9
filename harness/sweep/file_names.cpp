#include "harness/sweep/file_names.h"

#include "harness/sweep/plan.h"

namespace oodbench {

std::map<std::string, std::string> label_file_parts(const std::set<std::string>& labels) {
  std::map<std::string, int> cleaned;  // part -> how many labels clean to it
  for (const std::string& label : labels) ++cleaned[file_name_part(label)];
  std::map<std::string, std::string> parts;
  for (const std::string& label : labels) {
    const std::string part = file_name_part(label);
    parts[label] = cleaned[part] == 1 ? part : part + "-" + fnv1a_hex(label).substr(0, 6);
  }
  return parts;
}

}  // namespace oodbench
