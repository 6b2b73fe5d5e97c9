// libFuzzer target: sweep config parsing and validation on arbitrary text. The data root holds small valid arrays
// (made once) so that inputs naming them reach the deeper checks. Only an InputError may come out.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/io/atomic_write.h"
#include "harness/io/npy.h"
#include "harness/sweep/config.h"
#include "harness/sweep/json_reader.h"
#include "harness/sweep/plan.h"
#include "kernels/error.h"

namespace {

std::filesystem::path data_root() {
  static const std::filesystem::path root = [] {
    const auto dir = std::filesystem::temp_directory_path() / ("oodbench-fuzz-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::vector<float> features(4 * 3, 0.5f);
    const std::size_t shape[] = {4, 3};
    const auto bytes = oodbench::encode_npy(features, shape);
    for (const char* name : {"train.npy", "test.npy", "ood.npy"}) oodbench::write_file_atomic((dir / name).string(), bytes);
    const std::vector<std::int32_t> labels = {0, 1, 0, 1};
    const std::size_t n[] = {4};
    oodbench::write_file_atomic((dir / "labels.npy").string(), oodbench::encode_npy(labels, n));
    return dir;
  }();
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto document = oodbench::parse_json_document(text, "fuzz.json");
    const oodbench::SweepConfig config = oodbench::parse_sweep_config(document, "fuzz.json", data_root());
    // The plan of unhashed inputs: the cells' ids differ from a run's, their expansion does not.
    const std::vector<nlohmann::json> inputs(config.datasets.size(), nlohmann::json::object());
    (void)oodbench::expand_plan(config, inputs, oodbench::DeviceKind::cpu);
  } catch (const oodbench::InputError&) {
  }
  return 0;
}
