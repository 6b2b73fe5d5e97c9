#include "harness/sweep/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace oodbench {

std::string clock_text(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char out[32];
  if (s >= 3600) std::snprintf(out, sizeof out, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(out, sizeof out, "%ld:%02ld", s / 60, s % 60);
  return out;
}

Progress::Progress(std::size_t total, bool quiet)
    : total_(total),
      quiet_(quiet),
      terminal_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      diagnostics_([this](DiagnosticKind kind, const std::string& text) {
        if (terminal_ && !quiet_ && done_ > 0) std::cerr << "\r\033[K" << std::flush;
        diagnostics_.pass_on(kind, text);
      }) {}

void Progress::cell_done(const std::string& what, double seconds) {
  ++done_;
  if (quiet_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double eta = elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_);
  char head[64];
  std::snprintf(head, sizeof head, "[%zu/%zu] %3.0f%%", done_, total_, 100.0 * static_cast<double>(done_) / static_cast<double>(total_));
  if (terminal_) {
    std::string line = std::string(head) + "  elapsed " + clock_text(elapsed) + "  ETA " + clock_text(eta) + "  " + what;
    if (line.size() > 110) line.resize(110);
    std::cerr << "\r\033[K" << line << std::flush;
  } else {
    char took[32];
    std::snprintf(took, sizeof took, "%.2f s", seconds);
    std::cerr << "oodbench: " << head << " " << what << " (" << took << ", ETA " << clock_text(eta) << ")\n";
  }
}

void Progress::finish() {
  if (!quiet_ && terminal_ && done_ > 0) std::cerr << '\n';
}

}  // namespace oodbench
