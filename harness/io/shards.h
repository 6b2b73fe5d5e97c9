// Shards: an array split over several files named by a glob (`train/*.npy`, `emb-*.h5:/x`), read as one array: the
// files in sorted (byte-wise) order, concatenated along the first axis, their other extents and dtypes checked.
#pragma once

#include <string>
#include <vector>

#include "harness/io/npy.h"

namespace oodbench {

/// Whether a path holds a glob character (*, ? or [).
bool is_glob(const std::string& path);
/// The files matching `pattern`, sorted byte-wise; an InputError when none does.
std::vector<std::string> expand_glob(const std::string& pattern);
/// The shards (already squeezed to 1-D or 2-D) concatenated along axis 0. A dtype or width that differs from the first
/// shard's is an InputError naming both shards.
NpyArray concatenate_shards(std::vector<NpyArray> shards, const std::string& source);

}  // namespace oodbench
