// The CPU backend: OpenBLAS/LAPACKE, OpenMP and the standard library. The reference every GPU result is tested against.
#pragma once

#include <memory>

#include "kernels/backend.h"

namespace oodbench {

std::unique_ptr<Backend> make_cpu_backend();

}  // namespace oodbench
