// libFuzzer target: the .npy parser on arbitrary bytes. Any outcome but a parsed array or an InputError is a bug.
#include <cstddef>
#include <cstdint>
#include <span>

#include "harness/io/array_convert.h"
#include "harness/io/npy.h"
#include "kernels/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const oodbench::NpyArray a =
        oodbench::parse_npy(std::as_bytes(std::span(data, size)), "fuzz.npy");
    // Exercise the conversions the harness applies to whatever parsed.
    try { (void)oodbench::to_features(a); } catch (const oodbench::InputError&) {}
    try { (void)oodbench::to_labels(a); } catch (const oodbench::InputError&) {}
    try { (void)oodbench::to_scores(a); } catch (const oodbench::InputError&) {}
  } catch (const oodbench::InputError&) {
  }
  return 0;
}
