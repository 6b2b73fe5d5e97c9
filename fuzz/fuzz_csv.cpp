// libFuzzer target: the CSV/TSV parser on arbitrary text, with a column selection taken from the input's first line
// ("a,b", "f0..f3", "2"...). Any outcome but an array or an InputError is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/io/array_convert.h"
#include "harness/io/csv_reader.h"
#include "harness/io/diagnostics.h"
#include "kernels/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  oodbench::set_diagnostic_sink(nullptr);  // notes (a squeezed shape, a dropped index column) are not faults
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = all.find('\n');
  const std::string columns(newline == std::string_view::npos ? std::string_view() : all.substr(0, newline));
  const std::string_view text = newline == std::string_view::npos ? all : all.substr(newline + 1);
  for (const char delimiter : {',', '\t'}) {
    for (const std::string& selection : {std::string(), columns}) {
      try {
        const oodbench::NpyArray a = oodbench::parse_csv(text, delimiter, selection, "fuzz.csv");
        try { (void)oodbench::to_features(a); } catch (const oodbench::InputError&) {}
        try { (void)oodbench::to_raw_labels(a); } catch (const oodbench::InputError&) {}
      } catch (const oodbench::InputError&) {
      }
    }
  }
  return 0;
}
