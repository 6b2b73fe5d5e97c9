// CellRecord reads every record a release wrote and writes it back byte for byte (the report's tables and
// `oodbench check` compare records by their bytes), and a record missing a field it needs is refused by name.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "harness/sweep/cell_record.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

const std::string kPaperRecords = std::string(OODBENCH_FIXTURES_DIR) + "/../../results/paper/records.jsonl";

TEST(CellRecord, PaperRecordsRoundTripByteForByte) {
  std::ifstream in(kPaperRecords);
  ASSERT_TRUE(in) << kPaperRecords;
  std::size_t n = 0, grids = 0, failures = 0;
  for (std::string line; std::getline(in, line); ++n) {
    const CellRecord r = parse_cell_record(nlohmann::json::parse(line), kPaperRecords);
    EXPECT_EQ(nlohmann::json(r).dump(), line) << "record " << n;
    grids += r.grid.has_value();
    failures += r.failure && r.failure->id_test;
  }
  EXPECT_EQ(n, 380u);
  EXPECT_GT(grids, 0u);  // the optional parts are exercised too
  EXPECT_EQ(failures, n);
}

TEST(CellRecord, OptionalPartsRoundTrip) {
  // The parts the paper folder lacks: subgroups, spectrum, CS-ID failure, validation sides, kept val scores, a
  // remapped labelling, a NaN metric (written as null) and a seed.
  const std::string line =
      R"({"bootstrap":0,"cell":"c","config":"x","dataset":{"backbone":"b","modality":"m","name":"m/b"},)"
      R"("detector":"mars","failure":{"csid":[{"accuracy":0.5,"augrc":0.1,"aurc":0.2,"eaurc":null,"errors":1,"n":2,)"
      R"("name":"cs","risk_coverage":[0.0,0.5]}]},"grid":{"base_label":"mars","entry":"/detectors/0","values":"k=1"},)"
      R"("histogram_axis":{"high":2.0,"low":1.0,"scale":"log10"},"id_test":{"histogram":[1,2],"n":3,)"
      R"("sets":["test","near"]},"inputs":{"train_labels":{"array":"l.npy","hash":"xxh3:1","label_map":["a",3]}},)"
      R"("label":"mars, k=1","label_map":["a",3],"ood":[{"groups":{"by_group":[{"group":"g","metrics":{"auroc":0.5},)"
      R"("n_id":1,"n_ood":2}],"skipped":["h"],"worst":{"auroc":{"group":"g","value":0.5}}},"histogram":[0,1],)"
      R"("id_side":"val","metrics":{"auroc":null},"n":2,"name":"o","roc_tpr":[0.0,1.0],"role":"ood","shift":"far",)"
      R"("spectrum":{"eigenvalue":[2.5],"energy_ratio":[1.5]}}],"params":{"k":1},"rank":{"dataset":0,"detector":1},)"
      R"("run":{"cuda_visible_devices":"1","device":"cpu","finished_at":"t","git_commit":"g","host":"h","version":"v"},)"
      R"("scores":{"file":"scores/c.npz","hash":"xxh3:2","id_val":true,"sets":["o"]},"seed":-3,)"
      R"("timings":{"fit_s":0.5,"metrics_s":0.25,"score_s":1.0},"warnings":["w"]})";
  const CellRecord r = parse_cell_record(nlohmann::json::parse(line), "test");
  EXPECT_EQ(nlohmann::json(r).dump(), line);
  EXPECT_EQ(r.seed_text(), "-3");
  EXPECT_TRUE(std::isnan(r.ood.at(0).metrics.at("auroc")));
  EXPECT_TRUE(std::isnan(r.failure->csid.at(0).entry.metrics.at("eaurc")));
  EXPECT_EQ(r.find_ood("o"), &r.ood[0]);
  EXPECT_EQ(r.find_ood("p"), nullptr);
}

TEST(CellRecord, OlderRecordsWithoutOptionalFieldsRead) {
  // Before `bootstrap`, `failure`, `run` and the load/total timings were written.
  const auto j = nlohmann::json::parse(
      R"({"cell":"c","config":"x","dataset":{"backbone":"b","modality":"m","name":"m/b"},"detector":"msp",)"
      R"("histogram_axis":{"high":2.0,"low":1.0,"scale":"linear"},"id_test":{"histogram":[],"n":0,"sets":["test"]},)"
      R"("label":"msp","ood":[],"params":{},"rank":{"dataset":0,"detector":0},"seed":null,)"
      R"("timings":{"fit_s":0.0,"metrics_s":0.0,"score_s":0.0}})");
  const CellRecord r = parse_cell_record(j, "old.jsonl");
  EXPECT_FALSE(r.bootstrap);
  EXPECT_FALSE(r.failure);
  EXPECT_FALSE(r.run);
  EXPECT_TRUE(r.inputs.empty());
  EXPECT_EQ(r.seed_text(), "");
}

TEST(CellRecord, RenamedFieldIsRefusedByName) {
  std::ifstream in(kPaperRecords);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto j = nlohmann::json::parse(line);
  j["histogram_axes"] = j["histogram_axis"];
  j.erase("histogram_axis");
  try {
    parse_cell_record(j, "r.jsonl");
    FAIL() << "a record without histogram_axis was read";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("r.jsonl: cell \"b67e845b04fed378\""), std::string::npos) << what;
    EXPECT_NE(what.find("histogram_axis"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace oodbench
