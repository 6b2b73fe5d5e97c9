// FitContext::shared: a fit made once per key and reused, and a key asked for as another type refused with an
// error naming the key (it used to be read as that type: undefined behaviour).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "harness/fit/fit_context.h"
#include "kernels/cpu/cpu_backend.h"
#include "tests/kernels/test_inputs.h"

namespace oodbench {
namespace {

TEST(SharedFit, IsMadeOnceAndReused) {
  CpuBackend backend;
  FitContext ctx(backend, test::gaussian(10, 3, 1), {});
  int made = 0;
  const auto make = [&] { ++made; return std::vector<double>{1.0, 2.0}; };
  const std::vector<double>& first = ctx.shared<std::vector<double>>("means", make);
  const std::vector<double>& again = ctx.shared<std::vector<double>>("means", make);
  EXPECT_EQ(made, 1);
  EXPECT_EQ(&first, &again);
  EXPECT_EQ(again, (std::vector<double>{1.0, 2.0}));
}

TEST(SharedFit, AskingAKeyAsAnotherTypeIsAnInternalError) {
  CpuBackend backend;
  FitContext ctx(backend, test::gaussian(10, 3, 2), {});
  (void)ctx.shared<std::vector<double>>("means", [] { return std::vector<double>{1.0}; });
  try {
    (void)ctx.shared<std::string>("means", [] { return std::string("x"); });
    FAIL() << "a key made as one type was read as another";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("internal error: the shared fit 'means'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace oodbench
