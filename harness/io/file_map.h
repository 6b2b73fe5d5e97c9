// Read-only private memory maps of array files, shared by the readers that view numeric data in place (.npy,
// safetensors, contiguous HDF5): the data stays in the page cache until to_features converts it, and the pages it has
// converted are dropped (NpyArray::file_map), so a large input costs its float32 copy plus a few MB.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "harness/io/npy.h"

namespace oodbench {

/// A whole file mapped PROT_READ, MAP_PRIVATE; `owner` unmaps it when the last holder lets go.
struct FileMap {
  std::shared_ptr<const void> owner;
  std::span<const std::byte> bytes;
};

/// Maps `path`; nullopt where it cannot be mapped (empty, not a regular file, a file system without mmap), for the
/// caller to read it instead. A file that cannot be opened is an InputError.
std::optional<FileMap> map_file(const std::string& path);

/// Makes `a` view `size` bytes of `map` from `offset` in place (owner, view, file_map; `bytes` cleared). False, and
/// `a` untouched, when the range is not inside the map (the file changed after its header was checked).
bool view_in_place(NpyArray& a, const FileMap& map, std::size_t offset, std::size_t size);

}  // namespace oodbench
