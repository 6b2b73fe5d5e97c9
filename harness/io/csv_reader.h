// Delimited text (.csv with commas, .tsv with tabs) as an array: numeric columns, an optional header row, and a
// column selection `file.csv:a,b`, `file.csv:f0..f127` (inclusive range) or `file.csv:label`. A column is named by its
// header name or, failing that, by its 0-based index. Quoted fields ("a,b", "say ""hi""") follow RFC 4180; lines
// starting with '#' are comments; blank lines are skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/io/npy.h"

namespace oodbench {

/// Parses the whole text. Several columns (or all, when `columns` is empty) give a float64 (rows, k) array; a single
/// column gives (rows, 1): int64 when every value is an integer, float64 when numeric, text otherwise (labels).
/// A header is recognised when a non-numeric first-row field sits above a number. A leading column with an empty
/// header name (pandas' index) is dropped unless named. Faults name `source`, the line, the column and the value.
NpyArray parse_csv(std::string_view text, char delimiter, const std::string& columns, const std::string& source);

/// Reads `path` (.tsv: tab-separated) and parses it.
NpyArray load_csv(const std::string& path, const std::string& columns);

}  // namespace oodbench
