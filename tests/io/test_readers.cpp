// The new readers on bytes built here: array names split by extension, the safetensors header checks, the CSV
// parser's header detection, column selection and messages, shard concatenation. (Whole-file comparisons against
// .npy, with fixtures written by h5py, numpy and pandas, are in tests/cli/test_input_formats.py.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "harness/fit/class_labels.h"
#include "harness/io/array_convert.h"
#include "harness/io/array_spec.h"
#include "harness/io/csv_reader.h"
#include "harness/io/diagnostics.h"
#include "harness/io/half.h"
#include "harness/io/safetensors.h"
#include "harness/io/shards.h"
#include "kernels/error.h"
#include "tests/input_errors.h"

namespace oodbench {
namespace {

using test::expect_input_error;

TEST(ArraySpec, SplitsByExtension) {
  const auto h5 = split_array_spec("dir.v2/emb.h5:/group/x");
  EXPECT_EQ(h5.path, "dir.v2/emb.h5");
  EXPECT_EQ(h5.key, "/group/x");
  EXPECT_EQ(h5.format, ArrayFormat::hdf5);
  const auto st = split_array_spec("m.safetensors:layer.0:out");  // the key may hold ':' and '.'
  EXPECT_EQ(st.path, "m.safetensors");
  EXPECT_EQ(st.key, "layer.0:out");
  const auto csv = split_array_spec("a.csv:f0..f9,label");
  EXPECT_EQ(csv.path, "a.csv");
  EXPECT_EQ(csv.key, "f0..f9,label");
  EXPECT_EQ(csv.format, ArrayFormat::csv);
  const auto glob = split_array_spec("shards/emb-*.HDF5:/x");
  EXPECT_TRUE(glob.glob);
  EXPECT_EQ(glob.format, ArrayFormat::hdf5);
  EXPECT_EQ(split_array_spec("x.csv.d/y.npy").path, "x.csv.d/y.npy");
  EXPECT_EQ(split_array_spec("x.pt").format, ArrayFormat::other);
  const auto torch = split_array_spec("ckpt.pth:features");  // refused, but with the key's own conversion
  EXPECT_EQ(torch.path, "ckpt.pth");
  EXPECT_EQ(torch.key, "features");
  EXPECT_EQ(split_array_spec("runs.pth.d/x.npy").path, "runs.pth.d/x.npy");
}

std::string safetensors_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(n >> (8 * i));
  return out + header + data;
}

NpyArray parse_st(const std::string& file, const std::string& tensor = "") {
  return parse_safetensors(std::as_bytes(std::span(file.data(), file.size())), tensor, "t.safetensors");
}

TEST(Safetensors, DecodesF32AndBf16) {
  const float values[] = {1.5f, -2.0f, 0.25f, 8.0f};
  std::string raw(reinterpret_cast<const char*>(values), sizeof values);
  const NpyArray a = parse_st(safetensors_file(
      R"({"__metadata__": {"a": "b"}, "x": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}})", raw));
  ASSERT_EQ(a.shape, (std::vector<std::size_t>{2, 2}));
  EXPECT_EQ(to_features(a)(1, 1), 8.0f);
  std::string bf;  // the top halves of the same floats
  for (float v : values) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, 4);
    bf += static_cast<char>((bits >> 16) & 0xff), bf += static_cast<char>(bits >> 24);
  }
  const NpyArray b = parse_st(safetensors_file(R"({"x": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]}})", bf));
  EXPECT_EQ(b.dtype, DType::float32);
  EXPECT_EQ(to_features(b)(0, 1), -2.0f);
  EXPECT_EQ(bfloat16_to_float(0x3fc0), 1.5f);
}

