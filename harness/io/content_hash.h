// Content hashes of the arrays a run reads (xxHash's XXH3, 64 bits): what a sweep cell's id covers, so that editing
// a file in place reruns the cells that read it and touching it without a change reruns nothing. The hash covers
// the data as read (after dtype conversion) and its shape, not the file's bytes: the same numbers in .npy or .npz
// give the same hash.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/matrix.h"

namespace oodbench {

/// "xxh3:" and 16 hex digits over the shape and the elements of `m`.
std::string content_hash(const Matrix<float>& m);
/// The same for a 1-D array of labels.
std::string content_hash(std::span<const std::int32_t> labels);
/// The same for a 1-D array of scores.
std::string content_hash(std::span<const double> scores);
/// The same over the bytes of `text`: one hash of several others (a model file's training inputs).
std::string content_hash(std::string_view text);
/// The same over the labels and `extra` (a remapped labelling's mapping, as JSON text).
std::string content_hash(std::span<const std::int32_t> labels, const std::string& extra);

}  // namespace oodbench
