// The one diagnostics sink: notes, warnings and status lines reach the sink a front end installs, worded as the
// command line writes them, and a scoped sink puts the earlier one back.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness/io/diagnostics.h"
#include "harness/io/output_checks.h"

namespace oodbench {
namespace {

TEST(Diagnostics, ReachTheInstalledSinkAsTheCommandLineWritesThem) {
  std::vector<std::string> lines;
  {
    ScopedDiagnosticSink capture([&](DiagnosticKind kind, const std::string& text) {
      lines.push_back(diagnostic_line(kind, text));
    });
    note("x.npy: shape (3, 1, 4) read as (3, 4)");
    warn("knn: singular covariance");
    inform("quickstart: 4 cells");
    {
      std::vector<std::string> inner;
      ScopedDiagnosticSink nested([&](DiagnosticKind, const std::string& text) { inner.push_back(text); });
      warn("only the inner sink sees this");
      EXPECT_EQ(inner, std::vector<std::string>{"only the inner sink sees this"});
    }
    note("the outer sink again");
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"oodbench: note: x.npy: shape (3, 1, 4) read as (3, 4)",
                                             "oodbench: warning: knn: singular covariance",
                                             "oodbench: quickstart: 4 cells", "oodbench: note: the outer sink again"}));
}

// Two sweeps in two Python threads: each progress line's sink sees its own thread's diagnostics, and whichever ends
// first leaves the other's in place (a process-wide swap restored the sink of a sweep that had ended).
TEST(Diagnostics, AScopedSinkTakesOnlyItsOwnThreadsDiagnostics) {
  std::vector<std::string> first, second, process;
  DiagnosticSink before = set_diagnostic_sink([&](DiagnosticKind, const std::string& text) { process.push_back(text); });
  {
    ScopedDiagnosticSink mine([&](DiagnosticKind, const std::string& text) { first.push_back(text); });
    std::thread other([&] {
      ScopedDiagnosticSink theirs([&](DiagnosticKind kind, const std::string& text) {
        second.push_back(text);
        if (kind == DiagnosticKind::warning) theirs.pass_on(kind, text);  // to the process's sink
      });
      note("second thread");
      warn("passed on");
    });
    other.join();
    note("first thread");
  }
  note("no scope");
  set_diagnostic_sink(std::move(before));
  EXPECT_EQ(first, std::vector<std::string>{"first thread"});
  EXPECT_EQ(second, (std::vector<std::string>{"second thread", "passed on"}));
  EXPECT_EQ(process, (std::vector<std::string>{"passed on", "no scope"}));
}

TEST(Diagnostics, ANullSinkDropsThem) {
  DiagnosticSink before = set_diagnostic_sink(nullptr);
  note("dropped");  // must not call an empty function
  set_diagnostic_sink(std::move(before));
}

TEST(OutputClash, NamesTheInputOrTheEarlierOutputAnOutputWouldReplace) {
  EXPECT_FALSE(find_output_clash({"a.npy", "b.npy"}, {"x.npy", "y.npz:k"}).has_value());
  const auto input = find_output_clash({"a.npy", "./y.npz"}, {"x.npy", "y.npz:k"});
  ASSERT_TRUE(input.has_value());
  EXPECT_EQ(input->output, 1u);
  EXPECT_EQ(input->input, 1u);
  const auto earlier = find_output_clash({"a.npy", "b.npy", "a.npy"}, {"x.npy"});
  ASSERT_TRUE(earlier.has_value());
  EXPECT_EQ(earlier->output, 2u);
  EXPECT_FALSE(earlier->input.has_value());
  EXPECT_EQ(earlier->earlier_output, 0u);
}

}  // namespace
}  // namespace oodbench