TEST(Half, BlockConversionIsExactAndReportsEveryNonFiniteValueWhereverItSits) {
  // Every binary16 bit pattern, converted by the block routine (F16C where the CPU has it, 8 at a time, then a
  // scalar tail), against the exact scalar conversion: bit for bit, but for NaNs, which F16C makes quiet.
  std::vector<std::uint16_t> all(1 << 16);
  for (std::size_t h = 0; h < all.size(); ++h) all[h] = static_cast<std::uint16_t>(h);
  std::vector<float> out(all.size());
  EXPECT_FALSE(half_to_float_block(all.data(), out.data(), all.size()));  // holds Inf and NaN
  for (std::size_t h = 0; h < all.size(); ++h) {
    const float exact = half_to_float(all[h]);
    if (std::isnan(exact)) {
      ASSERT_TRUE(std::isnan(out[h])) << "binary16 0x" << std::hex << h;
      continue;
    }
    ASSERT_EQ(std::memcmp(&out[h], &exact, sizeof exact), 0) << "binary16 0x" << std::hex << h;
  }
  // One special value among finite ones, at every position of a vector and of the tail.
  for (const std::uint16_t special : {std::uint16_t{0x7c00}, std::uint16_t{0xfc00}, std::uint16_t{0x7e01}}) {
    for (std::size_t n : {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{21}}) {
      std::vector<std::uint16_t> block(n, 0x3c00);  // 1.0
      std::vector<float> converted(n);
      EXPECT_TRUE(half_to_float_block(block.data(), converted.data(), n)) << n;
      for (std::size_t at = 0; at < n; ++at) {
        block.assign(n, 0x7bff);  // 65504, the largest finite binary16
        block[at] = special;
        EXPECT_FALSE(half_to_float_block(block.data(), converted.data(), n)) << "n " << n << ", at " << at;
      }
    }
  }
}

