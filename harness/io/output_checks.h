// Refusing, before any work, outputs that cannot be written or would replace an input or another output. The
// checks name files only; a front end words what they find in its own terms (cli/output_options.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace oodbench {

/// Refuses early (before any work) when `path` cannot be written: its directory is missing or not writable.
void check_writable(const std::string& path);

/// An output path that is a file the same command reads or writes earlier.
struct OutputClash {
  std::size_t output = 0;                    ///< which of the outputs
  std::optional<std::size_t> input;          ///< the input spec it is, or else
  std::size_t earlier_output = 0;            ///< the earlier output it is
};

/// The first output of `output_paths` that is one of the files `input_specs` read (array specs: their file parts,
/// symbolic links and ./ spellings resolved) or that an earlier output names too; nothing when all are distinct.
std::optional<OutputClash> find_output_clash(const std::vector<std::string>& output_paths,
                                             const std::vector<std::string>& input_specs);

}  // namespace oodbench
