#include "kernels/device.h"

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/error.h"

namespace oodbench {

DeviceRequest parse_device_request(std::string_view text, std::string_view name) {
  if (text == "auto") return DeviceRequest::automatic;
  if (text == "cpu") return DeviceRequest::cpu;
  if (text == "cuda") return DeviceRequest::cuda;
  throw InputError(std::string(name) + ": expected auto, cpu or cuda, got '" + std::string(text) + "'");
}

std::unique_ptr<Backend> make_backend(DeviceRequest request, CpuFallback* fallback, bool tf32, std::string_view name) {
  if (fallback) *fallback = {};
  std::string reason;
  switch (request) {
    case DeviceRequest::cpu:
      return make_cpu_backend();
    case DeviceRequest::cuda:
      if (!cuda_usable(&reason)) {
        const std::string asked = name.starts_with("--") ? std::string(name) + " cuda" : std::string(name) + "=\"cuda\"";
        throw DeviceError(asked + ": no usable GPU: " + reason);
      }
      return make_cuda_backend(tf32);
    case DeviceRequest::automatic:
      break;
  }
  bool gpu_found = false;
  if (cuda_usable(&reason, &gpu_found)) {
    try {
      return make_cuda_backend(tf32);
    } catch (const DeviceError& e) {  // CUDA, cuBLAS or cuSOLVER could not start on the GPU
      reason = e.what();
      gpu_found = true;
    }
  }
  if (fallback) *fallback = {reason, gpu_found};
  return make_cpu_backend();
}

}  // namespace oodbench
