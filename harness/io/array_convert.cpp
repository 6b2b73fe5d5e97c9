#include "harness/io/array_convert.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>

#include "harness/io/diagnostics.h"
#include "harness/io/feature_reader.h"
#include "harness/io/half.h"
#include "kernels/error.h"

namespace oodbench {

namespace {

template <class T>
T element(const NpyArray& a, std::size_t i) {
  T v;
  std::memcpy(&v, a.data().data() + i * sizeof(T), sizeof(T));
  return v;
}

/// Element i of a float array of any supported width, widened to double.
double float_element(const NpyArray& a, std::size_t i) {
  switch (a.dtype) {
    case DType::float16: return half_to_float(element<std::uint16_t>(a, i));
    case DType::float32: return element<float>(a, i);
    case DType::float64: return element<double>(a, i);
    default: return 0.0;
  }
}

/// `v` in the fewest digits that read back as it (0.5, 0.10000000149011612 for float32's 0.1, nan).
std::string shortest_text(double v) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, v).ptr;
  return std::string(text, end);
}

/// Element i of an integer array of any width; false when a uint64 does not fit an int64.
bool integer_element(const NpyArray& a, std::size_t i, std::int64_t& out) {
  switch (a.dtype) {
    case DType::int8: out = element<std::int8_t>(a, i); return true;
    case DType::int16: out = element<std::int16_t>(a, i); return true;
    case DType::int32: out = element<std::int32_t>(a, i); return true;
    case DType::int64: out = element<std::int64_t>(a, i); return true;
    case DType::uint8: case DType::boolean: out = element<std::uint8_t>(a, i); return true;
    case DType::uint16: out = element<std::uint16_t>(a, i); return true;
    case DType::uint32: out = element<std::uint32_t>(a, i); return true;
    case DType::uint64: {
      const std::uint64_t v = element<std::uint64_t>(a, i);
      out = static_cast<std::int64_t>(v);
      return v <= static_cast<std::uint64_t>(INT64_MAX);
    }
    default: return false;
  }
}

bool is_float(DType d) { return is_float_dtype(d); }

/// Drops the pages of a mapped array's bytes [from, to) from this process (they stay in the page cache and fault in
/// again if read): a large .npy then costs its float32 copy plus a few MB, not twice its size. Returns how far
/// (page-aligned) it released.
std::size_t release_mapped(const NpyArray& a, std::size_t from, std::size_t to) {
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto base = reinterpret_cast<std::uintptr_t>(a.view.data());
  const std::uintptr_t start = (base + from + page - 1) / page * page, end = (base + to) / page * page;
  if (end > start) ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
  return std::max(from, end > base ? static_cast<std::size_t>(end - base) : from);
}

std::string shape_text(const NpyArray& a) { return oodbench::shape_text(a.shape); }

[[noreturn]] void non_finite(const NpyArray& a, double v, std::size_t row, std::size_t col, bool two_d) {
  std::string where = "row " + std::to_string(row) + (two_d ? ", column " + std::to_string(col) : "");
  throw InputError(a.source + ": " + (std::isnan(v) ? "NaN" : "Inf") + " at " + where);
}

}  // namespace

Matrix<float> to_features(const NpyArray& a) {
  if (!is_float(a.dtype) || a.shape.size() != 2) {
    throw InputError(a.source + ": expected a 2-D float array of features (rows = samples), got " +
                     dtype_name(a.dtype) + " of shape " + shape_text(a));
  }
  if (a.rows() == 0 || a.cols() == 0) throw InputError(a.source + ": empty feature array, shape " + shape_text(a));
  std::size_t offset = 0, released = 0;  // bytes read, and bytes of a mapped file handed back
  return read_features(a.source, a.dtype, a.rows(), a.cols(), [&](std::byte* out, std::size_t bytes) {
    std::memcpy(out, a.data().data() + offset, bytes);
    offset += bytes;
    if (a.file_map && a.owner && (offset - released >= (std::size_t{1} << 24) || offset == a.data().size()))
      released = release_mapped(a, released, offset);
  });
}

