#include "harness/io/load_array.h"

#include <sys/mman.h>

#include <algorithm>
#include <optional>
#include <span>

#include "harness/io/csv_reader.h"
#include "harness/io/diagnostics.h"
#include "harness/io/feature_reader.h"
#include "harness/io/file_checks.h"
#include "harness/io/file_map.h"
#include "harness/io/hdf5_reader.h"
#include "harness/io/npz.h"
#include "harness/io/safetensors.h"
#include "harness/io/shards.h"
#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {

void squeeze_singletons(NpyArray& a) {
  if (a.shape.size() <= 2) return;
  const std::vector<std::size_t> before = a.shape;
  for (std::size_t axis = a.shape.size(); axis-- > 1 && a.shape.size() > 2;)
    if (a.shape[axis] == 1) a.shape.erase(a.shape.begin() + static_cast<std::ptrdiff_t>(axis));
  if (a.shape.size() > 2 && a.shape[0] == 1) a.shape.erase(a.shape.begin());
  if (a.shape.size() > 2)
    throw InputError(a.source + ": shape " + shape_text(before) + " has " + std::to_string(before.size()) +
                     " axes that are not singletons; expected (samples, features): reshape it to (N, D) first");
  note(a.source + ": shape " + shape_text(before) + " read as " + shape_text(a.shape) + " (singleton axes squeezed)");
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
  throw InputError(path + ": " + (parts.key.empty() ? "holds several arrays, name one as file.npz:key"
                                                    : "no array '" + parts.key + "'") +
                   " (keys: " + join(keys) + ")");
}

}  // namespace

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

}  // namespace oodbench
