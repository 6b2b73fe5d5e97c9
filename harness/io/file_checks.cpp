#include "harness/io/file_checks.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

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

namespace {

namespace fs = std::filesystem;

/// What a file of mode `mode` is, for "<path>: is a FIFO".
std::string kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

/// The pid of a temporary file name <name>.tmp.<pid>, or 0 when `name` is not one.
pid_t temporary_pid(const std::string& name) {
  const auto at = name.rfind(".tmp.");
  if (at == std::string::npos || at == 0) return 0;
  const char* first = name.data() + at + 5;
  const char* last = name.data() + name.size();
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(first, last, pid);
  return ec == std::errc() && end == last && pid > 0 ? pid : 0;
}

}  // namespace

void throw_system_error(const std::string& message, int err) {
  const std::string text = message + " (" + std::strerror(err) + ")";
  if (err == ENOENT) throw InputError(text);
  throw FileSystemError(text, err);
}

void require_regular_file(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) throw InputError(path + ": no such file");
    throw_system_error(path + ": cannot open", errno);
  }
  if (!S_ISREG(st.st_mode)) throw InputError(path + ": is " + kind_of(st.st_mode) + ", not a file");
}

bool file_exists(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT) return false;
  throw_system_error(path + ": cannot open", errno);
}

void require_result_folder(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) throw InputError(path + ": no such result folder");
    throw_system_error(path + ": cannot open the result folder", errno);
  }
  if (!S_ISDIR(st.st_mode)) throw InputError(path + ": is " + kind_of(st.st_mode) + ", not a result folder");
  if (::access(path.c_str(), R_OK | X_OK) != 0) throw_system_error(path + ": cannot read the result folder", errno);
}

void check_output_file(const std::string& path) {
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw_system_error(path + ": cannot write", errno);
  }
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    const fs::path target = fs::read_symlink(path, ec);
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT)
        throw InputError(path + ": is a symbolic link to " + target.string() + ", which does not exist; remove the "
                         "link or give another file name");
      throw_system_error(path + ": cannot write", errno);
    }
  }
  if (!S_ISREG(st.st_mode))
    throw InputError(path + ": exists and is " + kind_of(st.st_mode) + ", not a regular file, so it is not replaced; "
                     "give a file name");
}

std::string temporary_name(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

std::size_t remove_stale_temporaries(const fs::path& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const pid_t pid = temporary_pid(it->path().filename().string());
    if (pid == 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == 0 || errno == EPERM) continue;  // its writer may still be at work
    std::error_code removing;
    if (it->is_regular_file(removing) && fs::remove(it->path(), removing)) ++removed;
  }
  return removed;
}

}  // namespace oodbench
