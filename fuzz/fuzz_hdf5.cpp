// libFuzzer target: our HDF5 wrapper, not libhdf5's file parser (a hostile HDF5 file is libhdf5's to survive). The
// input describes a well-formed file: the dataset's type (float16/32/64, integers of every width, fixed or
// variable strings, compound, enum), rank 0..5 and extents, chunking and gzip, the name it is stored under and the
// name asked for (groups, missing paths, empty). The file is written with libhdf5 and read back through
// load_array/check_array_exists: any outcome but an array or an InputError is a bug.
#include <hdf5.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/io/diagnostics.h"
#include "harness/io/load_array.h"
#include "kernels/error.h"

namespace {

struct Input {
  const std::uint8_t* data;
  std::size_t size, at = 0;
  std::uint8_t byte() { return at < size ? data[at++] : 0; }
  std::string name() {  // a short path of letters and slashes
    std::string out;
    const std::size_t n = byte() % 8;
    for (std::size_t i = 0; i < n; ++i) out += "/ab:xg"[byte() % 6];
    return out;
  }
};

hid_t file_type(std::uint8_t kind) {
  switch (kind % 12) {
    case 0: { hid_t t = H5Tcopy(H5T_IEEE_F32LE); H5Tset_fields(t, 15, 10, 5, 0, 10); H5Tset_size(t, 2);
              H5Tset_ebias(t, 15); return t; }  // binary16, as h5py writes it
    case 1: return H5Tcopy(H5T_IEEE_F32LE);
    case 2: return H5Tcopy(H5T_IEEE_F64BE);
    case 3: return H5Tcopy(H5T_STD_I8LE);
    case 4: return H5Tcopy(H5T_STD_U16BE);
    case 5: return H5Tcopy(H5T_STD_I32LE);
    case 6: return H5Tcopy(H5T_STD_U64LE);
    case 7: { hid_t t = H5Tcopy(H5T_C_S1); H5Tset_size(t, 5); return t; }
    case 8: { hid_t t = H5Tcopy(H5T_C_S1); H5Tset_size(t, H5T_VARIABLE); return t; }
    case 9: { hid_t t = H5Tcreate(H5T_COMPOUND, 8); H5Tinsert(t, "a", 0, H5T_NATIVE_FLOAT);
              H5Tinsert(t, "b", 4, H5T_NATIVE_INT); return t; }
    case 10: { hid_t t = H5Tenum_create(H5T_NATIVE_INT8); std::int8_t v = 0; H5Tenum_insert(t, "no", &v); v = 1;
               H5Tenum_insert(t, "yes", &v); return t; }
    default: return H5Tcopy(H5T_STD_I64BE);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  oodbench::set_diagnostic_sink(nullptr);  // notes (a squeezed shape, a dropped index column) are not faults
  static const std::string path = "/tmp/oodbench-fuzz-" + std::to_string(::getpid()) + ".h5";
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Input in{data, size};
  const hid_t type = file_type(in.byte());
  const int rank = in.byte() % 6;
  hsize_t dims[5] = {}, chunk[5] = {};
  std::size_t elements = 1;
  for (int i = 0; i < rank; ++i) {
    dims[i] = in.byte() % 7;
    chunk[i] = dims[i] ? 1 + in.byte() % dims[i] : 1;
    elements *= dims[i];
  }
  const std::uint8_t flags = in.byte();
  std::string stored = in.name(), asked = in.name();
  if (stored.empty() || stored == "/") stored = "/x";

  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, nullptr);
  const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if ((flags & 1) && rank > 0 && elements > 0) {
    H5Pset_chunk(dcpl, rank, chunk);
    if (flags & 2) H5Pset_deflate(dcpl, 1);
  }
  const hid_t dataset = H5Dcreate2(file, stored.c_str(), type, space, lcpl, dcpl, H5P_DEFAULT);
  if (dataset >= 0 && H5Tget_class(type) != H5T_STRING && elements > 0) {  // fill from the rest of the input
    std::vector<std::uint8_t> buffer(elements * H5Tget_size(type));
    for (auto& b : buffer) b = in.byte();
    H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data());
  }
  if (dataset >= 0) H5Dclose(dataset);
  H5Pclose(dcpl);
  H5Pclose(lcpl);
  H5Sclose(space);
  H5Tclose(type);
  H5Fclose(file);
  H5Eclear2(H5E_DEFAULT);

  const std::string spec = path + (flags & 4 ? "" : ":" + asked);
  try { oodbench::check_array_exists(spec); } catch (const oodbench::InputError&) {}
  try {
    const oodbench::NpyArray a = oodbench::load_array(spec);
    try { (void)oodbench::to_features(a); } catch (const oodbench::InputError&) {}
    try { (void)oodbench::to_raw_labels(a); } catch (const oodbench::InputError&) {}
  } catch (const oodbench::InputError&) {
  }
  return 0;
}
