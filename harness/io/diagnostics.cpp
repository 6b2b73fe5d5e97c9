#include "harness/io/diagnostics.h"

#include <iostream>
#include <utility>

namespace oodbench {
namespace {

DiagnosticSink& current_sink() {
  static DiagnosticSink sink = stderr_diagnostics();
  return sink;
}

void emit(DiagnosticKind kind, const std::string& text) {
  if (const DiagnosticSink& sink = current_sink()) sink(kind, text);
}

}  // namespace

DiagnosticSink set_diagnostic_sink(DiagnosticSink sink) { return std::exchange(current_sink(), std::move(sink)); }

DiagnosticSink stderr_diagnostics() {
  return [](DiagnosticKind kind, const std::string& text) { std::cerr << diagnostic_line(kind, text) << '\n'; };
}

std::string diagnostic_line(DiagnosticKind kind, const std::string& text) {
  switch (kind) {
    case DiagnosticKind::note: return "oodbench: note: " + text;
    case DiagnosticKind::warning: return "oodbench: warning: " + text;
    case DiagnosticKind::status: break;
  }
  return "oodbench: " + text;
}

void note(const std::string& text) { emit(DiagnosticKind::note, text); }
void warn(const std::string& text) { emit(DiagnosticKind::warning, text); }
void inform(const std::string& text) { emit(DiagnosticKind::status, text); }

}  // namespace oodbench
