#include "harness/io/npy.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>

#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;

/// A value in the header dict: a string, a bool, or a tuple of integers.
struct HeaderValue {
  std::string text;
  std::optional<bool> flag;
  std::optional<std::vector<std::size_t>> tuple;
};

/// Parses the Python dict literal of a .npy header, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& source) : s_(text), source_(source) {}

  std::map<std::string, HeaderValue> parse() {
    std::map<std::string, HeaderValue> out;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      std::string key = quoted();
      expect(':');
      out[key] = value();
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}'");
    }
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InputError(source_ + ": malformed .npy header (" + what + " at offset " + std::to_string(pos_) + ")");
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string quoted() {
    skip_space();
    const char q = peek();
    if (q != '\'' && q != '"') fail("expected a quoted string");
    const std::size_t end = s_.find(q, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  HeaderValue value() {
    skip_space();
    HeaderValue v;
    if (peek() == '\'' || peek() == '"') {
      v.text = quoted();
    } else if (s_.substr(pos_, 4) == "True") {
      v.flag = true;
      pos_ += 4;
    } else if (s_.substr(pos_, 5) == "False") {
      v.flag = false;
      pos_ += 5;
    } else if (peek() == '(') {
      ++pos_;
      std::vector<std::size_t> dims;
      while (true) {
        skip_space();
        if (peek() == ')') break;
        if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("expected a dimension");
        std::size_t d = 0;
        while (std::isdigit(static_cast<unsigned char>(peek()))) {
          if (d > (std::size_t{1} << 48)) fail("dimension too large");
          d = d * 10 + static_cast<std::size_t>(s_[pos_++] - '0');
        }
        dims.push_back(d);
        skip_space();
        if (peek() == ',') ++pos_;
        else if (peek() != ')') fail("expected ',' or ')' in shape");
      }
      ++pos_;
      v.tuple = std::move(dims);
    } else {
      fail("unsupported value");
    }
    return v;
  }

  std::string_view s_;
  const std::string& source_;
  std::size_t pos_ = 0;
};

/// Maps a descr string to a dtype and whether its bytes need swapping on this (little-endian) machine.
std::pair<DType, bool> parse_descr(const std::string& descr, const std::string& source) {
  static_assert(std::endian::native == std::endian::little, "oodbench assumes a little-endian host");
  static const std::map<std::string, DType> kinds = {
      {"f2", DType::float16}, {"f4", DType::float32}, {"f8", DType::float64}, {"i1", DType::int8},
      {"i2", DType::int16},   {"i4", DType::int32},   {"i8", DType::int64},   {"u1", DType::uint8},
      {"u2", DType::uint16},  {"u4", DType::uint32},  {"u8", DType::uint64},
      {"b1", DType::boolean}};  // NumPy's bool: one byte, 0 or 1
  if (descr.size() == 3) {
    const char order = descr[0];
    const auto it = kinds.find(descr.substr(1));
    if (it != kinds.end() && (order == '<' || order == '>' || order == '|' || order == '=')) {
      return {it->second, order == '>' && dtype_size(it->second) > 1};
    }
  }
  throw InputError(source + ": unsupported dtype '" + descr +
                   "' (expected float16/float32/float64 features or scores, integer or unicode labels, bool flags)");
}

void byteswap_elements(std::vector<std::byte>& bytes, std::size_t width) {
  for (std::size_t i = 0; i + width <= bytes.size(); i += width) std::reverse(bytes.begin() + i, bytes.begin() + i + width);
}

/// Fortran (column-major) element order to C order, for any number of extents.
std::vector<std::byte> fortran_to_c(const std::vector<std::byte>& in, const std::vector<std::size_t>& shape,
                                    std::size_t width) {
  std::vector<std::byte> out(in.size());
  if (in.empty() || shape.size() < 2) return in;  // a (0, huge) shape: nothing to move, no loop over the huge extent
  const std::size_t n = in.size() / width, dims = shape.size();
  std::vector<std::size_t> index(dims, 0);  // C-order multi-index of output element k, last axis fastest
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t f = 0, stride = 1;  // its Fortran offset: first axis fastest
    for (std::size_t a = 0; a < dims; ++a) f += index[a] * stride, stride *= shape[a];
    std::memcpy(&out[k * width], &in[f * width], width);
    for (std::size_t a = dims; a-- > 0;) {
      if (++index[a] < shape[a]) break;
      index[a] = 0;
    }
  }
  return out;
}

