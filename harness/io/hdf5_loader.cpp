// hdf5_reader.h's functions through the HDF5 module (harness/io/hdf5_module.h), opened on the first HDF5 input.
#include "harness/io/hdf5_module.h"
#include "harness/io/hdf5_reader.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

const Hdf5Module& module(const std::string& path) {
  static std::string why_not;
  static const Hdf5Module* const loaded = module_interface<Hdf5Module>(
      module_entry(kHdf5ModuleFile, "oodbench_hdf5_module", &why_not), kHdf5ModuleFile, kHdf5ModuleVersion, &why_not);
  if (loaded == nullptr) throw InputError(path + ": cannot read HDF5 files: " + why_not);
  return *loaded;
}

}  // namespace

std::vector<std::string> hdf5_datasets(const std::string& path) { return module(path).datasets(path); }
NpyArray load_hdf5(const std::string& path, const std::string& name) { return module(path).load(path, name); }
void check_hdf5_dataset(const std::string& path, const std::string& name) { module(path).check(path, name); }

}  // namespace oodbench
