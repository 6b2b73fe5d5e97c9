// FitAssembly: each check of a fit's inputs is a FitInputError naming the input, worded with the names the front end
// gave (FitWording), raised by the call that hands the input over; a consistent assembly gives a context of its shapes.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "harness/fit/fit_assembly.h"
#include "kernels/cpu/cpu_backend.h"
#include "tests/kernels/test_inputs.h"

namespace oodbench {
namespace {

/// Names no layer would make up, so a message shows it used the front end's.
FitWording wording() { return {.train = "TRAIN", .labels = "LABELS", .val = "VAL", .val_labels = "VAL_LABELS"}; }

/// The FitInputError `step` raises (failing the test if it raises none).
FitInputError fault_of(const std::function<void()>& step) {
  try {
    step();
  } catch (const FitInputError& e) {
    return e;
  }
  ADD_FAILURE() << "no FitInputError";
  return FitInputError(FitInput::train, "");
}

TEST(FitAssembly, LabelsOfAnotherRowCountAreALabelsFault) {
  FitAssembly assembly(wording());
  assembly.train(test::gaussian(3, 2, 1));
  const FitInputError e = fault_of([&] { assembly.labels({0, 1}); });
  EXPECT_EQ(e.input(), FitInput::labels);
  EXPECT_STREQ(e.what(), "LABELS: 2 labels but TRAIN has 3 rows");
}

TEST(FitAssembly, ValOfAnotherWidthIsAValFault) {
  FitAssembly assembly(wording());
  assembly.train(test::gaussian(3, 2, 1));
  const FitInputError e = fault_of([&] { assembly.val(test::gaussian(4, 3, 2)); });
  EXPECT_EQ(e.input(), FitInput::val);
  EXPECT_STREQ(e.what(), "VAL: 3 columns but the train features (TRAIN) have 2");
}

TEST(FitAssembly, ValLabelsOfAnotherRowCountAreAValLabelsFault) {
  FitAssembly assembly(wording());
  assembly.train(test::gaussian(3, 2, 1));
  assembly.val(test::gaussian(4, 2, 2));
  const FitInputError e = fault_of([&] { assembly.val_labels({0, 1, 0}); });
  EXPECT_EQ(e.input(), FitInput::val_labels);
  EXPECT_STREQ(e.what(), "VAL_LABELS: 3 labels but VAL has 4 rows");
}

TEST(FitAssembly, ValLabelsOutsideTheTrainClassesAreAValLabelsFault) {
  CpuBackend backend;
  FitAssembly assembly(wording());
  assembly.train(test::gaussian(4, 2, 1));
  assembly.labels({0, 1, 0, 1});
  assembly.val(test::gaussian(2, 2, 2));
  assembly.val_labels({1, 2});
  const FitInputError e = fault_of([&] { (void)assembly.finish(backend); });
  EXPECT_EQ(e.input(), FitInput::val_labels);
  EXPECT_NE(std::string(e.what()).find("row 1 has label 2, expected the train classes 0..1"), std::string::npos)
      << e.what();
}

TEST(FitAssembly, AMissingClassIsALabelsFaultNamingTheSourceAndTheRemapOption) {
  FitAssembly assembly(wording());
  assembly.train(test::gaussian(6, 2, 1));
  assembly.labels({0, 0, 2, 2, 2, 0});
  const FitInputError e = fault_of([&] { assembly.check_classes("labels.npy", "REMAP_OPTION"); });
  EXPECT_EQ(e.input(), FitInput::labels);
  const std::string what = e.what();
  EXPECT_EQ(what.rfind("labels.npy: found labels 0, 2 (2 distinct): class 1 has no sample", 0), 0u) << what;
  EXPECT_NE(what.find("REMAP_OPTION"), std::string::npos) << what;
}

TEST(FitAssembly, LabelsTheHeadCannotHaveAreALabelsFaultAndABadHeadAloneAHeadFault) {
  CpuBackend backend;
  FitAssembly with_labels(wording());
  with_labels.train(test::gaussian(4, 2, 1));
  with_labels.labels({0, 1, 2, 0});
  with_labels.head(LinearHead{test::gaussian(2, 2, 3), {0.0f, 0.0f}});  // two classes
  EXPECT_EQ(fault_of([&] { (void)with_labels.finish(backend); }).input(), FitInput::labels);

  FitAssembly head_only(wording());
  head_only.train(test::gaussian(4, 2, 1));
  head_only.head(LinearHead{test::gaussian(2, 2, 3), {0.0f}});  // one bias for two classes
  EXPECT_EQ(fault_of([&] { (void)head_only.finish(backend); }).input(), FitInput::head);
}

TEST(FitAssembly, AConsistentAssemblyGivesAContextOfItsShapes) {
  CpuBackend backend;
  FitAssembly assembly(wording());
  const Matrix<float> train = test::gaussian(5, 3, 1);
  bool read = false;
  assembly.train(DeferredFeatures{5, 3, [&] {
                                    read = true;
                                    return train;
                                  }});
  EXPECT_EQ(assembly.rows(), 5u);
  EXPECT_EQ(assembly.dims(), 3u);
  assembly.labels({0, 1, 2, 1, 0});
  assembly.check_classes("LABELS", "REMAP_OPTION");
  assembly.val(test::gaussian(2, 3, 2));
  assembly.val_labels({2, 0});
  const FitContext ctx = assembly.finish(backend);
  EXPECT_FALSE(read) << "the deferred train features were read before first use";
  EXPECT_EQ(ctx.train_rows(), 5u);
  EXPECT_EQ(ctx.dims(), 3u);
  EXPECT_EQ(ctx.classes(), 3u);
  EXPECT_EQ(ctx.labels(), (std::vector<std::int32_t>{0, 1, 2, 1, 0}));
  ASSERT_NE(ctx.validation(), nullptr);
  EXPECT_EQ(ctx.validation()->rows, 2u);
  EXPECT_EQ(ctx.validation()->cols, 3u);
  EXPECT_EQ(ctx.validation_labels(), (std::vector<std::int32_t>{2, 0}));
  EXPECT_EQ(ctx.train().data, train.data);
  EXPECT_TRUE(read);
}

}  // namespace
}  // namespace oodbench
