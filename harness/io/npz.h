// NumPy .npz archives (numpy.savez and savez_compressed): a zip of .npy members, one per array name.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/io/npy.h"
#include "kernels/matrix.h"

namespace oodbench {

/// The array names in an .npz archive (member names without ".npy"), in archive order.
std::vector<std::string> npz_keys(const std::string& path);

/// Reads array `key` from an .npz archive. An empty key is allowed when the archive holds exactly one array.
/// A missing file, a corrupt archive or an unknown key is an InputError that names the file (and the keys present).
NpyArray load_npz_member(const std::string& path, const std::string& key);
/// The member as float32 features, decompressed straight into the matrix a block at a time (feature_reader.h);
/// nullopt when it holds anything but plain 2-D float data (load_npz_member then reads and explains it).
std::optional<Matrix<float>> read_npz_features(const std::string& path, const std::string& key);

/// Writes a .npz archive (numpy.load reads it) of already-encoded .npy members, atomically (temporary file, then
/// rename). Failures are InputErrors naming the path. `compress = false` stores the members as they are: float data
/// deflates slowly and little (numpy.savez does the same), so model files are stored.
void write_npz(const std::string& path, const std::vector<std::pair<std::string, std::vector<std::byte>>>& members,
               bool compress = true);

}  // namespace oodbench
