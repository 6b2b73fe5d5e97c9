// `oodbench._core`: the C++ engine as a Python extension module. The pure-Python package `oodbench` (python/oodbench)
// wraps it with argument conversion, docstrings and type stubs; nothing here is a second implementation.
#include <pybind11/pybind11.h>

#include "harness/io/diagnostics.h"
#include "harness/python/bindings.h"
#include "harness/version.h"
#include "kernels/cpu/openblas_core.h"
#include "kernels/device.h"
#include "kernels/error.h"

namespace py = pybind11;

namespace oodbench::python {

void write_to_python_stderr(const std::string& line) {
  py::gil_scoped_acquire gil;
  try {
    const py::object err = py::module_::import("sys").attr("stderr");
    if (!err.is_none()) err.attr("write")(line + "\n");
  } catch (const py::error_already_set&) {
    // A stream that refuses a diagnostic line must not fail the fit or the sweep that printed it.
  }
}

std::unique_ptr<Backend> python_backend(const std::string& device, bool tf32) {
  CpuFallback fallback;
  std::unique_ptr<Backend> backend = make_backend(parse_device_request(device, "device"), &fallback, tf32, "device");
  if (fallback.gpu_found) write_to_python_stderr("oodbench: device: cpu (no usable GPU: " + fallback.reason + ")");
  return backend;
}

}  // namespace oodbench::python

PYBIND11_MODULE(_core, m) {
  m.doc() = "oodbench's C++/CUDA engine (use the `oodbench` package, not this module)";
  m.attr("__version__") = oodbench::project_version();
  m.attr("version_string") = oodbench::version_string();
  // Bad input (exit code 2 on the command line) is a ValueError here, with the same message.
  py::register_exception<oodbench::InputError>(m, "InputError", PyExc_ValueError);
  // A file system's refusal (permission denied, no space left, a loop of links) is an OSError with its errno, as
  // Python's own file functions raise it (PermissionError, ...), with the command line's message.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const oodbench::FileSystemError& e) {
      py::object error = py::reinterpret_borrow<py::object>(PyExc_OSError)(e.code(), e.what());
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.ptr())), error.ptr());
    }
  });
  // The readers' notes (a squeezed shape, a dropped index column) go where Python's diagnostics go, not to fd 2;
  // warnings and status lines (a sweep's) stay on stderr as the command line writes them.
  oodbench::set_diagnostic_sink(
      [stderr_sink = oodbench::stderr_diagnostics()](oodbench::DiagnosticKind kind, const std::string& text) {
        if (kind == oodbench::DiagnosticKind::note)
          oodbench::python::write_to_python_stderr(oodbench::diagnostic_line(kind, text));
        else
          stderr_sink(kind, text);
      });
  m.def("better_openblas_core", [] { return oodbench::better_openblas_core(); },
        "The OpenBLAS core type to set when OpenBLAS fell back to its generic kernels, else None");
  oodbench::python::bind_detectors(m);
  oodbench::python::bind_metrics(m);
  oodbench::python::bind_user_detectors(m);
  oodbench::python::bind_sweeps(m);
}
