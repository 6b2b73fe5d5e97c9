// Precomputed scores, docs/methods.md#scores: a method run anywhere else (another framework, another machine) enters
// the sweep's tables, intervals and checks through one score file per test set. Its files are read, checked and hashed
// with the dataset's other arrays (harness/sweep/dataset.cpp); there is nothing to fit, so outside a sweep it says so.
#include "harness/detectors/detector.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

/// Outside a sweep config there are no score files to name.
std::vector<std::string> missing_files(const nlohmann::json& p) {
  if (!p.value("files", "").empty()) return {};
  return {"needs score files (params.files, one per set), which only a sweep config can name; to evaluate score files "
          "directly use `oodbench eval`"};
}

class PrecomputedScores final : public Detector {
 public:
  explicit PrecomputedScores(const Params&) {}
  void fit(FitContext&) override { refuse(); }
  std::vector<float> score(const Matrix<float>&, const Backend&) const override { refuse(); }

 private:
  [[noreturn]] static void refuse() {
    throw InputError("scores: precomputed scores are read by sweeps (a config's detectors, with params.files); "
                     "to evaluate score files directly use `oodbench eval --id ID.npy --ood OOD.npy`");
  }
};

OODBENCH_REGISTER_DETECTOR(PrecomputedScores, {
    .name = std::string(kScoresDetector),
    .summary = "s = precomputed scores read from one file per test set (higher = more OOD)",
    .reference = "docs/methods.md#scores",
    .params = {{"files", "",
               "score file per set: a path with {set} (\"test\" or an OOD set name), {modality}, {backbone}; relative to "
               "data_root",
               {}}},
    .missing_params = missing_files,
})

}  // namespace
}  // namespace oodbench
