// Stand-in for the CUDA backend in builds without nvcc: the binary still runs, on the CPU.
#include "kernels/cuda/cuda_backend.h"
#include "kernels/error.h"

namespace oodbench {

bool cuda_usable(std::string* why) {
  if (why) *why = "this oodbench was built without CUDA";
  return false;
}

std::unique_ptr<Backend> make_cuda_backend(bool) { throw DeviceError("this oodbench was built without CUDA"); }

}  // namespace oodbench
