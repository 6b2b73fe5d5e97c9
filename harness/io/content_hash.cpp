#include "harness/io/content_hash.h"

#include <xxhash.h>

#include <cstdio>

namespace oodbench {
namespace {

std::string hashed(std::span<const std::uint64_t> shape, const void* data, std::size_t bytes,
                   const std::string& extra = "") {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, shape.data(), shape.size_bytes());
  XXH3_64bits_update(state, data, bytes);
  if (!extra.empty()) XXH3_64bits_update(state, extra.data(), extra.size());
  const XXH64_hash_t h = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  char out[24];
  std::snprintf(out, sizeof out, "xxh3:%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace

std::string content_hash(const Matrix<float>& m) {
  const std::uint64_t shape[] = {m.rows, m.cols};
  return hashed(shape, m.data.data(), m.data.size() * sizeof(float));
}

std::string content_hash(std::span<const std::int32_t> labels) {
  const std::uint64_t shape[] = {labels.size()};
  return hashed(shape, labels.data(), labels.size_bytes());
}

std::string content_hash(std::span<const double> scores) {
  const std::uint64_t shape[] = {scores.size()};
  return hashed(shape, scores.data(), scores.size_bytes());
}

std::string content_hash(std::string_view text) {
  const std::uint64_t shape[] = {text.size()};
  return hashed(shape, text.data(), text.size());
}

std::string content_hash(std::span<const std::int32_t> labels, const std::string& extra) {
  const std::uint64_t shape[] = {labels.size()};
  return hashed(shape, labels.data(), labels.size_bytes(), extra);
}

}  // namespace oodbench
