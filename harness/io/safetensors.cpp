#include "harness/io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "harness/io/file_map.h"
#include "harness/io/half.h"
#include "harness/io/file_checks.h"
#include "harness/io/unique_keys.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

/// The reference implementation refuses headers over 100 MB; so do we (a hostile length would otherwise be read).
constexpr std::uint64_t kMaxHeader = 100'000'000;

struct Kind {
  DType dtype;
  std::size_t width;
  bool bf16 = false;
};

const std::map<std::string, Kind>& kinds() {
  static const std::map<std::string, Kind> k = {
      {"F16", {DType::float16, 2}}, {"BF16", {DType::float32, 2, true}}, {"F32", {DType::float32, 4}},
      {"F64", {DType::float64, 8}}, {"I8", {DType::int8, 1}},   {"I16", {DType::int16, 2}},
      {"I32", {DType::int32, 4}},   {"I64", {DType::int64, 8}}, {"U8", {DType::uint8, 1}},
      {"U16", {DType::uint16, 2}},  {"U32", {DType::uint32, 4}}, {"U64", {DType::uint64, 8}}};
  return k;
}

[[noreturn]] void bad_header(const std::string& source, const std::string& what) {
  throw InputError(source + ": invalid safetensors header: " + what);
}

std::string key_list(const std::vector<SafetensorsEntry>& entries) {
  std::string out;
  std::size_t n = 0;
  for (const SafetensorsEntry& e : entries) {
    if (n++ == 20) return out + ", ... (" + std::to_string(entries.size()) + " tensors)";
    out += (out.empty() ? "" : ", ") + e.name;
  }
  return out.empty() ? "none" : out;
}

const SafetensorsEntry& pick(const std::vector<SafetensorsEntry>& entries, const std::string& tensor,
                             const std::string& path) {
  if (tensor.empty()) {
    if (entries.size() == 1) return entries[0];
    throw InputError(path + ": holds " + std::to_string(entries.size()) +
                     " tensors, name one as file.safetensors:name (tensors: " + key_list(entries) + ")");
  }
  for (const SafetensorsEntry& e : entries)
    if (e.name == tensor) return e;
  throw InputError(path + ": no tensor '" + tensor + "' (tensors: " + key_list(entries) + ")");
}

NpyArray decode(const SafetensorsEntry& e, std::span<const std::byte> data, const std::string& source) {
  const Kind kind = kinds().at(e.dtype);
  NpyArray a;
  a.source = source;
  a.dtype = kind.dtype;
  a.shape = e.shape.empty() ? std::vector<std::size_t>{1} : e.shape;  // a scalar is one element
  if (!kind.bf16) {
    a.bytes.assign(data.begin(), data.end());
    return a;
  }
  const std::size_t n = data.size() / 2;
  a.bytes.resize(n * sizeof(float));
  for (std::size_t i = 0; i < n; ++i) {
    std::uint16_t b;
    std::memcpy(&b, data.data() + 2 * i, 2);
    const float f = bfloat16_to_float(b);
    std::memcpy(a.bytes.data() + i * sizeof(float), &f, sizeof f);
  }
  return a;
}

std::uint64_t header_length(const std::byte* eight) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<std::uint64_t>(eight[i]);
  return n;
}

void check_header_length(std::uint64_t n, std::uint64_t file_size, const std::string& source) {
  if (file_size < 8) throw InputError(source + ": not a safetensors file (" + std::to_string(file_size) +
                                      " bytes; it starts with an 8-byte header length)");
  if (n > kMaxHeader) bad_header(source, "header length " + std::to_string(n) + " exceeds 100 MB");
  if (n > file_size - 8)
    bad_header(source, "header length " + std::to_string(n) + " exceeds the file (" + std::to_string(file_size) +
                           " bytes)");
  if (n < 2) bad_header(source, "header length " + std::to_string(n) + " is too short for a JSON object");
}

/// RAII file descriptor with positioned, complete reads.
class File {
 public:
  explicit File(const std::string& path) : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd_ < 0) throw_system_error(path + ": cannot open the array file", errno);
  }
  ~File() { ::close(fd_); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  std::uint64_t size() const {
    struct stat st{};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) throw InputError(path_ + ": not a regular file");
    return static_cast<std::uint64_t>(st.st_size);
  }
  void read_at(std::uint64_t offset, std::byte* out, std::size_t n) const {
    while (n > 0) {
      const ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) throw InputError(path_ + ": read error (" + (got < 0 ? std::strerror(errno) : "file shrank") + ")");
      out += got, offset += static_cast<std::uint64_t>(got), n -= static_cast<std::size_t>(got);
    }
  }

 private:
  std::string path_;
  int fd_;
};

struct Header {
  std::vector<SafetensorsEntry> entries;
  std::uint64_t data_start = 0;
};

Header read_header(const File& f, const std::string& path) {
  const std::uint64_t size = f.size();
  std::byte eight[8] = {};
  if (size >= 8) f.read_at(0, eight, 8);
  const std::uint64_t n = header_length(eight);
  check_header_length(n, size, path);
  std::string json(n, '\0');
  f.read_at(8, reinterpret_cast<std::byte*>(json.data()), n);
  return {parse_safetensors_header(json, size - 8 - n, path), 8 + n};
}

}  // namespace

