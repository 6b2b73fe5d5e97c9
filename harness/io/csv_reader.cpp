#include "harness/io/csv_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>

#include "harness/io/diagnostics.h"
#include "harness/io/file_checks.h"
#include "harness/io/file_map.h"
#include "harness/io/npy.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

struct Row {
  std::size_t line = 0;  ///< 1-based line where the record starts
  std::vector<std::string> fields;
};

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// The longest field read (1 MiB): no number or label is longer, and a file with a line of gigabytes (a binary file
/// named .csv) is refused once that much of it is read, not after all of it.
constexpr std::size_t kMaxField = std::size_t{1} << 20;

std::vector<Row> split_records(std::string_view text, char delimiter, const std::string& source) {
  std::vector<Row> rows;
  std::size_t line = 1, i = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // a UTF-8 byte-order mark
  while (i < text.size()) {
    Row row;
    row.line = line;
    if (text[i] == '#') {  // a comment line
      while (i < text.size() && text[i] != '\n') ++i;
      ++i, ++line;
      continue;
    }
    std::string field;
    bool quoted = false, was_quoted = false;
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (field.size() > kMaxField)
        throw InputError(source + ": line " + std::to_string(row.line) + ": a field longer than 1 MiB, which no "
                         "number or label is; is it a CSV file of embeddings?");
      if (quoted) {
        if (c == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
          else quoted = false;
        } else {
          if (c == '\n') ++line;
          field += c;
        }
      } else if (c == '"' && trimmed(field).empty()) {
        quoted = was_quoted = true;
        field.clear();
      } else if (c == delimiter) {
        row.fields.push_back(was_quoted ? field : std::string(trimmed(field)));
        field.clear();
        was_quoted = false;
      } else if (c == '\n') {
        break;
      } else {
        field += c;
      }
    }
    if (quoted) throw InputError(source + ": line " + std::to_string(row.line) + ": unterminated quoted field");
    ++i, ++line;
    row.fields.push_back(was_quoted ? field : std::string(trimmed(field)));
    if (row.fields.size() == 1 && row.fields[0].empty() && !was_quoted) continue;  // a blank line
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<double> number(const std::string& s) {
  std::string_view v = s;
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  if (v.empty()) return std::nullopt;
  double out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (end != v.data() + v.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) return std::nullopt;  // 1e999: not a float64
  if (ec != std::errc()) return std::nullopt;
  return out;
}

std::optional<std::int64_t> integer(const std::string& s) {
  std::string_view v = s;
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return out;
}

std::string quote(const std::string& s) { return "'" + (s.size() > 40 ? s.substr(0, 40) + "..." : s) + "'"; }

/// Indices of the selected columns: names, 0-based indices, and inclusive ranges a..b of either.
std::vector<std::size_t> select_columns(const std::string& spec, const std::vector<std::string>& names,
                                        std::size_t width, const std::string& source) {
  auto list = [&] {
    std::string out;
    std::size_t n = 0;
    for (const std::string& name : names) {
      if (n++ == 12) return out + ", ... (" + std::to_string(names.size()) + " columns)";
      out += (out.empty() ? "" : ", ") + name;
    }
    return names.empty() ? "no header: name columns 0.." + std::to_string(width - 1) : "columns: " + out;
  };
  auto one = [&](std::string_view item) -> std::size_t {
    const std::string name(trimmed(item));
    const auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) return static_cast<std::size_t>(it - names.begin());
    std::size_t index = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), index);
    if (!name.empty() && ec == std::errc() && end == name.data() + name.size() && index < width) return index;
    throw InputError(source + ": no column " + quote(name) + " (" + list() + ")");
  };
  std::vector<std::size_t> out;
  std::size_t start = 0;
  while (start <= spec.size()) {
    std::size_t comma = spec.find(',', start);
    if (comma == std::string::npos) comma = spec.size();
    const std::string_view item = std::string_view(spec).substr(start, comma - start);
    const std::size_t dots = item.find("..");
    if (dots != std::string_view::npos) {
      const std::size_t a = one(item.substr(0, dots)), b = one(item.substr(dots + 2));
      if (b < a) throw InputError(source + ": column range " + quote(std::string(item)) + " runs backwards");
      for (std::size_t c = a; c <= b; ++c) out.push_back(c);
    } else {
      out.push_back(one(item));
    }
    start = comma + 1;
  }
  return out;
}

/// Whether the first row names the columns: some non-numeric field above a number in the second row, or every
/// field non-numeric (then, with words below it too, a header when no first-row word appears again in its column).
bool has_header(const std::vector<Row>& rows) {
  const Row& first = rows[0];
  bool header = false, all_text = true;
  for (std::size_t c = 0; c < first.fields.size(); ++c) {
    const bool text_here = !number(first.fields[c]);
    all_text = all_text && text_here;
    if (text_here && rows.size() > 1 && c < rows[1].fields.size() && number(rows[1].fields[c])) header = true;
  }
  if (all_text && !header && rows.size() > 1) {  // words over words (string labels): a header when no first-row
    header = true;                                    // word appears again in its column
    for (std::size_t r = 1; r < rows.size() && header; ++r)
      for (std::size_t c = 0; c < first.fields.size() && c < rows[r].fields.size(); ++c)
        if (rows[r].fields[c] == first.fields[c]) header = false;
  }
  if (all_text && rows.size() == 1) header = true;
  return header;
}

