#include "harness/io/arrays.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "harness/io/half.h"
#include "harness/io/npz.h"
#include "kernels/error.h"

namespace oodbench {
std::string read_text_file(const std::string& path, const std::string& what) {
  std::error_code ec;  // an ifstream opens a directory, then throws a cryptic ios_base::failure on reading it
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path + ": cannot open " + what + " (it is a directory)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open " + what + " (" + std::strerror(errno) + ")");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(path + ": read error");
  return text;
}

void write_text_atomic(const std::string& path, std::string_view text) {
  write_file_atomic(path, std::as_bytes(std::span(text.data(), text.size())));
}

std::size_t ArrayView::size() const {
  std::size_t n = 1;
  for (std::size_t d : shape) n *= d;
  return n;
}

namespace {

template <class T>
T element(const ArrayView& a, std::size_t i) {
  T v;
  std::memcpy(&v, a.bytes.data() + i * sizeof(T), sizeof(T));
  return v;
}

/// Element i of a float array of any supported width, widened to double.
double float_element(const ArrayView& a, std::size_t i) {
  switch (a.dtype) {
    case DType::float16: return half_to_float(element<std::uint16_t>(a, i));
    case DType::float32: return element<float>(a, i);
    case DType::float64: return element<double>(a, i);
    default: return 0.0;
  }
}

bool is_float(DType d) { return d == DType::float16 || d == DType::float32 || d == DType::float64; }

std::string shape_text(const ArrayView& a) {
  return a.shape.size() == 1 ? "(" + std::to_string(a.shape[0]) + ",)"
                             : "(" + std::to_string(a.shape[0]) + ", " + std::to_string(a.shape[1]) + ")";
}

[[noreturn]] void non_finite(const ArrayView& a, double v, std::size_t row, std::size_t col, bool two_d) {
  std::string where = "row " + std::to_string(row) + (two_d ? ", column " + std::to_string(col) : "");
  throw InputError(a.source + ": " + (std::isnan(v) ? "NaN" : "Inf") + " at " + where);
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

/// Refuses, before any parsing, a directory or a file that is not .npy/.npz, saying how to get an array file.
void check_array_file(const ArraySpec& parts) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(parts.path, ec))
    throw InputError(parts.path + " is a directory; name an array file (.npy, or file.npz:key)");
  if (parts.npz) return;
  const std::string ext = lowercase(fs::path(parts.path).extension().string());
  if (ext == ".npy") return;
  const std::string npy = fs::path(parts.path).replace_extension(".npy").string();
  if (ext == ".pt" || ext == ".pth") {
    throw InputError(parts.path + ": a PyTorch pickle, which oodbench does not read (unpickling runs code); " +
                     "convert it once: python3 -c \"import torch, numpy as np; np.save('" + npy +
                     "', torch.load('" + parts.path + "').numpy())\"");
  }
  if (ext == ".csv" || ext == ".tsv") {
    throw InputError(parts.path + ": not .npy/.npz; convert: python3 -c \"import numpy as np; np.save('" + npy +
                     "', np.loadtxt('" + parts.path + "', delimiter='" + (ext == ".csv" ? "," : "\\t") + "'))\"");
  }
  throw InputError(parts.path + ": " + (ext.empty() ? "no file extension" : "'" + ext + "' files are not read") +
                   "; oodbench reads .npy arrays and .npz archives (one array named as file.npz:key)");
}

}  // namespace

ArraySpec split_array_spec(const std::string& spec) {
  const auto npz = spec.rfind(".npz");
  if (npz != std::string::npos && (npz + 4 == spec.size() || spec[npz + 4] == ':')) {
    return {spec.substr(0, npz + 4), npz + 4 == spec.size() ? "" : spec.substr(npz + 5), true};
  }
  return {spec, "", false};
}