std::vector<SafetensorsEntry> parse_safetensors_header(std::string_view json, std::uint64_t data_size,
                                                       const std::string& source) {
  if (json.empty() || json.front() != '{') bad_header(source, "it does not start with '{'");
  nlohmann::json doc;
  try {
    doc = parse_unique_keys(json);
  } catch (const DuplicateJsonKey& e) {
    bad_header(source, "the key " + e.pointer() + " appears twice (which tensor it names is ambiguous)");
  } catch (const nlohmann::json::exception&) {
    bad_header(source, "not valid JSON");
  }
  if (!doc.is_object()) bad_header(source, "expected a JSON object");
  std::vector<SafetensorsEntry> entries;
  for (const auto& [name, value] : doc.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) bad_header(source, "__metadata__ must be an object of strings");
      for (const auto& [k, v] : value.items())
        if (!v.is_string()) bad_header(source, "__metadata__ value '" + k + "' is not a string");
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    if (!value.is_object()) bad_header(source, where + " is not an object");
    for (const auto& [k, v] : value.items())
      if (k != "dtype" && k != "shape" && k != "data_offsets") bad_header(source, where + ": unknown key '" + k + "'");
    SafetensorsEntry e;
    e.name = name;
    const auto dtype = value.find("dtype");
    if (dtype == value.end() || !dtype->is_string()) bad_header(source, where + ": missing string 'dtype'");
    e.dtype = dtype->get<std::string>();
    const auto kind = kinds().find(e.dtype);
    if (kind == kinds().end())
      bad_header(source, where + ": dtype " + e.dtype + " is not read (F16, BF16, F32, F64 features; I8..I64, " +
                             "U8..U64 labels)");
    const auto shape = value.find("shape");
    if (shape == value.end() || !shape->is_array() || shape->size() > 8)
      bad_header(source, where + ": 'shape' must be an array of at most 8 extents");
    std::uint64_t bytes = kind->second.width;
    for (const auto& d : *shape) {
      if (!d.is_number_unsigned()) bad_header(source, where + ": shape extent " + d.dump() + " is not an integer >= 0");
      const std::uint64_t extent = d.get<std::uint64_t>();
      if (__builtin_mul_overflow(bytes, extent, &bytes)) bad_header(source, where + ": shape too large");
      e.shape.push_back(static_cast<std::size_t>(extent));
    }
    const auto offsets = value.find("data_offsets");
    if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
      bad_header(source, where + ": 'data_offsets' must be [begin, end], integers >= 0");
    e.begin = (*offsets)[0].get<std::uint64_t>();
    e.end = (*offsets)[1].get<std::uint64_t>();
    if (e.begin > e.end || e.end > data_size)
      bad_header(source, where + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                             "] outside the data section (" + std::to_string(data_size) + " bytes)");
    if (e.end - e.begin != bytes)
      bad_header(source, where + ": data_offsets span " + std::to_string(e.end - e.begin) + " bytes but " + e.dtype +
                             " of shape " + shape->dump() + " needs " + std::to_string(bytes));
    entries.push_back(std::move(e));
  }
  // The data section must be covered exactly: tensors in offset order, each starting where the previous ended.
  std::vector<const SafetensorsEntry*> order;
  for (const SafetensorsEntry& e : entries) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  std::uint64_t at = 0;
  for (const SafetensorsEntry* e : order) {
    if (e->begin != at)
      bad_header(source, "tensor '" + e->name + "' starts at byte " + std::to_string(e->begin) + " of the data but " +
                             (e->begin < at ? "the previous tensor ends at " : "there is a hole from ") +
                             std::to_string(at) + " (tensors must not overlap or leave gaps)");
    at = e->end;
  }
  if (at != data_size)
    bad_header(source, "the tensors cover " + std::to_string(at) + " of the " + std::to_string(data_size) +
                           " data bytes (trailing bytes not described by the header)");
  return entries;
}

std::vector<std::string> safetensors_keys(const std::string& path) {
  const File f(path);
  std::vector<std::string> keys;
  for (const SafetensorsEntry& e : read_header(f, path).entries) keys.push_back(e.name);
  return keys;
}

NpyArray load_safetensors(const std::string& path, const std::string& tensor) {
  const File f(path);
  const Header h = read_header(f, path);
  const SafetensorsEntry& e = pick(h.entries, tensor, path);
  // Every dtype but BF16 is the file's little-endian bytes as they are (this is a little-endian build): view them in
  // a private map of the file instead of reading a copy. The header was validated above against the file's size, so a
  // truncated file has already failed; view_in_place still refuses a range outside the map (the file shrank).
  if (std::endian::native == std::endian::little && !kinds().at(e.dtype).bf16 && e.end > e.begin) {
    if (const std::optional<FileMap> map = map_file(path)) {
      NpyArray a = decode(e, {}, path + ":" + e.name);
      if (view_in_place(a, *map, static_cast<std::size_t>(h.data_start + e.begin),
                        static_cast<std::size_t>(e.end - e.begin)))
        return a;
    }
  }
  std::vector<std::byte> data(e.end - e.begin);
  f.read_at(h.data_start + e.begin, data.data(), data.size());
  return decode(e, data, path + ":" + e.name);
}

NpyArray parse_safetensors(std::span<const std::byte> file, const std::string& tensor, const std::string& source) {
  const std::uint64_t n = file.size() >= 8 ? header_length(file.data()) : 0;
  check_header_length(n, file.size(), source);
  const std::string_view json(reinterpret_cast<const char*>(file.data() + 8), n);
  const auto entries = parse_safetensors_header(json, file.size() - 8 - n, source);
  const SafetensorsEntry& e = pick(entries, tensor, source);
  return decode(e, file.subspan(8 + n + e.begin, e.end - e.begin), source + ":" + e.name);
}

}  // namespace oodbench
