// Outputs named by command-line options, refused in the command line's words before any work when one would replace
// an input or another output of the same command (io/output_checks.h finds the clash).
#pragma once

#include <string>
#include <vector>

namespace oodbench {

/// An output named by a command-line option: the option ("--out") and the path.
struct NamedOutput {
  std::string option, path;
};

/// Refuses early an output that is one of the files `input_specs` read (array specs: their file parts) or that an
/// earlier output names too: writing it would replace the user's data or another result of the same command.
void check_outputs_distinct(const std::vector<NamedOutput>& outputs, const std::vector<std::string>& input_specs);

}  // namespace oodbench