/// NumPy's '<U<n>' (UTF-32 code units, NUL-padded) elements as UTF-8 strings.
std::vector<std::string> decode_unicode(std::span<const std::byte> data, std::size_t count, std::size_t chars,
                                        bool swap) {
  std::vector<std::string> out(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::string& s = out[i];
    for (std::size_t c = 0; c < chars; ++c) {
      std::uint32_t cp = 0;
      std::memcpy(&cp, data.data() + (i * chars + c) * 4, 4);
      if (swap) cp = __builtin_bswap32(cp);
      if (cp == 0) break;
      if (cp < 0x80) {
        s += static_cast<char>(cp);
      } else if (cp < 0x800) {
        s += static_cast<char>(0xc0 | (cp >> 6)), s += static_cast<char>(0x80 | (cp & 0x3f));
      } else if (cp < 0x10000) {
        s += static_cast<char>(0xe0 | (cp >> 12)), s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        s += static_cast<char>(0x80 | (cp & 0x3f));
      } else {
        s += static_cast<char>(0xf0 | ((cp >> 18) & 0x07)), s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f)), s += static_cast<char>(0x80 | (cp & 0x3f));
      }
    }
  }
  return out;
}

}  // namespace

std::string shape_text(const std::vector<std::size_t>& shape) {
  // append, not "(" + ...: GCC 12 warns (-Wrestrict, a false positive) on the operator+ chain here.
  return std::string("(")
      .append(join(shape, ", ", [](std::size_t d) { return std::to_string(d); }))
      .append(shape.size() == 1 ? ",)" : ")");
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::float16: return "float16";
    case DType::float32: return "float32";
    case DType::float64: return "float64";
    case DType::int8: return "int8";
    case DType::int16: return "int16";
    case DType::int32: return "int32";
    case DType::int64: return "int64";
    case DType::uint8: return "uint8";
    case DType::uint16: return "uint16";
    case DType::uint32: return "uint32";
    case DType::uint64: return "uint64";
    case DType::boolean: return "bool";
    case DType::text: return "string";
  }
  return "?";
}

std::size_t dtype_size(DType d) {
  switch (d) {
    case DType::int8: case DType::uint8: case DType::boolean: return 1;
    case DType::float16: case DType::int16: case DType::uint16: return 2;
    case DType::float32: case DType::int32: case DType::uint32: return 4;
    case DType::float64: case DType::int64: case DType::uint64: return 8;
    case DType::text: return 0;
  }
  return 0;
}

bool is_float_dtype(DType d) { return d == DType::float16 || d == DType::float32 || d == DType::float64; }
bool is_integer_dtype(DType d) { return !is_float_dtype(d) && d != DType::text && d != DType::boolean; }

std::size_t NpyArray::size() const {
  std::size_t n = 1;
  for (std::size_t d : shape) n *= d;
  return n;
}

namespace {
NpyHeader parse_header(std::span<const std::byte> file, const std::string& source);
NpyArray parse(std::span<const std::byte> file, std::shared_ptr<const void> owner, const std::string& source);
}  // namespace

NpyArray parse_npy(std::span<const std::byte> file, const std::string& source) { return parse(file, nullptr, source); }

NpyHeader parse_npy_header(std::span<const std::byte> file, const std::string& source) {
  return parse_header(file, source);
}