RawLabels to_raw_labels(const NpyArray& a) {
  const bool column = a.shape.size() == 2 && a.shape[1] == 1;
  if (a.shape.size() != 1 && !column) {
    throw InputError(a.source + ": expected a 1-D integer (or string) array of labels, got " + dtype_name(a.dtype) +
                     " of shape " + shape_text(a));
  }
  RawLabels raw;
  raw.source = a.source;
  if (a.dtype == DType::text) {
    raw.text = true;
    raw.words = a.strings;
    return raw;
  }
  raw.values.resize(a.size());
  if (is_float(a.dtype)) {  // labels saved as floats (0.0, 1.0, ...: a DataFrame column, a torch tensor): whole values
    for (std::size_t i = 0; i < raw.values.size(); ++i) {
      const double v = float_element(a, i);
      if (!(std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15))  // exact in a double below 2^53
        throw InputError(a.source + ": label " + shortest_text(v) + " at row " + std::to_string(i) + " is not a whole "
                         "number; labels are class indices (integers) or names (strings), and " +
                         dtype_name(a.dtype) + " labels are read only when every value is whole");
      raw.values[i] = static_cast<std::int64_t>(v);
    }
    note(a.source + ": " + dtype_name(a.dtype) + " labels read as integers (every value is a whole number)");
    return raw;
  }
  for (std::size_t i = 0; i < raw.values.size(); ++i) {
    if (!integer_element(a, i, raw.values[i]))
      throw InputError(a.source + ": label " + std::to_string(element<std::uint64_t>(a, i)) + " at row " +
                       std::to_string(i) + " does not fit a 64-bit signed integer");
  }
  return raw;
}

std::vector<std::int32_t> to_labels(const NpyArray& a, const std::string& remap_option) {
  const RawLabels raw = to_raw_labels(a);
  auto found = [&] {  // the distinct labels, for a message
    std::set<std::string> words(raw.words.begin(), raw.words.end());
    std::set<std::int64_t> values(raw.values.begin(), raw.values.end());
    std::string text;
    std::size_t n = 0;
    auto add = [&](const std::string& v) {
      if (n++ < 12) text += (text.empty() ? "" : ", ") + v;
      else if (n == 13) text += ", ...";
    };
    for (const std::string& w : words) add("'" + w + "'");
    for (std::int64_t v : values) add(std::to_string(v));
    return "found labels " + text + " (" + std::to_string(words.size() + values.size()) + " distinct)";
  };
  const std::string remedy = "; " + remap_advice(remap_option);
  if (raw.text) throw InputError(a.source + ": labels are strings, " + found() + remedy);
  std::vector<std::int32_t> labels(raw.values.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::int64_t v = raw.values[i];
    if (v < 0 || v > INT32_MAX) {
      throw InputError(a.source + ": label " + std::to_string(v) + " at row " + std::to_string(i) +
                       " (labels must be class indices >= 0); " + found() + remedy);
    }
    labels[i] = static_cast<std::int32_t>(v);
  }
  return labels;
}

std::vector<double> to_scores(const NpyArray& a) {
  const bool column = a.shape.size() == 2 && a.shape[1] == 1;
  if (!is_float(a.dtype) || (a.shape.size() != 1 && !column)) {
    throw InputError(a.source + ": expected a 1-D float array of scores, got " + dtype_name(a.dtype) + " of shape " +
                     shape_text(a));
  }
  if (a.size() == 0) throw InputError(a.source + ": empty score array");
  std::vector<double> scores(a.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    scores[i] = float_element(a, i);
    if (!std::isfinite(scores[i])) non_finite(a, scores[i], i, 0, false);
  }
  return scores;
}

std::vector<bool> to_correct(const NpyArray& a) {
  const bool column = a.shape.size() == 2 && a.shape[1] == 1;
  if (a.dtype == DType::text || (a.shape.size() != 1 && !column)) {
    throw InputError(a.source + ": expected a 1-D array of whether the head classified each row correctly (bool, or "
                     "0 and 1), got " + dtype_name(a.dtype) + " of shape " + shape_text(a));
  }
  if (a.size() == 0) throw InputError(a.source + ": empty correctness array");
  std::vector<bool> correct(a.size());
  for (std::size_t i = 0; i < correct.size(); ++i) {
    std::int64_t n = 0;
    const double v = is_float(a.dtype) ? float_element(a, i) : (integer_element(a, i, n) ? static_cast<double>(n) : -1);
    if (v != 0 && v != 1) {
      throw InputError(a.source + ": row " + std::to_string(i) + " is " + std::to_string(v) +
                       "; expected 1 (classified correctly) or 0 (misclassified), e.g. predictions == labels");
    }
    correct[i] = v == 1;
  }
  return correct;
}

void check_same_rows(std::size_t feature_rows, const std::string& features_name,
                     const std::vector<std::int32_t>& labels, const std::string& labels_name) {
  if (feature_rows != labels.size()) {
    throw InputError(labels_name + ": " + std::to_string(labels.size()) + " labels but " + features_name + " has " +
                     std::to_string(feature_rows) + " rows");
  }
}

void check_same_width(const Matrix<float>& features, const std::string& features_name, std::size_t train_cols,
                      const std::string& train_name) {
  if (features.cols != train_cols) {
    throw InputError(features_name + ": " + std::to_string(features.cols) + " columns but the train features (" +
                     train_name + ") have " + std::to_string(train_cols));
  }
}

}  // namespace oodbench
