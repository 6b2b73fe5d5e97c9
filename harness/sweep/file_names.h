// Report file names from labels and set names ("mars (diagonal)" -> "mars__diagonal_"): letters, digits and '-'
// kept, everything else '_', so every name is safe on any file system and in LaTeX labels. Cleaning loses
// characters, so two names can clean alike: detector labels that do are told apart by a hash suffix
// (label_file_parts); datasets, OOD sets and any other clash of whole file names are refused by `validate`.
#pragma once

#include <cctype>
#include <map>
#include <set>
#include <string>

namespace oodbench {

inline std::string file_name_part(std::string text) {
  for (char& c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
  return text;
}

/// The file name part of each of `labels`: file_name_part(label), except that labels which clean to the same part
/// ("mahalanobis++" and "mahalanobis**") each get "-" and 6 hex digits of a hash of the label itself, so that two
/// distinct labels never share a plot. A label that cleans to a part of its own keeps today's name.
std::map<std::string, std::string> label_file_parts(const std::set<std::string>& labels);

}  // namespace oodbench
