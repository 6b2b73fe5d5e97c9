// Error types shared by every layer. The CLI maps InputError to exit code 2 (bad input, nothing written).
#pragma once

#include <stdexcept>
#include <string>

namespace oodbench {

/// Bad input from the user: a malformed file, a wrong parameter, an impossible request. Exit code 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A requested device cannot be used (e.g. `--device cuda` with no usable GPU). Also exit code 2.
class DeviceError : public InputError {
 public:
  using InputError::InputError;
};

}  // namespace oodbench
