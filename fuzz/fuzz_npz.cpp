// libFuzzer target: the .npz reader (libzip + our member handling) on arbitrary archive bytes, written to a
// temporary file because the reader takes paths, as the CLI does.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "harness/io/npz.h"
#include "kernels/error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/oodbench-fuzz-" + std::to_string(::getpid()) + ".npz";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    for (const std::string& key : oodbench::npz_keys(path)) {
      try { (void)oodbench::load_npz_member(path, key); } catch (const oodbench::InputError&) {}
    }
    (void)oodbench::load_npz_member(path, "");
  } catch (const oodbench::InputError&) {
  }
  return 0;
}
