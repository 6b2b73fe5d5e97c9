// The linear probe kept in files, so that a second run on the same train data reads the head instead of training it
// again. A file is named by a content hash of everything the head depends on (train features and labels, class
// count, the probe's options, the solver's version, and the device when it is a GPU) and holds that key in full, the
// float32 head exactly as trained and its report; a hit is therefore bit-identical to training on that device. A file
// that cannot be read, or that belongs to other inputs, is ignored and replaced: the cache never changes a result, it
// only skips work.
#pragma once

#include <string>

#include "harness/fit/linear_head.h"

namespace oodbench {

/// Bumped whenever the solver could end at other float32 bits (its path, its start, its stopping rule), so that no
/// cache file from another solver is read.
inline constexpr int kProbeSolverVersion = 2;

struct CachedProbe {
  LinearHead head;
  ProbeReport report;
  std::string file;         ///< the cache file read or written; empty when `dir` was empty
  bool trained = false;     ///< false: read from `file`
  std::string write_error;  ///< why the trained head could not be written to `file` (the head is fine)
};

/// The probe of train_linear_probe, read from `dir`/probe-<hash>.npz when a valid file for exactly these inputs is
/// there, else trained on `backend` and written there atomically (creating `dir`). An empty `dir` only trains. The
/// CPU and the GPU keep separate files (a GPU-trained head is not the CPU's bits), so a hit is always the bits this
/// backend would train.
CachedProbe cached_linear_probe(const std::string& dir, const Matrix<float>& features,
                                const std::vector<std::int32_t>& labels, std::size_t classes,
                                const ProbeOptions& options, const Backend& backend);

}  // namespace oodbench