NpyArray load_array(const std::string& spec) {
  const ArraySpec parts = split_array_spec(spec);
  check_array_file(parts);
  if (parts.npz) return load_npz_member(parts.path, parts.key);
  const std::string bytes = read_text_file(spec, "the array file");
  return parse_npy(std::as_bytes(std::span(bytes.data(), bytes.size())), spec);
}

void check_array_exists(const std::string& spec) {
  const ArraySpec parts = split_array_spec(spec);
  check_array_file(parts);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(parts.path, ec)) throw InputError(parts.path + ": no such file");
  if (!parts.npz) return;
  const std::vector<std::string> keys = npz_keys(parts.path);
  if (parts.key.empty() ? keys.size() == 1 : std::find(keys.begin(), keys.end(), parts.key) != keys.end()) return;
  std::string known;
  for (const std::string& k : keys) known += (known.empty() ? "" : ", ") + k;
  throw InputError(parts.path + ": " + (parts.key.empty() ? "holds several arrays, name one as file.npz:key"
                                                          : "no array '" + parts.key + "'") +
                   " (keys: " + known + ")");
}

Matrix<float> to_features(const ArrayView& a) {
  if (!is_float(a.dtype) || a.shape.size() != 2) {
    throw InputError(a.source + ": expected a 2-D float array of features (rows = samples), got " +
                     dtype_name(a.dtype) + " of shape " + shape_text(a));
  }
  if (a.rows() == 0 || a.cols() == 0) throw InputError(a.source + ": empty feature array, shape " + shape_text(a));
  Matrix<float> m(a.rows(), a.cols());
  for (std::size_t i = 0; i < m.rows; ++i) {
    for (std::size_t j = 0; j < m.cols; ++j) {
      const double v = float_element(a, i * m.cols + j);
      if (!std::isfinite(v)) non_finite(a, v, i, j, true);
      m(i, j) = static_cast<float>(v);
    }
  }
  return m;
}

std::vector<std::int32_t> to_labels(const ArrayView& a) {
  if (a.shape.size() != 1 || is_float(a.dtype)) {
    throw InputError(a.source + ": expected a 1-D integer array of labels, got " + dtype_name(a.dtype) +
                     " of shape " + shape_text(a));
  }
  std::vector<std::int32_t> labels(a.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    std::int64_t v = 0;
    if (a.dtype == DType::int32) v = element<std::int32_t>(a, i);
    else if (a.dtype == DType::int64) v = element<std::int64_t>(a, i);
    else v = element<std::uint8_t>(a, i);
    if (v < 0 || v > INT32_MAX) {
      throw InputError(a.source + ": label " + std::to_string(v) + " at row " + std::to_string(i) +
                       " (labels must be class indices >= 0)");
    }
    labels[i] = static_cast<std::int32_t>(v);
  }
  return labels;
}

std::vector<double> to_scores(const ArrayView& a) {
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

void check_same_rows(const Matrix<float>& features, const std::string& features_name,
                     const std::vector<std::int32_t>& labels, const std::string& labels_name) {
  if (features.rows != labels.size()) {
    throw InputError(labels_name + ": " + std::to_string(labels.size()) + " labels but " + features_name + " has " +
                     std::to_string(features.rows) + " rows");
  }
}

void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::absolute(fs::path(path)).parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(path + ": output directory " + dir.string() + " does not exist");
  if (fs::is_directory(path, ec)) throw InputError(path + ": is a directory, expected a file name");
  if (::access(dir.c_str(), W_OK) != 0) {
    throw InputError(path + ": output directory " + dir.string() + " is not writable (" + std::strerror(errno) + ")");
  }
}

void write_file_atomic(const std::string& path, std::span<const std::byte> bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw InputError(path + ": cannot write (" + std::strerror(errno) + ")");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw InputError(path + ": write failed (" + reason + ")");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw InputError(path + ": write failed (" + reason + ")");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw InputError(path + ": cannot replace (" + reason + ")");
  }
}

}  // namespace oodbench