NpyHeader read_npy_header(const ByteSource& next, const std::string& source) {
  std::vector<std::byte> prefix(kMagicLen + 4);  // magic, version, and the shortest length field (version 1.0)
  next(prefix.data(), prefix.size());
  if (std::memcmp(prefix.data(), kMagic, kMagicLen) != 0)
    throw InputError(source + ": not a .npy file (bad magic; expected \\x93NUMPY)");
  const auto major = static_cast<unsigned>(prefix[6]), minor = static_cast<unsigned>(prefix[7]);
  if (major < 1 || major > 3 || minor != 0) parse_header(prefix, source);  // throws its "unsupported version" error
  const bool long_length = major >= 2;
  if (long_length) {
    prefix.resize(prefix.size() + 2);
    next(prefix.data() + kMagicLen + 4, 2);
  }
  std::size_t header_len = 0;
  for (std::size_t i = prefix.size(); i-- > kMagicLen + 2;) header_len = header_len << 8 | std::to_integer<std::size_t>(prefix[i]);
  if (header_len > (std::size_t{1} << 24)) throw InputError(source + ": malformed .npy header (longer than 16 MB)");
  const std::size_t start = prefix.size();
  prefix.resize(start + header_len);
  next(prefix.data() + start, header_len);
  return parse_header(prefix, source);
}

NpyArray parse_npy_in_place(std::span<const std::byte> file, std::shared_ptr<const void> owner,
                            const std::string& source) {
  return parse(file, std::move(owner), source);
}

namespace {

NpyHeader parse_header(std::span<const std::byte> file, const std::string& source) {
  if (file.size() < kMagicLen + 2 || std::memcmp(file.data(), kMagic, kMagicLen) != 0) {
    throw InputError(source + ": not a .npy file (bad magic; expected \\x93NUMPY)");
  }
  const auto major = static_cast<unsigned>(file[6]);
  const auto minor = static_cast<unsigned>(file[7]);
  std::size_t header_len = 0;
  std::size_t prefix = 0;
  auto byte_at = [&](std::size_t i) { return static_cast<std::size_t>(file[i]); };
  if (major == 1 && minor == 0) {
    if (file.size() < 10) throw InputError(source + ": truncated .npy header");
    header_len = byte_at(8) | byte_at(9) << 8;
    prefix = 10;
  } else if ((major == 2 || major == 3) && minor == 0) {
    if (file.size() < 12) throw InputError(source + ": truncated .npy header");
    header_len = byte_at(8) | byte_at(9) << 8 | byte_at(10) << 16 | byte_at(11) << 24;
    prefix = 12;
  } else {
    throw InputError(source + ": unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
                     " (expected 1.0, 2.0 or 3.0)");
  }
  if (file.size() < prefix + header_len) throw InputError(source + ": truncated .npy header");
  const std::string_view text(reinterpret_cast<const char*>(file.data() + prefix), header_len);
  auto fields = HeaderParser(text, source).parse();

  const auto descr = fields.find("descr");
  const auto fortran = fields.find("fortran_order");
  const auto shape = fields.find("shape");
  if (descr == fields.end() || fortran == fields.end() || shape == fields.end() || !fortran->second.flag ||
      !shape->second.tuple || descr->second.text.empty()) {
    throw InputError(source + ": malformed .npy header (needs 'descr', 'fortran_order' and 'shape')");
  }
  NpyHeader header;
  bool& swap = header.byte_swapped;
  std::size_t& width = header.width;
  const std::string& d = descr->second.text;
  if (d.size() >= 3 && (d[0] == '<' || d[0] == '>' || d[0] == '=') && d[1] == 'U' &&
      d.find_first_not_of("0123456789", 2) == std::string::npos && d.size() <= 8) {
    header.dtype = DType::text;  // unicode labels: UTF-32, d[2..] characters per element
    swap = d[0] == '>';
    width = 4 * std::stoul(d.substr(2));
    if (width == 0) throw InputError(source + ": unsupported dtype '" + d + "' (empty strings)");
  } else {
    std::tie(header.dtype, swap) = parse_descr(d, source);
    width = dtype_size(header.dtype);
  }
  header.shape = *shape->second.tuple;
  if (header.shape.empty() || header.shape.size() > 8) {
    throw InputError(source + ": expected an array of 1 to 8 dimensions (samples first), got shape " +
                     shape_text(header.shape));
  }
  // The product of the extents can overflow (found by fuzz_npy: a shape of (2**32, 2**32) "needed" 0 bytes).
  std::size_t expected = width;
  for (std::size_t extent : header.shape) {
    if (__builtin_mul_overflow(expected, extent, &expected)) throw InputError(source + ": shape too large for memory");
  }
  header.fortran_order = *fortran->second.flag;
  header.data_offset = prefix + header_len;
  header.data_bytes = expected;
  return header;
}


NpyArray parse(std::span<const std::byte> file, std::shared_ptr<const void> owner, const std::string& source) {
  const NpyHeader header = parse_header(file, source);
  NpyArray array;
  array.source = source;
  array.dtype = header.dtype;
  array.shape = header.shape;
  const bool swap = header.byte_swapped;
  const std::size_t width = header.width, expected = header.data_bytes;
  const std::size_t available = file.size() - header.data_offset;
  if (available < expected) {
    throw InputError(source + ": truncated data (expected " + std::to_string(expected) + " bytes for shape, found " +
                     std::to_string(available) + ")");
  }
  const std::byte* data = file.data() + header.data_offset;
  const bool fortran_nd = header.fortran_order && array.shape.size() >= 2;
  if (owner && !swap && !fortran_nd && array.dtype != DType::text) {  // usable as it lies in the file
    array.owner = std::move(owner);
    array.view = std::span(data, expected);
    return array;
  }
  array.bytes.assign(data, data + expected);
  if (header.fortran_order) array.bytes = fortran_to_c(array.bytes, array.shape, width);
  if (array.dtype == DType::text) {
    array.strings = decode_unicode(array.bytes, expected / width, width / 4, swap);
    array.bytes.clear();
    return array;
  }
  if (swap) byteswap_elements(array.bytes, width);
  return array;
}

}  // namespace

