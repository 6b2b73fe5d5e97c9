#include "harness/io/arrays.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>

#include "harness/io/csv_reader.h"
#include "harness/io/feature_reader.h"
#include "harness/io/file_checks.h"
#include "harness/io/file_map.h"
#include "harness/io/half.h"
#include "harness/io/hdf5_reader.h"
#include "harness/io/npz.h"
#include "harness/io/safetensors.h"
#include "harness/io/shards.h"
#include "kernels/error.h"

namespace oodbench {
std::string read_text_file(const std::string& path, const std::string& what) {
  std::error_code ec;  // an ifstream opens a directory, then throws a cryptic ios_base::failure on reading it
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path + ": cannot open " + what + " (it is a directory)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_system_error(path + ": cannot open " + what, errno);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(path + ": read error");
  return text;
}

void write_text_atomic(const std::string& path, std::string_view text) {
  write_file_atomic(path, std::as_bytes(std::span(text.data(), text.size())));
}

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

std::string dims_text(const std::vector<std::size_t>& shape) {
  std::string dims;
  for (std::size_t d : shape) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
  return "(" + dims + (shape.size() == 1 ? ",)" : ")");
}

std::string shape_text(const NpyArray& a) { return dims_text(a.shape); }

[[noreturn]] void non_finite(const NpyArray& a, double v, std::size_t row, std::size_t col, bool two_d) {
  std::string where = "row " + std::to_string(row) + (two_d ? ", column " + std::to_string(col) : "");
  throw InputError(a.source + ": " + (std::isnan(v) ? "NaN" : "Inf") + " at " + where);
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

ArrayFormat format_of(const std::string& path) {
  const std::string ext = lowercase(std::filesystem::path(path).extension().string());
  if (ext == ".npy") return ArrayFormat::npy;
  if (ext == ".npz") return ArrayFormat::npz;
  if (ext == ".h5" || ext == ".hdf5" || ext == ".hdf") return ArrayFormat::hdf5;
  if (ext == ".safetensors") return ArrayFormat::safetensors;
  if (ext == ".csv" || ext == ".tsv") return ArrayFormat::csv;
  return ArrayFormat::other;
}

/// Why a PyTorch file is not read, and the one-line conversion that works for what it may hold: with a key, the
/// tensor under that key of a dict checkpoint; without, a tensor (to .npy) or every tensor of a dict (to .npz, whose
/// keys then name them). Floating tensors become float32 (NumPy has no bfloat16); integer labels keep their type.
std::string torch_file_advice(const ArraySpec& parts) {
  namespace fs = std::filesystem;
  const std::string stem = fs::path(parts.path).replace_extension("").string();
  const std::string numpy = "n = lambda v: (v.float() if v.is_floating_point() else v).numpy(); ";
  const std::string load = "torch.load('" + parts.path + "', map_location='cpu')";
  std::string why = parts.path + ": a PyTorch pickle, which oodbench does not read (unpickling runs code); convert it "
                    "once: python3 -c \"import torch, numpy as np; " + numpy;
  if (!parts.key.empty()) {
    const std::string npy = stem + "_" + parts.key + ".npy";
    return why + "np.save('" + npy + "', n(" + load + "['" + parts.key + "']))\" and name " + npy +
           " (the checkpoint's keys: python3 -c \"import torch; print(list(" + load + "))\")";
  }
  return why + "t = " + load + "; np.savez('" + stem + ".npz', **{k: n(v) for k, v in t.items() if " +
         "torch.is_tensor(v)}) if isinstance(t, dict) else np.save('" + stem + ".npy', n(t))\", then name " + stem +
         ".npy (a tensor) or " + stem + ".npz:KEY (a dict checkpoint; python3 -c \"import numpy as np; print(np.load('" +
         stem + ".npz').files)\" lists its keys). A checkpoint of tensors can also be saved with " +
         "safetensors.torch.save_file and named file.safetensors:KEY";
}

/// Refuses, before any parsing, a directory or a file of a format that is not read, saying how to get an array file.
void check_array_file(const ArraySpec& parts) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!parts.glob && fs::is_directory(parts.path, ec))
    throw InputError(parts.path + " is a directory; name an array file (.npy, file.npz:key, file.h5:/dataset, " +
                     "file.safetensors:tensor, file.csv) or its shards (" + (fs::path(parts.path) / "*.npy").string() +
                     ")");
  if (parts.format != ArrayFormat::other) {
    if (parts.format == ArrayFormat::npy && !parts.key.empty())
      throw InputError(parts.path + ":" + parts.key + ": a .npy file holds one array; name it without ':" + parts.key +
                       "'");
    return;
  }
  const std::string ext = lowercase(fs::path(parts.path).extension().string());
  if (ext == ".pt" || ext == ".pth") throw InputError(torch_file_advice(parts));
  throw InputError(parts.path + ": " + (ext.empty() ? "no file extension" : "'" + ext + "' files are not read") +
                   "; oodbench reads .npy, .npz (file.npz:key), HDF5 (file.h5:/dataset), safetensors " +
                   "(file.safetensors:tensor) and CSV/TSV (file.csv, file.csv:col_a,col_b)");
}

