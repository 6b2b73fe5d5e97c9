// Optional heavy dependencies (CUDA, HDF5, librsvg/cairo) live in modules, liboodbench_<name>.so, that are opened
// only when their work is asked for, so a run that does not need them does not spend its start-up loading them.
// Each module exports one C function returning a struct whose first member is its interface version.
#pragma once

#include <string>

namespace oodbench {

/// The entry function `symbol` of module `file` (e.g. "liboodbench_hdf5.so"), looked for in $OODBENCH_MODULE_DIR,
/// then in ../lib/ beside the binary or Python module holding this code, then in the build's lib/ folder; null,
/// with the reason in `why`, when it cannot be found or loaded. A module is loaded once and never closed.
void* module_entry(const std::string& file, const char* symbol, std::string* why);

/// The same for a module at an exact path.
void* module_entry_at(const std::string& path, const char* symbol, std::string* why);

/// The interface an `entry` found above returns (`const Interface*`), checked against the version this build expects;
/// null, with the reason in `why`, when `entry` is null or the module comes from another build.
template <class Interface>
const Interface* module_interface(void* entry, const std::string& name, int version, std::string* why) {
  if (entry == nullptr) return nullptr;
  const Interface* interface = reinterpret_cast<const Interface* (*)()>(entry)();
  if (interface->version != version) {
    *why = name + " comes from another oodbench build (interface " + std::to_string(interface->version) +
           ", this build needs " + std::to_string(version) + "); rebuild it, or point OODBENCH_MODULE_DIR elsewhere";
    return nullptr;
  }
  return interface;
}

}  // namespace oodbench

/// Marks a module's entry function: the only symbol a module exports (modules build with hidden visibility).
#define OODBENCH_MODULE_ENTRY extern "C" __attribute__((visibility("default")))