namespace {

std::vector<std::byte> encode_npy_bytes(std::span<const std::byte> values, const char* descr,
                                        std::span<const std::size_t> shape) {
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " +
                       shape_text({shape.begin(), shape.end()}) + ", }";  // (n,) for one axis, as Python writes it
  const std::size_t unpadded = kMagicLen + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  const unsigned char version_and_len[4] = {1, 0, static_cast<unsigned char>(header.size() & 0xff),
                                            static_cast<unsigned char>(header.size() >> 8)};
  std::vector<std::byte> out(kMagicLen + 4 + header.size() + values.size());
  std::byte* at = out.data();
  for (auto [p, n] : {std::pair<const void*, std::size_t>{kMagic, kMagicLen}, {version_and_len, 4},
                      {header.data(), header.size()}, {values.data(), values.size()}}) {
    if (n > 0) std::memcpy(at, p, n);
    at += n;
  }
  return out;
}

}  // namespace

std::vector<std::byte> encode_npy(std::span<const float> values, std::span<const std::size_t> shape) {
  return encode_npy_bytes(std::as_bytes(values), "<f4", shape);
}

std::vector<std::byte> encode_npy(std::span<const double> values, std::span<const std::size_t> shape) {
  return encode_npy_bytes(std::as_bytes(values), "<f8", shape);
}

std::vector<std::byte> encode_npy(std::span<const std::int32_t> values, std::span<const std::size_t> shape) {
  return encode_npy_bytes(std::as_bytes(values), "<i4", shape);
}

std::vector<std::byte> encode_npy(std::span<const std::int64_t> values, std::span<const std::size_t> shape) {
  return encode_npy_bytes(std::as_bytes(values), "<i8", shape);
}

std::vector<std::byte> encode_npy(std::span<const std::uint8_t> values, std::span<const std::size_t> shape) {
  return encode_npy_bytes(std::as_bytes(values), "|u1", shape);
}

}  // namespace oodbench
