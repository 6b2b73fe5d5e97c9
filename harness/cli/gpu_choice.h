// `--gpu G`: run on one GPU of the machine. The choice is made by narrowing CUDA_VISIBLE_DEVICES for this process
// before any backend exists: CUDA enumerates devices once, at its first initialisation, which only making the CUDA
// backend triggers, so the chosen GPU is then device 0 for every kernel.
#pragma once

#include <string>

#include "kernels/device.h"

namespace oodbench {

/// Validates `gpu` (a GPU index: among CUDA_VISIBLE_DEVICES' entries when that is set, else the machine's), sets
/// CUDA_VISIBLE_DEVICES to that one GPU and returns the request to use: `cuda` (a GPU asked for by number must not
/// quietly become the CPU). Throws InputError for a malformed index, an index past CUDA_VISIBLE_DEVICES' list, or
/// `--device cpu`.
DeviceRequest restrict_to_gpu(const std::string& gpu, DeviceRequest request);

}  // namespace oodbench