std::function<void(const std::string&)>& note_sink() {
  static std::function<void(const std::string&)> sink = [](const std::string& text) {
    std::cerr << "oodbench: note: " << text << '\n';
  };
  return sink;
}

}  // namespace

void squeeze_singletons(NpyArray& a) {
  if (a.shape.size() <= 2) return;
  const std::vector<std::size_t> before = a.shape;
  for (std::size_t axis = a.shape.size(); axis-- > 1 && a.shape.size() > 2;)
    if (a.shape[axis] == 1) a.shape.erase(a.shape.begin() + static_cast<std::ptrdiff_t>(axis));
  if (a.shape.size() > 2 && a.shape[0] == 1) a.shape.erase(a.shape.begin());
  if (a.shape.size() > 2)
    throw InputError(a.source + ": shape " + dims_text(before) + " has " + std::to_string(before.size()) +
                     " axes that are not singletons; expected (samples, features): reshape it to (N, D) first");
  note(a.source + ": shape " + dims_text(before) + " read as " + dims_text(a.shape) + " (singleton axes squeezed)");
}

namespace {

/// A .npy file parsed from a read-only memory map: native C-order data stays in the map (the page cache) until
/// to_features converts it, instead of being read into a buffer and copied into the array (a third of the peak
/// memory on large embeddings). Files that cannot be mapped are read.
NpyArray load_npy_mapped(const std::string& path) {
  const std::optional<FileMap> map = map_file(path);
  if (!map) {  // empty, a pipe, or a file system without mmap
    const std::string bytes = read_text_file(path, "the array file");
    return parse_npy(std::as_bytes(std::span(bytes.data(), bytes.size())), path);
  }
  ::madvise(const_cast<std::byte*>(map->bytes.data()), map->bytes.size(), MADV_SEQUENTIAL);
  NpyArray array = parse_npy_in_place(map->bytes, map->owner, path);
  array.file_map = array.owner != nullptr;
  return array;
}

/// One file (no glob) with its key, as the spec named it.
NpyArray load_one(const std::string& path, const ArraySpec& parts) {
  switch (parts.format) {
    case ArrayFormat::npz: return load_npz_member(path, parts.key);
    case ArrayFormat::hdf5: return load_hdf5(path, parts.key);
    case ArrayFormat::safetensors: return load_safetensors(path, parts.key);
    case ArrayFormat::csv: return load_csv(path, parts.key);
    default: return load_npy_mapped(path);
  }
}

void check_one(const std::string& path, const ArraySpec& parts) {
  require_regular_file(path);
  if (parts.format == ArrayFormat::hdf5) return check_hdf5_dataset(path, parts.key);
  if (parts.format == ArrayFormat::safetensors) {
    const std::vector<std::string> keys = safetensors_keys(path);  // validates the whole header
    if (parts.key.empty() ? keys.size() == 1 : std::find(keys.begin(), keys.end(), parts.key) != keys.end()) return;
    (void)load_safetensors(path, parts.key);  // throws the message naming the tensors
    return;
  }
  if (parts.format != ArrayFormat::npz) return;
  const std::vector<std::string> keys = npz_keys(path);
  if (parts.key.empty() ? keys.size() == 1 : std::find(keys.begin(), keys.end(), parts.key) != keys.end()) return;
  std::string known;
  for (const std::string& k : keys) known += (known.empty() ? "" : ", ") + k;
  throw InputError(path + ": " + (parts.key.empty() ? "holds several arrays, name one as file.npz:key"
                                                    : "no array '" + parts.key + "'") +
                   " (keys: " + known + ")");
}

}  // namespace

void set_note_sink(std::function<void(const std::string&)> sink) { note_sink() = std::move(sink); }
void note(const std::string& text) {
  if (note_sink()) note_sink()(text);
}

ArraySpec split_array_spec(const std::string& spec) {
  // The file ends at the first keyed extension (.npz, .h5, .hdf5, .hdf, .safetensors, .csv, .tsv, .npy; .pt and .pth,
  // which are refused, but with the key's own conversion) followed by ':' or the end; what follows the ':' is the key.
  const std::string lower = lowercase(spec);
  std::size_t best = std::string::npos, best_end = 0;
  for (const char* ext : {".npz", ".h5", ".hdf5", ".hdf", ".safetensors", ".csv", ".tsv", ".npy", ".pt", ".pth"}) {
    const std::size_t n = std::strlen(ext);
    for (std::size_t at = lower.find(ext); at != std::string::npos; at = lower.find(ext, at + 1)) {
      const std::size_t end = at + n;
      if ((end == lower.size() || lower[end] == ':') && at < best) best = at, best_end = end;
    }
  }
  ArraySpec parts;
  if (best == std::string::npos) {
    parts.path = spec;
  } else {
    parts.path = spec.substr(0, best_end);
    if (best_end < spec.size()) parts.key = spec.substr(best_end + 1);
  }
  parts.format = format_of(parts.path);
  parts.glob = is_glob(parts.path);
  return parts;
}

