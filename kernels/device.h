// Run-time choice of the backend: `--device auto|cpu|cuda`. One binary runs everywhere.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "kernels/backend.h"

namespace oodbench {

enum class DeviceRequest { automatic, cpu, cuda };

/// Parses "auto", "cpu" or "cuda"; anything else is an InputError naming the accepted values and `name`, the option
/// or argument that gave `text`.
DeviceRequest parse_device_request(std::string_view text, std::string_view name = "device");

/// Why `auto` chose the CPU: `reason` is empty when it chose the GPU. `gpu_found`: a GPU was there but cannot be used
/// (this build's code does not cover it, or CUDA could not start on it), which a user should hear of; without it the
/// reason is only the driver's way of saying that the machine has no GPU.
struct CpuFallback {
  std::string reason;
  bool gpu_found = false;
};

/// The backend for a request. `auto` takes CUDA when a GPU is usable (cuda_usable, and the backend starts), else the
/// CPU; `cuda` without a usable GPU is a DeviceError that says why. `fallback`, when given, receives why `auto` fell
/// back to the CPU. `tf32` lets the GPU's float32 products use TF32 tensor cores (the CPU has none and stays FP32).
/// `name`: how the caller asked for the device, for the error when cuda is asked for and no GPU is usable
/// ("--device" on the command line, "device" in Python).
std::unique_ptr<Backend> make_backend(DeviceRequest request, CpuFallback* fallback = nullptr, bool tf32 = false,
                                      std::string_view name = "device");

}  // namespace oodbench
