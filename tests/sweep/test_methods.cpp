// The methods a user names: the registered detectors and precomputed scores, a sweep-level method that is listed and
// configured as a detector is but is no Detector (nothing to fit), so outside a sweep it says where it is read.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "harness/sweep/methods.h"
#include "tests/input_errors.h"

namespace oodbench {
namespace {

std::vector<std::string> names(const std::vector<const DetectorInfo*>& infos) {
  std::vector<std::string> out;
  for (const DetectorInfo* info : infos) out.push_back(info->name);
  return out;
}

TEST(Methods, PrecomputedScoresAreListedBesideTheDetectorsButAreNoDetector) {
  const std::vector<std::string> listed = names(all_methods());
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
  EXPECT_EQ(listed.size(), all_detectors().size() + 1);
  EXPECT_EQ(std::count(listed.begin(), listed.end(), "scores"), 1);
  for (const DetectorEntry* entry : all_detectors())
    EXPECT_EQ(std::count(listed.begin(), listed.end(), entry->info.name), 1) << entry->info.name;
  EXPECT_EQ(registered_detector("scores"), nullptr);
  EXPECT_EQ(&find_method("scores"), &precomputed_scores_info());
  EXPECT_EQ(&find_method("knn"), &find_detector("knn").info);

  const nlohmann::json listing = methods_json();
  ASSERT_EQ(listing.size(), listed.size());
  const auto scores = std::find_if(listing.begin(), listing.end(), [](const auto& m) { return m["name"] == "scores"; });
  ASSERT_NE(scores, listing.end());
  EXPECT_EQ((*scores)["params"][0]["name"], "files");
  EXPECT_EQ((*scores)["reference"], "docs/methods.md#scores");
}

TEST(Methods, AnUnknownNameListsEveryMethod) {
  test::expect_input_error([] { find_method("nope"); }, {"unknown detector 'nope'", "scale, scores, she"});
  test::expect_input_error([] { find_detector_to_fit("nope", nlohmann::json::object()); },
                           {"unknown detector 'nope'", "scores"});
}

TEST(Methods, PrecomputedScoresOutsideASweepPointToSweepsAndEval) {
  EXPECT_EQ(&find_detector_to_fit("knn", nlohmann::json::object()), &find_detector("knn"));
  test::expect_input_error([] { find_detector_to_fit("scores", nlohmann::json::object()); },
                           {"detector 'scores' needs score files (params.files, one per set)", "`oodbench eval`"});
  test::expect_input_error([] { find_detector_to_fit("scores", {{"files", "{set}.npy"}}); },
                           {"precomputed scores are read by sweeps", "oodbench eval --id ID.npy --ood OOD.npy"});
}

TEST(Methods, AUserDetectorCannotTakeTheNameOfPrecomputedScores) {
  DetectorInfo info{.name = "scores", .summary = "mine", .reference = "here", .code_version = "v1"};
  test::expect_input_error([&] { add_user_detector(info, {}); }, {"'scores' is already taken"});
  EXPECT_EQ(registered_detector("scores"), nullptr);
}

}  // namespace
}  // namespace oodbench