NpyArray load_array(const std::string& spec) {
  const ArraySpec parts = split_array_spec(spec);
  check_array_file(parts);
  if (!parts.glob) {
    NpyArray a = load_one(parts.path, parts);
    squeeze_singletons(a);
    return a;
  }
  std::vector<NpyArray> shards;
  for (const std::string& file : expand_glob(parts.path)) {
    shards.push_back(load_one(file, parts));
    squeeze_singletons(shards.back());
  }
  return concatenate_shards(std::move(shards), spec);
}

void check_array_exists(const std::string& spec) {
  const ArraySpec parts = split_array_spec(spec);
  check_array_file(parts);
  if (!parts.glob) return check_one(parts.path, parts);
  for (const std::string& file : expand_glob(parts.path)) check_one(file, parts);
}

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

Matrix<float> load_features(const std::string& spec) {
  const ArraySpec parts = split_array_spec(spec);
  if (!parts.glob && parts.format == ArrayFormat::npy) {
    if (std::optional<Matrix<float>> m = read_npy_features(parts.path)) return std::move(*m);
  }
  if (!parts.glob && parts.format == ArrayFormat::npz) {
    if (std::optional<Matrix<float>> m = read_npz_features(parts.path, parts.key)) return std::move(*m);
  }
  return to_features(load_array(spec));
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

std::string remap_advice(const std::string& remap_option) {
  if (remap_option.empty()) return "map them to 0..C-1 in sorted order";
  return "pass " + remap_option + " to map them to 0..C-1 in sorted order, recorded with the results";
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

void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::absolute(fs::path(path)).parent_path();
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) throw InputError(path + ": output directory " + dir.string() + " does not exist");
    throw_system_error(path + ": output directory " + dir.string(), errno);
  }
  if (!S_ISDIR(st.st_mode)) throw InputError(path + ": " + dir.string() + " is not a directory");
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw InputError(path + ": is a directory, expected a file name");
  check_output_file(path);
  if (::access(dir.c_str(), W_OK) != 0)
    throw_system_error(path + ": output directory " + dir.string() + " is not writable", errno);
}

void check_outputs_distinct(const std::vector<NamedOutput>& outputs, const std::vector<std::string>& input_specs) {
  namespace fs = std::filesystem;
  const auto identity = [](const std::string& path) {  // symbolic links and ./ spellings resolved
    std::error_code ec;
    const fs::path resolved = fs::weakly_canonical(fs::absolute(path), ec);
    return ec ? fs::absolute(path).lexically_normal() : resolved;
  };
  std::vector<std::pair<fs::path, std::string>> seen;  // what each earlier file is
  for (const std::string& spec : input_specs) {
    const ArraySpec parts = split_array_spec(spec);
    if (!spec.empty() && !parts.glob) seen.emplace_back(identity(parts.path), "the input " + spec);
  }
  for (const NamedOutput& out : outputs) {
    const fs::path id = identity(out.path);
    for (const auto& [earlier, what] : seen)
      if (id == earlier)
        throw InputError(out.option + " " + out.path + ": is " + what + ", which writing it would replace; give " +
                         out.option + " a file name of its own");
    seen.emplace_back(id, "also the output of an earlier " + out.option);
  }
}

void write_all_synced(int fd, std::span<const std::byte> bytes, const std::string& path, const std::string& failure) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_system_error(path + ": " + failure, n < 0 ? errno : EIO);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) throw_system_error(path + ": " + failure, errno);
}

namespace {

/// Where writing `path` puts the bytes: the file a symbolic link points to (the link stays), else `path`.
std::string write_target(const std::string& path) {
  check_output_file(path);
  std::error_code ec;
  if (!std::filesystem::is_symlink(path, ec)) return path;
  const std::filesystem::path target = std::filesystem::canonical(path, ec);
  return ec ? path : target.string();
}

/// Writes `bytes` to the temporary file of `target`, synced; returns its name. Nothing is left on failure.
std::string write_temporary(const std::string& path, const std::string& target, std::span<const std::byte> bytes) {
  const std::string tmp = temporary_name(target);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_system_error(path + ": cannot write", errno);
  try {
    write_all_synced(fd, bytes, path);
  } catch (const InputError&) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_system_error(path + ": write failed", err);
  }
  return tmp;
}

}  // namespace

void write_files_atomic(const std::vector<std::pair<std::string, std::span<const std::byte>>>& files) {
  std::vector<std::pair<std::string, std::string>> written;  // (temporary, target)
  try {
    for (const auto& [path, bytes] : files) {
      const std::string target = write_target(path);
      written.emplace_back(write_temporary(path, target, bytes), target);
    }
  } catch (...) {
    for (const auto& [tmp, target] : written) ::unlink(tmp.c_str());
    throw;
  }
  for (std::size_t i = 0; i < written.size(); ++i) {
    if (::rename(written[i].first.c_str(), written[i].second.c_str()) == 0) continue;
    const int err = errno;
    for (std::size_t j = i; j < written.size(); ++j) ::unlink(written[j].first.c_str());
    throw_system_error(files[i].first + ": cannot replace", err);
  }
}

void write_file_atomic(const std::string& path, std::span<const std::byte> bytes) {
  write_files_atomic({{path, bytes}});
}

}  // namespace oodbench
