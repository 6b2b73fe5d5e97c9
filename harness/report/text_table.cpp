#include "harness/report/text_table.h"

#include <algorithm>
#include <cstdio>
#include <iomanip>

namespace oodbench {

void TextTable::print(std::ostream& out) const {
  std::vector<std::size_t> width;
  for (const auto& row : rows_) {
    width.resize(std::max(width.size(), row.size()));
    for (std::size_t j = 0; j < row.size(); ++j) width[j] = std::max(width[j], row[j].size());
  }
  for (const auto& row : rows_) {
    for (std::size_t j = 0; j < row.size(); ++j) {
      if (j > 0) out << "  ";
      out << (j == 0 ? std::left : std::right) << std::setw(static_cast<int>(width[j])) << row[j];
    }
    out << std::right << '\n';
  }
}

std::string percent(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", 100.0 * value);
  return buffer;
}

}  // namespace oodbench
