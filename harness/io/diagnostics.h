// Where every message that is not an error goes: notes (a squeezed shape, a dropped index column), warnings (a
// singular covariance, a stale record) and status lines (a sweep's plan, records moved aside). Every layer says them
// here and none writes to stderr itself; the front end decides where they go: stderr by default (the CLI), Python's
// stderr for notes (the module), a line of its own above a sweep's in-place progress line (Progress).
#pragma once

#include <functional>
#include <string>

namespace oodbench {

enum class DiagnosticKind { note, warning, status };
using DiagnosticSink = std::function<void(DiagnosticKind kind, const std::string& text)>;

/// Sends every later diagnostic of the process to `sink` (nullptr: drops them) and returns the sink it replaces: what
/// a front end installs once (the Python module at import). A thread's ScopedDiagnosticSink comes before it.
DiagnosticSink set_diagnostic_sink(DiagnosticSink sink);
/// The sink that writes diagnostic_line to stderr: the default.
DiagnosticSink stderr_diagnostics();
/// How a diagnostic reads as a line: "oodbench: note: <text>", "oodbench: warning: <text>", "oodbench: <text>".
std::string diagnostic_line(DiagnosticKind kind, const std::string& text);

/// Not a problem, but worth knowing (a squeezed shape, labels read as integers).
void note(const std::string& text);
/// A result may not be what the user expects (a singular covariance, a record that could not be read).
void warn(const std::string& text);
/// What a long command is doing (a sweep's plan, records moved aside).
void inform(const std::string& text);

/// Takes this thread's diagnostics for as long as it lives (a sweep's progress line, a test capturing them), then
/// gives them back to the scope it replaced. Per thread, so that two sweeps run from two Python threads neither see
/// each other's sink nor restore one that is gone.
class ScopedDiagnosticSink {
 public:
  explicit ScopedDiagnosticSink(DiagnosticSink sink);
  ~ScopedDiagnosticSink();
  ScopedDiagnosticSink(const ScopedDiagnosticSink&) = delete;
  ScopedDiagnosticSink& operator=(const ScopedDiagnosticSink&) = delete;

  /// Sends a diagnostic where it would go without this scope: the enclosing scope's sink, else the process's.
  void pass_on(DiagnosticKind kind, const std::string& text) const;
  void operator()(DiagnosticKind kind, const std::string& text) const {
    if (sink_) sink_(kind, text);
  }

 private:
  DiagnosticSink sink_;
  const ScopedDiagnosticSink* enclosing_;
};

}  // namespace oodbench
