#include "kernels/device.h"

#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/error.h"

namespace oodbench {

DeviceRequest parse_device_request(std::string_view text) {
  if (text == "auto") return DeviceRequest::automatic;
  if (text == "cpu") return DeviceRequest::cpu;
  if (text == "cuda") return DeviceRequest::cuda;
  throw InputError("--device: expected auto, cpu or cuda, got '" + std::string(text) + "'");
}

std::unique_ptr<Backend> make_backend(DeviceRequest request, std::string* why, bool tf32) {
  std::string reason;
  switch (request) {
    case DeviceRequest::cpu:
      if (why) *why = "cpu (requested)";
      return make_cpu_backend();
    case DeviceRequest::cuda:
      if (!cuda_usable(&reason)) throw DeviceError("--device cuda: no usable GPU: " + reason);
      if (why) *why = "cuda (requested)";
      return make_cuda_backend(tf32);
    case DeviceRequest::automatic:
      break;
  }
  if (cuda_usable(&reason)) {
    auto backend = make_cuda_backend(tf32);
    if (why) *why = "auto picked " + backend->description();
    return backend;
  }
  auto backend = make_cpu_backend();
  if (why) *why = "auto picked " + backend->description() + " (" + reason + ")";
  return backend;
}

}  // namespace oodbench
