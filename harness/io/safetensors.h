// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N, N bytes
// of JSON ({"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}), then the
// raw little-endian tensor data. The header is validated in full (JSON, dtypes, shapes, offsets inside the data, no
// overlaps or holes, sizes matching shapes) before any data byte is used; only the named tensor's bytes are used:
// viewed in a private read-only map of the file (BF16, widened to float32, and files that cannot be mapped are read).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "harness/io/npy.h"

namespace oodbench {

struct SafetensorsEntry {
  std::string name;
  std::string dtype;                ///< as written: F16, BF16, F32, F64, I8..I64, U8..U64
  std::vector<std::size_t> shape;
  std::uint64_t begin = 0, end = 0; ///< byte offsets into the data section
};

/// Validates a header (the JSON text) against a data section of `data_size` bytes; entries sorted by name.
/// Every fault is an InputError naming `source` and the tensor.
std::vector<SafetensorsEntry> parse_safetensors_header(std::string_view json, std::uint64_t data_size,
                                                       const std::string& source);

/// The tensor names of a .safetensors file, sorted.
std::vector<std::string> safetensors_keys(const std::string& path);
/// Reads one tensor (`tensor` may be empty when the file holds exactly one). BF16 is widened to float32.
NpyArray load_safetensors(const std::string& path, const std::string& tensor);
/// The same on a whole file in memory (the fuzz target's entry point).
NpyArray parse_safetensors(std::span<const std::byte> file, const std::string& tensor, const std::string& source);

}  // namespace oodbench
