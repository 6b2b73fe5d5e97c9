#include "harness/io/file_map.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "harness/io/file_checks.h"
#include "kernels/error.h"

namespace oodbench {

std::optional<FileMap> map_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_system_error(path + ": cannot open the array file", errno);
  struct stat st{};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
  const auto size = regular ? static_cast<std::size_t>(st.st_size) : 0;
  void* map = regular ? ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (map == MAP_FAILED) return std::nullopt;
  std::shared_ptr<const void> owner(map, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  return FileMap{std::move(owner), std::span(static_cast<const std::byte*>(map), size)};
}

bool view_in_place(NpyArray& a, const FileMap& map, std::size_t offset, std::size_t size) {
  if (offset > map.bytes.size() || size > map.bytes.size() - offset) return false;
  a.bytes.clear();
  a.owner = map.owner;
  a.view = map.bytes.subspan(offset, size);
  a.file_map = true;
  // Read once, front to back, by to_features: ask for read-ahead (advice applies to whole pages around the range).
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto start = reinterpret_cast<std::uintptr_t>(a.view.data()) / page * page;
  const auto end = reinterpret_cast<std::uintptr_t>(a.view.data() + size);
  if (end > start) ::madvise(reinterpret_cast<void*>(start), end - start, MADV_SEQUENTIAL);
  return true;
}

}  // namespace oodbench
