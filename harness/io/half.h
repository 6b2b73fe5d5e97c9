// IEEE 754 binary16 -> binary32, exact (the bundled embeddings are stored as float16), and bfloat16 -> binary32.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace oodbench {

inline float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits = 0;
  if (exponent == 0x1f) {  // Inf or NaN
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {  // normal
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa != 0) {  // subnormal: normalise
    std::uint32_t e = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mantissa & 0x3ffu) << 13);
  } else {
    bits = sign;  // signed zero
  }
  return std::bit_cast<float>(bits);
}

/// bfloat16 (the top half of a binary32: sign, 8 exponent bits, 7 mantissa bits) -> binary32, exact.
inline float bfloat16_to_float(std::uint16_t b) { return std::bit_cast<float>(static_cast<std::uint32_t>(b) << 16); }

}  // namespace oodbench

namespace oodbench {

/// `n` binary16 values -> binary32, exact: with the F16C instructions where the CPU has them (8 per instruction),
/// else half_to_float one by one. `in` may be unaligned (a view of a file). Returns whether every value is finite,
/// tested on the converted values while they are still in registers: a reader then needs no second pass to check.
bool half_to_float_block(const void* in, float* out, std::size_t n);

}  // namespace oodbench
