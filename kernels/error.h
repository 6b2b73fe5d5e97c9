// Error types shared by every layer. The CLI maps InputError to exit code 2 (bad input, nothing written).
#pragma once

#include <stdexcept>
#include <string>

namespace oodbench {

/// `text` with every control byte but newline and tab written as \xNN: a message that quotes bytes read from a file
/// (a NUL in a CSV field) is then printed whole, and never moves a terminal's cursor or stops at the NUL.
inline std::string printable_message(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n' && c != '\t') || byte == 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

/// Bad input from the user: a malformed file, a wrong parameter, an impossible request. Exit code 2. The message is
/// made printable (printable_message).
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(printable_message(what)) {}
};

/// A file system call on a path the user named failed for a reason other than the name (permission denied, no space
/// left, a loop of symbolic links, a component that is not a directory): exit code 2 like bad input, but an OSError
/// carrying `code` (the errno) in Python, not a ValueError. A missing file stays an InputError: a mistyped name.
class FileSystemError : public InputError {
 public:
  FileSystemError(const std::string& what, int code) : InputError(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

/// A fit or a score gave NaN or Inf from finite inputs: their magnitudes overflowed the arithmetic. Exit code 2, with
/// what overflowed and the advice to rescale the features.
class NonFiniteError : public InputError {
 public:
  using InputError::InputError;
};

/// A requested device cannot be used (e.g. `--device cuda` with no usable GPU). Also exit code 2.
class DeviceError : public InputError {
 public:
  using InputError::InputError;
};

}  // namespace oodbench
