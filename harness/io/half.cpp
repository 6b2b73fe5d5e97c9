#include "harness/io/half.h"

#include <immintrin.h>

#include <cstring>

namespace oodbench {
namespace {

std::uint16_t half_at(const unsigned char* in, std::size_t i) {
  std::uint16_t h;
  std::memcpy(&h, in + 2 * i, sizeof h);
  return h;
}

__attribute__((target("avx,f16c"))) void half_to_float_f16c(const unsigned char* in, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 f = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * i)));
    _mm256_storeu_ps(out + i, f);
  }
  for (; i < n; ++i) out[i] = half_to_float(half_at(in, i));
}

}  // namespace

void half_to_float_block(const void* in, float* out, std::size_t n) {
  static const bool f16c = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
  const auto* bytes = static_cast<const unsigned char*>(in);
  if (f16c) return half_to_float_f16c(bytes, out, n);
  for (std::size_t i = 0; i < n; ++i) out[i] = half_to_float(half_at(bytes, i));
}

}  // namespace oodbench
