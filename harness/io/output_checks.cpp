#include "harness/io/output_checks.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <utility>

#include "harness/io/array_spec.h"
#include "harness/io/file_checks.h"
#include "kernels/error.h"

namespace oodbench {

void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::absolute(fs::path(path)).parent_path();
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) throw InputError(path + ": output directory " + dir.string() + " does not exist");
    throw_system_error(path + ": output directory " + dir.string(), errno);
  }
  if (!S_ISDIR(st.st_mode)) throw InputError(path + ": " + dir.string() + " is not a directory");
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw InputError(path + ": is a directory, expected a file name");
  check_output_file(path);
  if (::access(dir.c_str(), W_OK) != 0)
    throw_system_error(path + ": output directory " + dir.string() + " is not writable", errno);
}

std::optional<OutputClash> find_output_clash(const std::vector<std::string>& output_paths,
                                             const std::vector<std::string>& input_specs) {
  namespace fs = std::filesystem;
  const auto identity = [](const std::string& path) {  // symbolic links and ./ spellings resolved
    std::error_code ec;
    const fs::path resolved = fs::weakly_canonical(fs::absolute(path), ec);
    return ec ? fs::absolute(path).lexically_normal() : resolved;
  };
  std::vector<std::pair<fs::path, OutputClash>> seen;  // each earlier file, and what a clash with it is
  for (std::size_t i = 0; i < input_specs.size(); ++i) {
    const ArraySpec parts = split_array_spec(input_specs[i]);
    if (!input_specs[i].empty() && !parts.glob) seen.emplace_back(identity(parts.path), OutputClash{0, i, 0});
  }
  for (std::size_t o = 0; o < output_paths.size(); ++o) {
    const fs::path id = identity(output_paths[o]);
    for (const auto& [earlier, clash] : seen) {
      if (id != earlier) continue;
      OutputClash found = clash;
      found.output = o;
      return found;
    }
    seen.emplace_back(id, OutputClash{0, std::nullopt, o});
  }
  return std::nullopt;
}

}  // namespace oodbench
