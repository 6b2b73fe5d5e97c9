#include "harness/io/shards.h"

#include <glob.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "harness/io/array_convert.h"
#include "harness/io/diagnostics.h"
#include "kernels/error.h"

namespace oodbench {

bool is_glob(const std::string& path) { return path.find_first_of("*?[") != std::string::npos; }

namespace {

/// Byte order puts part-10 before part-2. Where the numbers in the names are not zero-padded, say in which order the
/// shards are read: labels concatenated in numeric order would silently belong to other rows.
void warn_if_numbers_unpadded(const std::string& pattern, const std::vector<std::string>& files) {
  std::vector<std::string> numeric = files;
  std::stable_sort(numeric.begin(), numeric.end(),
                   [](const std::string& a, const std::string& b) { return ::strverscmp(a.c_str(), b.c_str()) < 0; });
  if (numeric == files) return;
  std::string order;
  for (std::size_t i = 0; i < files.size() && i < 6; ++i)
    order += (i ? ", " : "") + std::filesystem::path(files[i]).filename().string();
  if (files.size() > 6) order += ", ... (" + std::to_string(files.size()) + " files)";
  note(pattern + ": shards are read in byte order, " + order + ": the numbers in their names are not zero-padded, so "
       "numeric order differs; put any labels in this order, or zero-pad the names (part-002.npy)");
}

}  // namespace

std::vector<std::string> expand_glob(const std::string& pattern) {
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);  // unreadable folders: no match, not an abort
  std::vector<std::string> files;
  for (std::size_t i = 0; rc == 0 && i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  if (rc == GLOB_NOMATCH || (rc == 0 && files.empty()))
    throw InputError(pattern + ": no file matches this pattern (shards are named by a glob such as train/*.npy)");
  if (rc != 0) throw InputError(pattern + ": cannot list the files matching this pattern");
  std::sort(files.begin(), files.end());  // byte order, whatever the locale
  warn_if_numbers_unpadded(pattern, files);
  return files;
}

NpyArray concatenate_shards(std::vector<NpyArray> shards, const std::string& source) {
  if (shards.empty()) throw InputError(source + ": no shards");
  NpyArray out = std::move(shards[0]);
  if (out.owner) {  // a view into a mapped file: the concatenation needs its own buffer
    out.bytes.assign(out.view.begin(), out.view.end());
    out.owner.reset();
    out.view = {};
    out.file_map = false;  // else to_features would madvise(DONTNEED) an address range it does not own
  }
  const std::string first = out.source;
  out.source = source;
  for (std::size_t s = 1; s < shards.size(); ++s) {
    NpyArray& part = shards[s];
    if (part.dtype != out.dtype)
      throw InputError(source + ": shard " + part.source + " holds " + dtype_name(part.dtype) + " but shard " + first +
                       " holds " + dtype_name(out.dtype) + "; save every shard with the same dtype");
    const bool same_rest = part.shape.size() == out.shape.size() &&
                           std::equal(part.shape.begin() + 1, part.shape.end(), out.shape.begin() + 1);
    if (!same_rest) {
      auto width = [](const NpyArray& a) {
        return a.shape.size() == 1 ? std::string("1-D") : std::to_string(a.shape[1]) + " columns";
      };
      throw InputError(source + ": shard " + part.source + " has " + width(part) + " but shard " + first + " has " +
                       width(out) + "; every shard must have the same width");
    }
    out.shape[0] += part.shape[0];
    const std::span<const std::byte> more = part.data();
    out.bytes.insert(out.bytes.end(), more.begin(), more.end());
    out.strings.insert(out.strings.end(), std::make_move_iterator(part.strings.begin()),
                       std::make_move_iterator(part.strings.end()));
    part = NpyArray();
  }
  return out;
}

}  // namespace oodbench
