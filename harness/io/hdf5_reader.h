// HDF5 datasets (`file.h5:/group/dataset`) through Debian's libhdf5: float16/32/64, integer and string datasets,
// contiguous, chunked or compressed. An uncompressed contiguous numeric dataset in native byte order is viewed in a
// private read-only map of the file, like .npy; the rest is read with H5Dread. libhdf5's own error printing is
// switched off; its faults become InputErrors naming the file and the dataset.
#pragma once

#include <string>
#include <vector>

#include "harness/io/npy.h"

namespace oodbench {

/// Paths of every dataset in the file ("/group/emb"), in name order.
std::vector<std::string> hdf5_datasets(const std::string& path);
/// Reads dataset `name` ("/x" or "x"; empty when the file holds exactly one dataset).
NpyArray load_hdf5(const std::string& path, const std::string& name);
/// Checks, without reading the data, that `path` is an HDF5 file holding dataset `name` of a readable type.
void check_hdf5_dataset(const std::string& path, const std::string& name);

}  // namespace oodbench
