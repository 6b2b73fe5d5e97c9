// Times the linear probe (docs/methods.md#the-linear-probe) on arrays from files, in process: the original solver
// (L-BFGS from zero over [W, b]) against the preconditioned one, on the same data in the same run, and reading a
// cached head back. Prints one JSON object: median seconds of --repeats runs after one warm-up, iterations, final
// gradient norms, and how far the two heads lie apart. --device picks the backend the loss and gradient run on (the
// solver itself is on the CPU); on a GPU the preconditioned head is also compared with the CPU's.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "harness/fit/linear_head.h"
#include "harness/fit/probe_cache.h"
#include "harness/io/load_array.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cpu/openblas_core.h"
#include "kernels/device.h"
#include "kernels/error.h"

using namespace oodbench;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Timed {
  LinearHead head;
  ProbeReport report;
  double seconds;
};

template <class F>
Timed time_runs(int repeats, F train) {
  Timed out;
  std::vector<double> s;
  for (int r = 0; r <= repeats; ++r) {  // run 0 is the warm-up
    const auto t0 = std::chrono::steady_clock::now();
    out.head = train(out.report);
    const auto t1 = std::chrono::steady_clock::now();
    if (r > 0) s.push_back(std::chrono::duration<double>(t1 - t0).count());
  }
  out.seconds = median(s);
  return out;
}

nlohmann::json describe(const Timed& t) {
  return {{"seconds", t.seconds},
          {"iterations", t.report.iterations},
          {"gradient_norm", t.report.gradient_norm},
          {"loss", t.report.loss},
          {"converged", t.report.converged}};
}

double max_abs_difference(std::span<const float> a, std::span<const float> b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(static_cast<double>(a[i]) - b[i]));
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  oodbench::reexec_with_native_openblas_core(argv);
  CLI::App app{"probe_bench: the linear probe, original solver against preconditioned, and its cache"};
  std::string train, labels, cache_dir = (std::filesystem::temp_directory_path() / "oodbench-probe-bench").string();
  std::string device = "cpu";
  int repeats = 3;
  app.add_option("--train", train)->required();
  app.add_option("--train-labels", labels)->required();
  app.add_option("--repeats", repeats);
  app.add_option("--device", device, "auto, cpu or cuda: where the loss and gradient run");
  app.add_option("--cache-dir", cache_dir, "scratch folder for the cache timing (emptied first)");
  CLI11_PARSE(app, argc, argv);
  try {
    const std::unique_ptr<Backend> backend = make_backend(parse_device_request(device));
    const Matrix<float> x = load_features(train);
    const std::vector<std::int32_t> y = load_labels(labels);
    std::size_t classes = 0;
    for (std::int32_t v : y) classes = std::max(classes, static_cast<std::size_t>(v) + 1);
    ProbeOptions plain, preconditioned;
    plain.solver = ProbeSolver::plain;
    const Timed old_solver = time_runs(repeats, [&](ProbeReport& r) { return train_linear_probe(x, y, classes, plain, *backend, &r); });
    const Timed new_solver =
        time_runs(repeats, [&](ProbeReport& r) { return train_linear_probe(x, y, classes, preconditioned, *backend, &r); });
    std::filesystem::remove_all(cache_dir);
    std::filesystem::create_directories(cache_dir);
    bool trained_again = false;
    const Timed cached = time_runs(repeats, [&](ProbeReport& r) {
      CachedProbe probe = cached_linear_probe(cache_dir, x, y, classes, preconditioned, *backend);
      if (probe.trained && trained_again) throw std::runtime_error("the cache did not hit");
      trained_again = true;
      r = probe.report;
      return std::move(probe.head);
    });
    nlohmann::json out{{"device", backend->description()},
                       {"rows", x.rows},
                       {"dims", x.cols},
                       {"classes", classes},
                       {"plain", describe(old_solver)},
                       {"preconditioned", describe(new_solver)},
                       {"cache_hit_seconds", cached.seconds},
                       {"speedup", old_solver.seconds / new_solver.seconds},
                       {"max_abs_weight_difference", max_abs_difference(old_solver.head.weight.data, new_solver.head.weight.data)},
                       {"max_abs_bias_difference", max_abs_difference(old_solver.head.bias, new_solver.head.bias)}};
    if (backend->kind() != DeviceKind::cpu) {
      const LinearHead on_cpu = train_linear_probe(x, y, classes, preconditioned, *make_cpu_backend());
      out["max_abs_weight_difference_from_cpu"] = max_abs_difference(new_solver.head.weight.data, on_cpu.weight.data);
      out["max_abs_bias_difference_from_cpu"] = max_abs_difference(new_solver.head.bias, on_cpu.bias);
    }
    std::cout << out.dump() << '\n';
  } catch (const InputError& e) {
    std::cerr << "probe_bench: error: " << e.what() << '\n';
    return 2;
  }
  return 0;
}
