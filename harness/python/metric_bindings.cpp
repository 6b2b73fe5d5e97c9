// `oodbench.evaluate`: the metrics of `oodbench eval --json`, from score arrays; `oodbench.compare_scores`: the paired
// bootstrap of `oodbench compare`, from score arrays; `oodbench.load_array`: an array named as a config names it
// (x.npy, file.npz:key, file.h5:/ds, file.safetensors:t, file.csv:cols, a glob).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11_json/pybind11_json.hpp>

#include "harness/metrics/metrics_json.h"
#include "harness/metrics/ood_metrics.h"
#include "harness/python/bindings.h"
#include "harness/python/numpy_arrays.h"
#include "harness/report/paired_tests.h"
#include "kernels/error.h"
#include "kernels/join.h"

namespace py = pybind11;

namespace oodbench::python {

void bind_metrics(py::module_& m) {
  m.def(
      "load_array",
      [](const std::string& spec) {
        NpyArray array;
        {
          py::gil_scoped_release release;
          array = load_array(spec);
        }
        return to_numpy(std::move(array));
      },
      py::arg("spec"));
  m.def(
      "evaluate",
      [](const py::array& id_scores, const std::vector<std::pair<std::string, py::array>>& ood_sets,
         const std::string& id_name, const std::string& device, std::size_t bootstrap, std::uint64_t seed) {
        if (bootstrap != 0 && (bootstrap < 100 || bootstrap > 100000))
          throw InputError("bootstrap: expected 0 (no intervals) or 100..100000 resamples, got " +
                           std::to_string(bootstrap));
        if (ood_sets.empty())
          throw InputError("ood_scores: no OOD scores given; pass one array, or a mapping of set names to arrays");
        const std::vector<double> id = scores_from(id_scores, id_name);
        std::vector<std::pair<std::string, std::vector<double>>> ood;
        for (const auto& [name, scores] : ood_sets) ood.emplace_back(name, scores_from(scores, name));
        const auto backend = python_backend(device);
        EngineScope engine;
        return evaluation_json(id_name, id, ood, *backend, bootstrap, seed);
      },
      py::arg("id_scores"), py::arg("ood_sets"), py::arg("id_name"), py::arg("device"), py::arg("bootstrap"),
      py::arg("seed"));
  m.def(
      "compare_scores",
      [](const py::array& id_a, const std::vector<std::pair<std::string, py::array>>& ood_a, const py::array& id_b,
         const std::vector<std::pair<std::string, py::array>>& ood_b, const std::vector<std::string>& metrics,
         std::size_t bootstrap, std::uint64_t seed, const std::string& dataset) {
        if (bootstrap < 100 || bootstrap > 100000)
          throw InputError("bootstrap: expected 100..100000 resamples, got " + std::to_string(bootstrap));
        for (const std::string& metric : metrics) metric_field(metric);  // an unknown name lists the known ones
        if (ood_a.empty()) throw InputError("a: no OOD scores given; pass (id, ood) with ood one array or a mapping");
        std::vector<std::string> sets;
        for (const auto& [name, scores] : ood_a) sets.push_back(name);
        std::vector<std::string> sets_b;
        for (const auto& [name, scores] : ood_b) sets_b.push_back(name);
        if (sets_b != sets) {
          const auto listed = [](const std::vector<std::string>& names) { return "[" + join(names) + "]"; };
          throw InputError("b: its OOD sets " + listed(sets_b) + " are not a's " + listed(sets) + "; a paired "
                           "comparison needs both detectors' scores of the same sets, in the same order");
        }
        ScoreArrays a, b;
        a.id = scores_from(id_a, "a: ID scores");
        b.id = scores_from(id_b, "b: ID scores");
        for (const auto& [name, scores] : ood_a) a.ood.push_back(scores_from(scores, "a: " + name));
        for (const auto& [name, scores] : ood_b) b.ood.push_back(scores_from(scores, "b: " + name));
        EngineScope engine;
        return compare_score_arrays(a, b, sets, dataset, {bootstrap, seed, metrics});
      },
      py::arg("id_a"), py::arg("ood_a"), py::arg("id_b"), py::arg("ood_b"), py::arg("metrics"), py::arg("bootstrap"),
      py::arg("seed"), py::arg("dataset"));
  m.def(
      "evaluate_failure",
      [](const py::array& scores, const py::array& correct, const std::string& name, const std::string& device,
         std::size_t bootstrap, std::uint64_t seed) {
        if (bootstrap != 0 && (bootstrap < 100 || bootstrap > 100000))
          throw InputError("bootstrap: expected 0 (no intervals) or 100..100000 resamples, got " +
                           std::to_string(bootstrap));
        const std::vector<double> s = scores_from(scores, name);
        const std::vector<bool> c = to_correct(view_of_numpy(correct, "correct"));
        if (c.size() != s.size())
          throw InputError("correct: " + std::to_string(c.size()) + " flags but " + name + " has " +
                           std::to_string(s.size()) + " scores; give one flag per scored row");
        const auto backend = python_backend(device);
        EngineScope engine;
        return failure_evaluation_json(name, s, c, *backend, bootstrap, seed);
      },
      py::arg("scores"), py::arg("correct"), py::arg("name"), py::arg("device"), py::arg("bootstrap"), py::arg("seed"));
}

}  // namespace oodbench::python
