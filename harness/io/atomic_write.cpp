#include "harness/io/atomic_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "harness/io/file_checks.h"
#include "kernels/error.h"

namespace oodbench {

void write_text_atomic(const std::string& path, std::string_view text) {
  write_file_atomic(path, std::as_bytes(std::span(text.data(), text.size())));
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
