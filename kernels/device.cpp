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

std::unique_ptr<Backend> make_backend(DeviceRequest request, std::string* no_gpu_reason, bool tf32,
                                      std::string_view name) {
  if (no_gpu_reason) no_gpu_reason->clear();
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
  if (cuda_usable(&reason)) return make_cuda_backend(tf32);
  if (no_gpu_reason) *no_gpu_reason = reason;
  return make_cpu_backend();
}

}  // namespace oodbench