TEST(Safetensors, HeaderFaultsAreNamedBeforeAnyDataIsUsed) {
  const std::string data(16, '\0');
  auto bad = [&](const std::string& header, std::initializer_list<std::string> fragments) {
    expect_input_error([&] { parse_st(safetensors_file(header, data)); }, fragments);
  };
  bad(R"({"x": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 20]}})", {"outside the data section"});
  bad(R"({"x": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 16]}})", {"needs 24"});
  bad(R"({"x": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 16]}})", {"shape too large"});
  bad(R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", {"trailing bytes"});
  bad(R"({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
      {"must not overlap"});
  bad(R"({"x": {"dtype": "C64", "shape": [2], "data_offsets": [0, 16]}})", {"dtype C64 is not read"});
  bad(R"({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16], "extra": 1}})", {"unknown key 'extra'"});
  bad(R"({"x": [1, 2]})", {"tensor 'x' is not an object"});
  bad(R"([1, 2])", {"does not start with '{'"});
  bad(R"({"x": )", {"not valid JSON"});
  expect_input_error([] { parse_st(std::string(5, '\0')); }, {"not a safetensors file"});
  expect_input_error([] { parse_st(std::string("\xe8\x03\x00\x00\x00\x00\x00\x00{}", 10)); }, {"exceeds the file"});
  expect_input_error([] { parse_st(std::string("\xff\xff\xff\xff\x00\x00\x00\x00{}", 10)); }, {"exceeds 100 MB"});
}

NpyArray csv(const std::string& text, const std::string& columns = "") {
  return parse_csv(text, ',', columns, "t.csv");
}

TEST(Csv, HeaderColumnsAndRanges) {
  const std::string text = "label,f0,f1,f2\n3,0.5,1,2\n7,-1e-3,\"4\",5\n";
  const NpyArray all = csv(text, "f0..f2");
  ASSERT_EQ(all.shape, (std::vector<std::size_t>{2, 3}));
  EXPECT_EQ(to_features(all)(1, 0), -1e-3f);
  EXPECT_EQ(to_features(csv(text, "f2,0"))(1, 1), 7.0f);  // a name, then a 0-based index
  EXPECT_EQ(to_labels(csv(text, "label")), (std::vector<std::int32_t>{3, 7}));
  EXPECT_EQ(csv("1,2\n3,4\n").shape, (std::vector<std::size_t>{2, 2}));  // no header
  const NpyArray words = csv("y\ncat\ndog\ncat\n");
  EXPECT_EQ(words.dtype, DType::text);
  EXPECT_EQ(words.strings, (std::vector<std::string>{"cat", "dog", "cat"}));
  EXPECT_EQ(csv("cat\ndog\ncat\n").strings.size(), 3u);  // "cat" recurs: no header
  EXPECT_EQ(csv("# comment\n\n1,2\r\n3,4\r\n").shape, (std::vector<std::size_t>{2, 2}));
}

TEST(Csv, FaultsNameLineColumnAndValue) {
  expect_input_error([] { csv("a,b\n1,2\n3,x\n"); }, {"t.csv: line 3, column 'b': 'x' is not a number"});
  expect_input_error([] { csv("1,2\n3\n"); }, {"line 2 has 1 fields, expected 2"});
  expect_input_error([] { csv("a,b\n1,2\n", "c"); }, {"no column 'c'", "columns: a, b"});
  expect_input_error([] { csv("a,b\n1,2\n", "b..a"); }, {"runs backwards"});
  expect_input_error([] { csv("1,\"2\n"); }, {"unterminated quoted field"});
  expect_input_error([] { csv(""); }, {"no data rows"});
  expect_input_error([] { csv("a,b\n1,\n"); }, {"line 2, column 'b': empty field; fill it in or drop the row"});
  expect_input_error([] { csv("a,b\n1,2\n# note\n3,nan\n"); }, {"t.csv: line 4, column 'b': NaN; fill it in"});
  expect_input_error([] { csv("1,2\n-inf,4\n"); }, {"t.csv: line 2, column 0: Inf"});
}

TEST(Csv, ColumnNumbersStartAfterAPandasIndex) {
  const std::string text = ",f0,f1,f2\n0,1.5,2.5,3.5\n1,4.5,5.5,6.5\n";  // df.to_csv() without index=False
  const Matrix<float> by_number = to_features(csv(text, "0..1"));
  ASSERT_EQ(by_number.cols, 2u);
  EXPECT_EQ(by_number(0, 0), 1.5f);  // f0: the index column is never data
  EXPECT_EQ(by_number(1, 1), 5.5f);
  EXPECT_EQ(to_features(csv(text, "f2"))(1, 0), 6.5f);
  EXPECT_EQ(to_features(csv(text)).cols, 3u);
  expect_input_error([&] { csv(text, "3"); }, {"no column '3'", "columns: f0, f1, f2"});
}

TEST(Shards, ConcatenateRowsAndCheckWidths) {
  auto part = [](std::size_t rows, std::size_t cols, const std::string& name) {
    NpyArray a;
    a.source = name;
    a.shape = {rows, cols};
    a.bytes.resize(rows * cols * sizeof(float));
    return a;
  };
  std::vector<NpyArray> ok;
  ok.push_back(part(2, 3, "a.npy"));
  ok.push_back(part(4, 3, "b.npy"));
  EXPECT_EQ(concatenate_shards(std::move(ok), "*.npy").shape, (std::vector<std::size_t>{6, 3}));
  std::vector<NpyArray> bad;
  bad.push_back(part(2, 3, "a.npy"));
  bad.push_back(part(2, 4, "b.npy"));
  expect_input_error([&] { concatenate_shards(std::move(bad), "*.npy"); }, {"b.npy has 4 columns", "a.npy has 3"});
  expect_input_error([] { expand_glob("/nonexistent-dir/*.npy"); }, {"no file matches"});
}

TEST(Shards, UnpaddedNumbersInTheirNamesAreNotedWithTheOrderRead) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("shards-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "padded");
  for (const char* name : {"part-1.npy", "part-2.npy", "part-10.npy", "padded/part-01.npy", "padded/part-02.npy",
                           "padded/part-10.npy"})
    std::ofstream(dir / name) << "x";
  std::vector<std::string> notes;
  std::optional<ScopedDiagnosticSink> capture(std::in_place, [&](DiagnosticKind kind, const std::string& text) {
    if (kind == DiagnosticKind::note) notes.push_back(text);
  });
  const std::vector<std::string> files = expand_glob((dir / "part-*.npy").string());
  EXPECT_EQ(std::filesystem::path(files[1]).filename(), "part-10.npy");  // byte order, as documented
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("read in byte order, part-1.npy, part-10.npy, part-2.npy"), std::string::npos) << notes[0];
  notes.clear();
  expand_glob((dir / "padded" / "part-*.npy").string());
  EXPECT_TRUE(notes.empty());
  capture.reset();
  std::filesystem::remove_all(dir);
}

TEST(Labels, RemapRoundTripsIntegersAndStrings) {
  RawLabels ints;
  ints.values = {7, -2, 7, 100, -2};
  const ClassLabels a = remap_class_labels(ints);
  EXPECT_EQ(a.labels, (std::vector<std::int32_t>{1, 0, 1, 2, 0}));
  EXPECT_EQ(a.map, nlohmann::json::parse("[-2, 7, 100]"));
  for (std::size_t i = 0; i < ints.values.size(); ++i) EXPECT_EQ(a.map[a.labels[i]], ints.values[i]);
  RawLabels words;
  words.text = true;
  words.words = {"tumour", "normal", "tumour"};
  const ClassLabels b = remap_class_labels(words);
  EXPECT_EQ(b.labels, (std::vector<std::int32_t>{1, 0, 1}));
  EXPECT_EQ(ClassLabels::map_text(b.map), "0 <- \"normal\", 1 <- \"tumour\"");
}

}  // namespace
}  // namespace oodbench
