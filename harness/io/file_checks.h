// What the file system says about a path the user named, in its own words: a missing file is "no such file", but a
// folder without permission, a loop of symbolic links or a full disk say so (errno kept, as a FileSystemError), and
// an output path that is a device, a FIFO or a folder is refused, never replaced. Also the sweep of temporary files
// (<name>.tmp.<pid>) that a killed process left behind.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace oodbench {

/// The whole file (text, or bytes for a binary reader). An InputError "<path>: cannot open <what> (<reason>)" when
/// it cannot be read.
std::string read_text_file(const std::string& path, const std::string& what = "the file");

/// Throws `message` + " (" + strerror(err) + ")": an InputError when `err` is ENOENT (a mistyped name), else a
/// FileSystemError carrying `err`.
[[noreturn]] void throw_system_error(const std::string& message, int err);

/// Refuses `path` unless it is a regular file (symbolic links followed): "<path>: no such file" when nothing is
/// there, the file system's reason when it cannot be looked at (permission denied, too many levels of symbolic
/// links, not a directory), and what it is otherwise ("is a directory", "is a FIFO").
void require_regular_file(const std::string& path);

/// Whether a file is at `path` (symbolic links followed): false when nothing is, the file system's reason (a
/// FileSystemError) when it cannot tell (permission denied, a loop of links).
bool file_exists(const std::string& path);

/// Refuses `path` unless it is a folder: "<path>: no such result folder", the file system's reason, or what it is.
void require_result_folder(const std::string& path);

/// Refuses an output file path (before anything is written) that exists and is not a regular file (a device, a
/// FIFO, a folder) or is a symbolic link to nothing, saying what it is; a path that does not exist, a regular file
/// and a link to one pass.
void check_output_file(const std::string& path);

/// The temporary file name write_file_atomic uses for `path` in this process: <path>.tmp.<pid>.
std::string temporary_name(const std::string& path);

/// Removes the temporary files (<name>.tmp.<pid>) in `dir` whose process is gone: what a killed writer left. Files of
/// live processes stay. Returns how many it removed.
std::size_t remove_stale_temporaries(const std::filesystem::path& dir);

}  // namespace oodbench
