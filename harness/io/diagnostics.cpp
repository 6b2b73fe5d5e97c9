#include "harness/io/diagnostics.h"

#include <iostream>
#include <mutex>
#include <utility>

namespace oodbench {
namespace {

std::mutex process_sink_mutex;

DiagnosticSink& process_sink() {
  static DiagnosticSink sink = stderr_diagnostics();
  return sink;
}

/// A copy taken under the lock: a front end may install its sink while another thread says something.
void emit_to_process(DiagnosticKind kind, const std::string& text) {
  DiagnosticSink sink;
  {
    const std::lock_guard lock(process_sink_mutex);
    sink = process_sink();
  }
  if (sink) sink(kind, text);
}

thread_local const ScopedDiagnosticSink* thread_scope = nullptr;

void emit(DiagnosticKind kind, const std::string& text) {
  if (thread_scope) (*thread_scope)(kind, text);
  else emit_to_process(kind, text);
}

}  // namespace

DiagnosticSink set_diagnostic_sink(DiagnosticSink sink) {
  const std::lock_guard lock(process_sink_mutex);
  return std::exchange(process_sink(), std::move(sink));
}

ScopedDiagnosticSink::ScopedDiagnosticSink(DiagnosticSink sink) : sink_(std::move(sink)), enclosing_(thread_scope) {
  thread_scope = this;
}

ScopedDiagnosticSink::~ScopedDiagnosticSink() { thread_scope = enclosing_; }

void ScopedDiagnosticSink::pass_on(DiagnosticKind kind, const std::string& text) const {
  if (enclosing_) (*enclosing_)(kind, text);
  else emit_to_process(kind, text);
}

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
