// libFuzzer target: the safetensors reader on arbitrary file bytes (header length, JSON header, offsets, data).
// Any outcome but a decoded tensor or an InputError is a bug.
#include <cstddef>
#include <cstdint>
#include <span>

#include "harness/io/array_convert.h"
#include "harness/io/diagnostics.h"
#include "harness/io/safetensors.h"
#include "kernels/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  oodbench::set_diagnostic_sink(nullptr);  // notes (a squeezed shape, a dropped index column) are not faults
  const auto bytes = std::as_bytes(std::span(data, size));
  for (const char* tensor : {"", "train", "labels"}) {
    try {
      const oodbench::NpyArray a = oodbench::parse_safetensors(bytes, tensor, "fuzz.safetensors");
      try { (void)oodbench::to_features(a); } catch (const oodbench::InputError&) {}
      try { (void)oodbench::to_labels(a); } catch (const oodbench::InputError&) {}
    } catch (const oodbench::InputError&) {
    }
  }
  return 0;
}
