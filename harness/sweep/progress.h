// Progress of a sweep on stderr: on a terminal one line rewritten in place (cells done / total, ETA); otherwise one
// plain log line per finished cell, which is what a Slurm log or CI output wants.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace oodbench {

class Progress {
 public:
  /// `total` cells to run in this process; `quiet` prints nothing.
  Progress(std::size_t total, bool quiet);
  void cell_done(const std::string& what, double seconds);
  /// A line of its own (a warning, a skipped cell), also when quiet: on a terminal it replaces the in-place line,
  /// which the next cell writes again.
  void say(const std::string& line) const;
  /// Ends the in-place line.
  void finish();

 private:
  std::size_t total_;
  std::size_t done_ = 0;
  bool quiet_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
};

/// Seconds as "1:05" or "1:02:03".
std::string clock_text(double seconds);

}  // namespace oodbench
