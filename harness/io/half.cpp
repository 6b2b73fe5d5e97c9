#include "harness/io/half.h"

#include <cpuid.h>
#include <immintrin.h>

#include <bit>
#include <cstring>

namespace oodbench {
namespace {

std::uint16_t half_at(const unsigned char* in, std::size_t i) {
  std::uint16_t h;
  std::memcpy(&h, in + 2 * i, sizeof h);
  return h;
}

/// A binary32 is NaN or Inf when its exponent bits are all set.
constexpr std::uint32_t kExponent = 0x7f800000u;

bool finite_scalar(const unsigned char* in, float* out, std::size_t begin, std::size_t n) {
  std::uint32_t special = 0;
  for (std::size_t i = begin; i < n; ++i) {
    out[i] = half_to_float(half_at(in, i));
    special |= static_cast<std::uint32_t>((std::bit_cast<std::uint32_t>(out[i]) & kExponent) == kExponent);
  }
  return special == 0;
}

__attribute__((target("avx2,f16c"))) bool half_to_float_f16c(const unsigned char* in, float* out, std::size_t n) {
  const __m256i exponent = _mm256_set1_epi32(static_cast<int>(kExponent));
  __m256i special = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 f = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * i)));
    _mm256_storeu_ps(out + i, f);
    const __m256i bits = _mm256_and_si256(_mm256_castps_si256(f), exponent);
    special = _mm256_or_si256(special, _mm256_cmpeq_epi32(bits, exponent));
  }
  const bool tail_finite = finite_scalar(in, out, i, n);  // converted whatever the blocks held
  return _mm256_testz_si256(special, special) != 0 && tail_finite;
}

/// Whether the CPU converts halves with F16C and AVX2 (which also says the OS saves the registers they use). F16C is
/// read from CPUID rather than __builtin_cpu_supports("f16c"), which clang before 15 does not know.
bool has_f16c_and_avx2() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __builtin_cpu_supports("avx2") && __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}

}  // namespace

bool half_to_float_block(const void* in, float* out, std::size_t n) {
  static const bool f16c = has_f16c_and_avx2();
  const auto* bytes = static_cast<const unsigned char*>(in);
  return f16c ? half_to_float_f16c(bytes, out, n) : finite_scalar(bytes, out, 0, n);
}

}  // namespace oodbench
