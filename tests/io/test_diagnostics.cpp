// The one diagnostics sink: notes, warnings and status lines reach the sink a front end installs, worded as the
// command line writes them, and a scoped sink puts the earlier one back.
#include <gtest/gtest.h>

#include <string>
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
