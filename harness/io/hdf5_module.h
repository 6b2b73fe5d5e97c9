// The HDF5 reader as a module, liboodbench_hdf5.so (kernels/module_loader.h): libhdf5 and what it pulls in (curl,
// TLS, Kerberos...) are a third of a process's libraries, loaded only when an .h5 input is read.
#pragma once

#include <string>
#include <vector>

#include "harness/io/npy.h"
#include "kernels/module_loader.h"

namespace oodbench {

inline constexpr const char* kHdf5ModuleFile = "liboodbench_hdf5.so";
/// Bumped whenever this struct or NpyArray changes, so a module from another build is refused.
inline constexpr int kHdf5ModuleVersion = 1;

/// hdf5_reader.h's functions, as the module implements them.
struct Hdf5Module {
  int version;
  std::vector<std::string> (*datasets)(const std::string& path);
  NpyArray (*load)(const std::string& path, const std::string& name);
  void (*check)(const std::string& path, const std::string& name);
};

}  // namespace oodbench

OODBENCH_MODULE_ENTRY const oodbench::Hdf5Module* oodbench_hdf5_module();
