#include "harness/fit/seeded_random.h"

#include <cmath>
#include <numbers>
#include <utility>

namespace oodbench {

std::uint64_t SeededRandom::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

float SeededRandom::uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }

double SeededRandom::uniform_double() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double SeededRandom::normal() {
  const double radius = std::sqrt(-2.0 * std::log(1.0 - uniform_double()));  // 1 - u in (0, 1]: log is finite
  return radius * std::cos(2.0 * std::numbers::pi * uniform_double());
}

std::size_t SeededRandom::below(std::size_t n) {
  __extension__ typedef unsigned __int128 uint128;  // GCC/Clang
  return static_cast<std::size_t>((static_cast<uint128>(next()) * n) >> 64);
}

std::vector<std::uint32_t> SeededRandom::permutation(std::size_t n) {
  std::vector<std::uint32_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint32_t>(i);
  for (std::size_t i = n; i > 1; --i) std::swap(p[i - 1], p[next() % i]);
  return p;
}

}  // namespace oodbench