/// The columns `columns` selects (all when empty). After a pandas index column, numbers count from the next one.
std::vector<std::size_t> selected_columns(const std::string& columns, const std::vector<std::string>& names,
                                          std::size_t width, bool index_column, const std::string& source) {
  std::vector<std::size_t> selected;
  if (!columns.empty()) {
    if (index_column) {
      const std::vector<std::string> data_names(names.begin() + 1, names.end());
      for (const std::size_t c : select_columns(columns, data_names, width - 1, source)) selected.push_back(c + 1);
    } else {
      selected = select_columns(columns, names, width, source);
    }
  } else {
    for (std::size_t c = index_column ? 1 : 0; c < width; ++c) selected.push_back(c);
  }
  return selected;
}

/// A column as messages name it: by its header name, or by its number when there is no header (`names` empty).
std::string column_name(const std::vector<std::string>& names, std::size_t c) {
  return !names.empty() ? "column " + quote(names[c]) : "column " + std::to_string(c);
}

/// Reads the one selected column `c` as integers (labels) or words (labels) into `a`; false when it holds numbers
/// that are not all integers (then it is read as floats).
bool read_label_column(NpyArray& a, const std::vector<Row>& rows, std::size_t c, const std::vector<std::string>& names) {
  bool all_int = true, all_num = true;
  for (const Row& r : rows) {
    all_int = all_int && integer(r.fields[c]).has_value();
    all_num = all_num && number(r.fields[c]).has_value();
  }
  if (all_int) {
    a.dtype = DType::int64;
    a.bytes.resize(rows.size() * sizeof(std::int64_t));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::int64_t v = *integer(rows[i].fields[c]);
      std::memcpy(a.bytes.data() + i * sizeof v, &v, sizeof v);
    }
    return true;
  }
  if (all_num) return false;
  a.dtype = DType::text;
  for (const Row& r : rows) {
    if (r.fields[c].empty())
      throw InputError(a.source + ": line " + std::to_string(r.line) + ", " + column_name(names, c) + ": empty field");
    a.strings.push_back(r.fields[c]);
  }
  return true;
}

/// Reads the selected columns into `a` as float64, naming the line and column of an empty, non-numeric or
/// non-finite field.
void read_number_columns(NpyArray& a, const std::vector<Row>& rows, const std::vector<std::size_t>& selected,
                         const std::vector<std::string>& names) {
  a.dtype = DType::float64;
  a.bytes.resize(rows.size() * selected.size() * sizeof(double));
  std::byte* out = a.bytes.data();
  for (const Row& r : rows) {
    for (std::size_t c : selected) {
      const std::optional<double> v = number(r.fields[c]);
      const std::string where = a.source + ": line " + std::to_string(r.line) + ", " + column_name(names, c) + ": ";
      if (!v && r.fields[c].empty()) throw InputError(where + "empty field; fill it in or drop the row");
      if (!v)
        throw InputError(where + quote(r.fields[c]) + " is not a number; select numeric columns as file.csv:a,b " +
                         "or a range file.csv:f0..f127");
      if (!std::isfinite(*v))  // named here by its line, as every other fault of the file is
        throw InputError(where + (std::isnan(*v) ? "NaN" : "Inf") + "; fill it in or drop the row");
      std::memcpy(out, &*v, sizeof(double));
      out += sizeof(double);
    }
  }
}

}  // namespace

NpyArray parse_csv(std::string_view text, char delimiter, const std::string& columns, const std::string& source) {
  std::vector<Row> rows = split_records(text, delimiter, source);
  if (rows.empty()) throw InputError(source + ": no data rows");
  const bool header = has_header(rows);
  std::vector<std::string> names;
  if (header) {
    names = rows[0].fields;
    rows.erase(rows.begin());
  }
  const std::size_t width = header ? names.size() : rows.empty() ? 0 : rows[0].fields.size();
  if (rows.empty()) throw InputError(source + ": a header row but no data rows");
  for (const Row& r : rows) {
    if (r.fields.size() != width)
      throw InputError(source + ": line " + std::to_string(r.line) + " has " + std::to_string(r.fields.size()) +
                       " fields, expected " + std::to_string(width) + (header ? " (as in the header)" : " (as in the first row)"));
  }
  // pandas' to_csv without index=False: an unnamed first column of row numbers, which is never data. Column
  // numbers then count from the first named column, as df.columns does.
  const bool index_column = header && width > 1 && names[0].empty();
  const std::vector<std::size_t> selected = selected_columns(columns, names, width, index_column, source);
  if (index_column)
    note(source + ": first column has no header name (a pandas index?); it is not read, and column numbers start "
         "after it");

  NpyArray a;
  a.source = source;
  a.shape = {rows.size(), selected.size()};
  // One column: integers (labels), floats, or words (labels).
  if (selected.size() == 1 && read_label_column(a, rows, selected[0], names)) return a;
  read_number_columns(a, rows, selected, names);
  return a;
}

NpyArray load_csv(const std::string& path, const std::string& columns) {
  const std::string ext = std::filesystem::path(path).extension().string();
  const char delimiter = (ext == ".tsv" || ext == ".TSV") ? '\t' : ',';
  const std::string source = columns.empty() ? path : path + ":" + columns;
  // Mapped, so that a line refused after its first MiB is read no further; a pipe or an empty file is read.
  if (const std::optional<FileMap> map = map_file(path))
    return parse_csv(std::string_view(reinterpret_cast<const char*>(map->bytes.data()), map->bytes.size()), delimiter,
                     columns, source);
  return parse_csv(read_text_file(path, "the array file"), delimiter, columns, source);
}

}  // namespace oodbench
