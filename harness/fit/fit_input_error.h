// Which input of a fit is missing or wrong, as a structured error: the layers below the front ends say what is wrong
// without naming a command-line option, a Python argument or a config key, and each front end words the input.
#pragma once

#include <string>

#include "kernels/error.h"

namespace oodbench {

/// The inputs a fit is assembled from. `fit_labels`: class labels of the rows a fit uses, from ID val or ID train.
enum class FitInput { train, labels, fit_labels, head, val, val_labels };

/// A missing or inconsistent fit input: an InputError whose what() says what is wrong, and which input it is.
/// How a front end tells its user to give each input, for messages saying what to add ("--val", "val=...",
/// "val.features"); empty for an input the caller always gives.
struct FitInputAdvice {
  std::string labels, fit_labels, head, validation;

  std::string of(FitInput input) const {
    switch (input) {
      case FitInput::labels: return labels;
      case FitInput::fit_labels: return fit_labels;
      case FitInput::head: return head;
      case FitInput::val: return validation;
      default: return "";
    }
  }
};

class FitInputError : public InputError {
 public:
  FitInputError(FitInput input, const std::string& what) : InputError(what), input_(input) {}
  FitInput input() const { return input_; }

 private:
  FitInput input_;
};

}  // namespace oodbench
