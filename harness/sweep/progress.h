// Progress of a sweep on stderr: on a terminal one line rewritten in place (cells done / total, ETA); otherwise one
// plain log line per finished cell, which is what a Slurm log or CI output wants.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "harness/io/diagnostics.h"

namespace oodbench {

class Progress {
 public:
  /// `total` cells to run in this process; `quiet` prints nothing. While it lives, every diagnostic (diagnostics.h:
  /// a warning, a skipped cell), also when quiet, is a line of its own: on a terminal it replaces the in-place line,
  /// which the next cell writes again; it then goes where diagnostics went before. Only this thread's diagnostics:
  /// a sweep says them on the thread that runs it.
  Progress(std::size_t total, bool quiet);
  void cell_done(const std::string& what, double seconds);
  /// Ends the in-place line.
  void finish();

 private:
  std::size_t total_;
  std::size_t done_ = 0;
  bool quiet_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  ScopedDiagnosticSink diagnostics_;  // last: its sink reads the members above
};

/// Seconds as "1:05" or "1:02:03".
std::string clock_text(double seconds);

}  // namespace oodbench
