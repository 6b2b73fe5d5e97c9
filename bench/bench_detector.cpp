// Times one detector's fit and score on arrays from files, in process (no file I/O in the timings), so that
// bench/cpu_peers.py can compare it with a Python peer on identical data in the same run.
// Prints one JSON object: fit and score seconds (median of --repeats after one warm-up run), and the device.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "harness/detectors/detector.h"
#include "harness/io/load_array.h"
#include "kernels/cpu/openblas_core.h"
#include "kernels/device.h"
#include "kernels/error.h"

using namespace oodbench;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  oodbench::reexec_with_native_openblas_core(argv);
  CLI::App app{"bench_detector: fit and score timings of one detector"};
  std::string detector, train, labels, test, device = "auto";
  std::vector<std::string> params;
  int repeats = 3;
  app.add_option("--detector", detector)->required();
  app.add_option("--param", params, "key=value (numbers, or strings)");
  app.add_option("--train", train)->required();
  app.add_option("--train-labels", labels);
  app.add_option("--test", test)->required();
  app.add_option("--repeats", repeats);
  app.add_option("--device", device);
  CLI11_PARSE(app, argc, argv);
  try {
    const auto backend = make_backend(parse_device_request(device));
    Matrix<float> x = load_features(train);
    std::vector<std::int32_t> y = labels.empty() ? std::vector<std::int32_t>{} : load_labels(labels);
    const Matrix<float> t = load_features(test);
    const nlohmann::json p = parse_param_assignments(params, "--param");
    std::vector<double> fit_s, score_s;
    for (int r = 0; r <= repeats; ++r) {  // run 0 is the warm-up
      FitContext ctx(*backend, x, y);    // fresh context: shared fits are recomputed and timed each run
      const auto t0 = std::chrono::steady_clock::now();
      const auto fitted = make_fitted_detector(find_detector(detector), p, ctx, "--param");
      const auto t1 = std::chrono::steady_clock::now();
      const auto scores = fitted->score(t, *backend);
      const auto t2 = std::chrono::steady_clock::now();
      if (r == 0) continue;
      fit_s.push_back(std::chrono::duration<double>(t1 - t0).count());
      score_s.push_back(std::chrono::duration<double>(t2 - t1).count());
    }
    std::cout << nlohmann::json{{"detector", detector},
                                {"device", backend->description()},
                                {"fit_s", median(fit_s)},
                                {"score_s", median(score_s)},
                                {"total_s", median(fit_s) + median(score_s)}}
                     .dump()
              << '\n';
  } catch (const InputError& e) {
    std::cerr << "bench_detector: error: " << e.what() << '\n';
    return 2;
  }
  return 0;
}
