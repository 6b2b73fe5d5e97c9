#include "harness/cli/output_options.h"

#include <optional>

#include "harness/io/output_checks.h"
#include "kernels/error.h"

namespace oodbench {

void check_outputs_distinct(const std::vector<NamedOutput>& outputs, const std::vector<std::string>& input_specs) {
  std::vector<std::string> paths;
  for (const NamedOutput& out : outputs) paths.push_back(out.path);
  const std::optional<OutputClash> clash = find_output_clash(paths, input_specs);
  if (!clash) return;
  const NamedOutput& out = outputs[clash->output];
  const std::string what = clash->input ? "the input " + input_specs[*clash->input]
                                        : "also the output of an earlier " + outputs[clash->earlier_output].option;
  throw InputError(out.option + " " + out.path + ": is " + what + ", which writing it would replace; give " +
                   out.option + " a file name of its own");
}

}  // namespace oodbench
