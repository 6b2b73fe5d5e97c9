// Report file names from labels and set names ("mars (diagonal)" -> "mars__diagonal_"): letters, digits and '-'
// kept, everything else '_', so every name is safe on any file system and in LaTeX labels.
#pragma once

#include <cctype>
#include <string>

namespace oodbench {

inline std::string file_name_part(std::string text) {
  for (char& c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
  return text;
}

}  // namespace oodbench
