// Whether this build's GPU code runs on a device: the device's compute capability against the architectures the
// build embeds (CMake's CUDA_ARCHITECTURES, passed to the CUDA module as OODBENCH_CUDA_ARCHITECTURES). Host-only, so
// that CPU tests drive it with made-up devices; the CUDA module asks it before it makes a backend.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace oodbench {

/// One entry of a CUDA_ARCHITECTURES list: "90" (machine code and PTX for 9.0), "90-real" (machine code only),
/// "90-virtual" (PTX only), "90a" (code for 9.0 alone: architecture-specific features), "100f" (for the family: 10.x).
struct CudaArchitecture {
  int major = 0, minor = 0;
  char variant = 0;  ///< 0, 'a' (this exact capability only) or 'f' (this major version, this minor or later)
  bool sass = false, ptx = false;
};

/// The GPU code a build embeds. `known` is false for lists CMake resolves itself ("native", "all", "all-major"):
/// then only CUDA can tell, at the first kernel (the module asks it, cudaFuncGetAttributes).
struct BuildArchitectures {
  std::vector<CudaArchitecture> entries;
  bool known = true;
  std::string text;  ///< the list as the build gave it, for messages
};

/// Parses a CUDA_ARCHITECTURES list as CMake writes it (entries separated by ';', ',' or spaces).
BuildArchitectures parse_cuda_architectures(std::string_view list);

struct GpuChoice {
  bool usable = false;
  std::string reason;  ///< why not, in one line naming the device's compute capability and the build's list
};

/// Whether code built for `build` runs on a device `name` of compute capability major.minor. Machine code (SASS) for
/// X.Y runs on X.Z for Z >= Y (X.Y exactly for an 'a' entry); PTX for X.Y is compiled by the driver for any X'.Y' >=
/// X.Y (same major and Z >= Y for an 'f' entry; X.Y exactly for an 'a' entry).
GpuChoice choose_gpu(std::string_view name, int major, int minor, const BuildArchitectures& build);

}  // namespace oodbench
