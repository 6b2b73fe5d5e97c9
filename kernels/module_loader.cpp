#include "kernels/module_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

#include "kernels/join.h"

namespace oodbench {
namespace {

/// The folder of the binary or shared object this code was linked into.
std::filesystem::path own_folder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&module_entry), &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  const auto path = std::filesystem::canonical(info.dli_fname, ec);
  return ec ? std::filesystem::path{} : path.parent_path();
}

std::vector<std::filesystem::path> module_folders() {
  std::vector<std::filesystem::path> folders;
  if (const char* dir = std::getenv("OODBENCH_MODULE_DIR"); dir != nullptr && *dir != '\0') folders.emplace_back(dir);
  if (const auto own = own_folder(); !own.empty()) folders.push_back(own.parent_path() / "lib");
  folders.emplace_back(OODBENCH_MODULE_BUILD_DIR);
  return folders;
}

}  // namespace

void* module_entry_at(const std::string& path, const char* symbol, std::string* why) {
  static std::mutex mutex;
  static std::map<std::string, void*> handles;  // never closed: objects made by a module live in its code
  const std::lock_guard lock(mutex);
  void*& handle = handles[path];
  if (handle == nullptr) handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    *why = std::string("cannot load ") + dlerror();
    return nullptr;
  }
  void* entry = dlsym(handle, symbol);
  if (entry == nullptr) *why = path + " is not an oodbench module (no " + symbol + ")";
  return entry;
}

void* module_entry(const std::string& file, const char* symbol, std::string* why) {
  std::vector<std::string> looked;
  for (const auto& folder : module_folders()) {
    const auto path = folder / file;
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return module_entry_at(path.string(), symbol, why);
    looked.push_back(path.string());
  }
  *why = file + " was not found (looked for " + join(looked) + "); set OODBENCH_MODULE_DIR to the folder holding it";
  return nullptr;
}

}  // namespace oodbench
