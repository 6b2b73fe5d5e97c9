// `oodbench._core`: the C++ engine as a Python extension module. The pure-Python package `oodbench` (python/oodbench)
// wraps it with argument conversion, docstrings and type stubs; nothing here is a second implementation.
#include <pybind11/pybind11.h>

#include "harness/python/bindings.h"
#include "harness/version.h"
#include "kernels/cpu/openblas_core.h"
#include "kernels/error.h"

namespace py = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "oodbench's C++/CUDA engine (use the `oodbench` package, not this module)";
  m.attr("__version__") = oodbench::project_version();
  m.attr("version_string") = oodbench::version_string();
  // Bad input (exit code 2 on the command line) is a ValueError here, with the same message.
  py::register_exception<oodbench::InputError>(m, "InputError", PyExc_ValueError);
  m.def("better_openblas_core", [] { return oodbench::better_openblas_core(); },
        "The OpenBLAS core type to set when OpenBLAS fell back to its generic kernels, else None");
  oodbench::python::bind_detectors(m);
  oodbench::python::bind_metrics(m);
  oodbench::python::bind_user_detectors(m);
  oodbench::python::bind_sweeps(m);
}
