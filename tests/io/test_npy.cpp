// The .npy/.npz readers on fixtures written by numpy (tests/fixtures/make_npy_fixtures.py): every good variant decodes
// to the same values, every bad one fails with a message naming the file and the fault.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "harness/io/load_array.h"
#include "harness/io/npz.h"
#include "kernels/error.h"
#include "tests/input_errors.h"

namespace oodbench {
namespace {

std::string fixture(const std::string& name) { return std::string(OODBENCH_FIXTURES_DIR) + "/npy/" + name; }

/// The grid every good feature fixture holds: (arange(12).reshape(3, 4) - 5.5) / 4.
void expect_grid(const Matrix<float>& m) {
  ASSERT_EQ(m.rows, 3u);
  ASSERT_EQ(m.cols, 4u);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t j = 0; j < 4; ++j) EXPECT_EQ(m(i, j), (static_cast<float>(i * 4 + j) - 5.5f) / 4) << i << "," << j;
}

using test::expect_input_error;

class GoodFeatureFile : public ::testing::TestWithParam<const char*> {};

TEST_P(GoodFeatureFile, DecodesToTheGrid) { expect_grid(load_features(fixture(GetParam()))); }

INSTANTIATE_TEST_SUITE_P(Npy, GoodFeatureFile,
                         ::testing::Values("f16.npy", "f32.npy", "f64.npy", "f32_v2.npy", "f32_v3.npy",
                                           "f32_fortran.npy", "f32_bigendian.npy"));

TEST(Npz, PlainAndCompressedByKey) {
  expect_grid(load_features(fixture("plain.npz") + ":features"));
  expect_grid(load_features(fixture("compressed.npz") + ":features"));
  EXPECT_EQ(load_labels(fixture("compressed.npz") + ":labels"), (std::vector<std::int32_t>{0, 1, 2}));
  EXPECT_EQ(npz_keys(fixture("plain.npz")), (std::vector<std::string>{"features", "labels"}));
}

TEST(Npz, SingleArrayNeedsNoKey) { expect_grid(load_features(fixture("single.npz"))); }

TEST(Npz, AmbiguousOrUnknownKeyIsAnError) {
  expect_input_error([] { load_array(fixture("plain.npz")); }, {"plain.npz", "holds 2 arrays", "features, labels"});
  expect_input_error([] { load_array(fixture("plain.npz") + ":nope"); }, {"plain.npz", "no array 'nope'", "labels"});
}

TEST(Npz, CorruptArchivesAreErrors) {
  expect_input_error([] { load_array(fixture("not_a_zip.npz") + ":x"); }, {"not_a_zip.npz", "not a valid .npz"});
  expect_input_error([] { load_array(fixture("truncated_member.npz") + ":features"); },
                     {"truncated_member.npz:features", "truncated data"});
  expect_input_error([] { load_array(fixture("missing.npz") + ":x"); }, {"missing.npz", "no such file"});
}

TEST(Npy, Float16SubnormalsAndExtremesAreExact) {
  const Matrix<float> m = load_features(fixture("f16_subnormal.npy"));
  EXPECT_EQ(m(0, 0), std::ldexp(1.0f, -24));  // 6e-8 rounds to the smallest subnormal
  EXPECT_EQ(m(0, 1), -std::ldexp(1.0f, -24));
  EXPECT_EQ(m(0, 2), 168 * std::ldexp(1.0f, -24));  // 1e-5 is subnormal in float16: 168 ulps
  EXPECT_EQ(m(0, 3), 65504.0f);
}

TEST(Npy, LabelsInEveryIntegerWidth) {
  for (const char* name : {"labels_i32.npy", "labels_i64.npy", "labels_u8.npy"}) {
    EXPECT_EQ(load_labels(fixture(name)), (std::vector<std::int32_t>{0, 1, 2})) << name;
  }
  expect_input_error([] { load_labels(fixture("labels_negative.npy")); }, {"labels_negative.npy", "-1", "row 1"});
  expect_input_error([] { load_labels(fixture("f32.npy")); }, {"f32.npy", "1-D integer"});
}

TEST(Npy, Scores) {
  EXPECT_EQ(load_scores(fixture("scores_f64.npy")), (std::vector<double>{0.5, -1.25, 3.0}));
  expect_input_error([] { load_scores(fixture("scores_nan.npy")); }, {"scores_nan.npy", "NaN", "row 2"});
  expect_input_error([] { load_scores(fixture("f32.npy")); }, {"f32.npy", "1-D float", "(3, 4)"});
}

TEST(Npy, NonFiniteFeaturesNameRowAndColumn) {
  expect_input_error([] { load_features(fixture("nan.npy")); }, {"nan.npy", "NaN", "row 1, column 2"});
  expect_input_error([] { load_features(fixture("inf.npy")); }, {"inf.npy", "Inf", "row 2, column 3"});
}

TEST(Npy, MalformedFilesNameTheFault) {
  expect_input_error([] { load_array(fixture("bad_magic.npy")); }, {"bad_magic.npy", "bad magic"});
  expect_input_error([] { load_array(fixture("truncated.npy")); }, {"truncated.npy", "truncated data"});
  expect_input_error([] { load_array(fixture("truncated_header.npy")); }, {"truncated_header.npy", "truncated"});
  expect_input_error([] { load_array(fixture("bad_version.npy")); }, {"bad_version.npy", "version 9.0"});
  expect_input_error([] { load_array(fixture("bad_header.npy")); }, {"bad_header.npy", "malformed .npy header"});
  expect_input_error([] { load_array(fixture("complex.npy")); }, {"complex.npy", "unsupported dtype '<c8'"});
  expect_input_error([] { load_array(fixture("three_d.npy")); }, {"three_d.npy", "(2, 2, 2)", "reshape it to (N, D)"});
  expect_input_error([] { load_features(fixture("empty.npy")); }, {"empty.npy", "empty"});
  expect_input_error([] { load_array(fixture("does_not_exist.npy")); }, {"does_not_exist.npy", "cannot open"});
}

TEST(Npy, RowsOfFeaturesAndLabelsMustAgree) {
  const auto features = load_features(fixture("f32.npy"));
  const auto labels = load_labels(fixture("labels_short.npy"));
  expect_input_error([&] { check_same_rows(features, "f32.npy", labels, "labels_short.npy"); },
                     {"labels_short.npy", "2 labels", "3 rows"});
}

TEST(Npy, EncodeRoundTrips) {
  const std::vector<float> values = {1.5f, -2.0f, 0.25f, 8.0f, 3.0f, -0.5f};
  for (const std::vector<std::size_t>& shape : {std::vector<std::size_t>{6}, std::vector<std::size_t>{2, 3}}) {
    const NpyArray decoded = parse_npy(encode_npy(values, shape), "roundtrip");
    EXPECT_EQ(decoded.shape, shape);
    EXPECT_EQ(decoded.dtype, DType::float32);
    std::vector<float> back(values.size());
    std::memcpy(back.data(), decoded.bytes.data(), decoded.bytes.size());
    EXPECT_EQ(back, values);
  }
}

}  // namespace
}  // namespace oodbench

namespace oodbench {
namespace {

/// A version 1.0 .npy file with `header` (padded as numpy pads it) and `data_bytes` zero bytes of data.
std::vector<std::byte> npy_with_header(std::string header, std::size_t data_bytes) {
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string file = std::string("\x93NUMPY\x01\x00", 8);
  file += static_cast<char>(header.size() & 0xff);
  file += static_cast<char>(header.size() >> 8);
  file += header + std::string(data_bytes, '\0');
  const auto* p = reinterpret_cast<const std::byte*>(file.data());
  return {p, p + file.size()};
}

// Both found by fuzz_npy.
TEST(Npy, ShapesWhoseSizeOverflowsAreErrors) {
  const auto file = npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 0);
  expect_input_error([&] { parse_npy(file, "overflow.npy"); }, {"overflow.npy", "shape too large"});
}

TEST(Npy, EmptyFortranArrayWithAHugeExtentIsImmediate) {
  const auto file = npy_with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (0, 100000000000000), }", 0);
  const NpyArray a = parse_npy(file, "empty_fortran.npy");
  EXPECT_EQ(a.size(), 0u);
  expect_input_error([&] { to_features(a); }, {"empty_fortran.npy", "empty"});
}

}  // namespace
}  // namespace oodbench
