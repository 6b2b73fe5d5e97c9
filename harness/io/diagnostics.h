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

/// Sends every later diagnostic to `sink` (nullptr: drops them) and returns the sink it replaces, for restoring it.
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

/// Installs a sink for as long as it lives, then puts back the one it replaced.
class ScopedDiagnosticSink {
 public:
  explicit ScopedDiagnosticSink(DiagnosticSink sink) : previous_(set_diagnostic_sink(std::move(sink))) {}
  ~ScopedDiagnosticSink() { set_diagnostic_sink(std::move(previous_)); }
  ScopedDiagnosticSink(const ScopedDiagnosticSink&) = delete;
  ScopedDiagnosticSink& operator=(const ScopedDiagnosticSink&) = delete;

 private:
  DiagnosticSink previous_;
};

}  // namespace oodbench
