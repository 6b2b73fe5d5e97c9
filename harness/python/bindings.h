// The parts of the `oodbench._core` extension module, each adding its functions and classes to the module.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "kernels/backend.h"
#include "kernels/cpu/cpu_threads.h"

namespace oodbench::python {

/// While the engine works: the GIL released (other Python threads go on), and OpenMP and OpenBLAS at the command
/// line's thread counts, whatever another library of the process set.
struct EngineScope {
  pybind11::gil_scoped_release release;
  CpuThreads threads;
};

/// Writes `line` and a newline to Python's sys.stderr (what a notebook shows under the cell), taking the GIL; the
/// lines the command line prints on stderr go here. Nothing happens when sys.stderr is None (pythonw).
void write_to_python_stderr(const std::string& line);

/// The backend for Python's `device` argument ("auto", "cpu" or "cuda"), made as the command line makes it: where
/// "auto" finds a GPU this build cannot use, one line on sys.stderr says why it chose the CPU.
std::unique_ptr<Backend> python_backend(const std::string& device, bool tf32 = false);

void bind_detectors(pybind11::module_& m);      // Detector: fit, score, save, load; detectors()
void bind_metrics(pybind11::module_& m);        // evaluate(), compare_scores(), load_array()
void bind_user_detectors(pybind11::module_& m); // Python classes as detectors in sweeps
void bind_sweeps(pybind11::module_& m);         // run(), read_records(), report()

}  // namespace oodbench::python
