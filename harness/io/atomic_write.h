// Writing results atomically: a reader sees the old file or the whole new one, never a part, and a failure leaves
// no temporary file behind.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oodbench {

/// Writes `bytes` to `path` atomically: a temporary file in the same directory (<path>.tmp.<pid>), fsync, then
/// rename. A reader sees the old file or the whole new one, never a part. A symbolic link is written through (the
/// file it names is replaced, the link stays); a path that is a device, a FIFO, a folder or a link to nothing is
/// refused (check_output_file). Failures are InputErrors naming the path (FileSystemErrors for the OS's reasons:
/// no space left, permission denied), and leave no temporary file.
void write_file_atomic(const std::string& path, std::span<const std::byte> bytes);
/// write_file_atomic for several files, all or none: every file is written to its temporary file first, and only
/// when all are written are they renamed into place. A failure (a disk with room for one of two) leaves none.
void write_files_atomic(const std::vector<std::pair<std::string, std::span<const std::byte>>>& files);
/// write_file_atomic for text.
void write_text_atomic(const std::string& path, std::string_view text);

/// Writes all of `bytes` to the open file `fd` and syncs it to disk; otherwise an InputError "<path>: <failure>
/// (<reason>)" (the caller closes `fd`).
void write_all_synced(int fd, std::span<const std::byte> bytes, const std::string& path,
                      const std::string& failure = "write failed");

}  // namespace oodbench
