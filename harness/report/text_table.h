// A plain-text table with aligned columns, for terminal output.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace oodbench {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  /// First column left-aligned, the others right-aligned, two spaces between columns.
  void print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

/// `value` as a percentage with two decimals ("95.61"), the precision papers report.
std::string percent(double value);

}  // namespace oodbench
