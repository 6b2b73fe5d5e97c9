// Times reading arrays into the engine's float32 features (load_features: parse, convert, check for NaN/Inf) and
// reports the peak RSS (VmHWM), so that bench/read_vs_numpy.py can compare it with numpy.load of the same files in one run.
// Usage: bench_read [--repeats R] SPEC...   Prints one JSON object per spec.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>

#include "harness/io/load_array.h"

namespace {

/// This process's peak RSS (VmHWM: unlike getrusage's, not inherited from the parent that forked it).
long peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) * 1024;
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_read: seconds to read arrays into float32 features"};
  std::vector<std::string> specs;
  int repeats = 5;
  app.add_option("specs", specs)->required();
  app.add_option("--repeats", repeats)->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  for (const std::string& spec : specs) {
    std::vector<double> seconds;
    std::size_t bytes = 0;
    for (int r = 0; r <= repeats; ++r) {  // run 0 warms the page cache
      const auto start = std::chrono::steady_clock::now();
      const oodbench::Matrix<float> m = oodbench::load_features(spec);
      const auto stop = std::chrono::steady_clock::now();
      bytes = m.data.size() * sizeof(float);
      if (r > 0) seconds.push_back(std::chrono::duration<double>(stop - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    std::cout << nlohmann::json{{"spec", spec}, {"seconds", seconds[seconds.size() / 2]}, {"float32_bytes", bytes},
                                {"peak_rss_bytes", peak_rss_bytes()}}
                     .dump()
              << std::endl;
  }
}
