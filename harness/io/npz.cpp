#include "harness/io/npz.h"

#include <zip.h>

#include <memory>

#include "kernels/error.h"

namespace oodbench {
namespace {

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipHandle = std::unique_ptr<zip_t, ZipCloser>;

ZipHandle open_archive(const std::string& path) {
  int code = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (!z) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string reason = zip_error_strerror(&error);
    zip_error_fini(&error);
    if (code == ZIP_ER_NOENT || code == ZIP_ER_OPEN) throw InputError(path + ": cannot open (" + reason + ")");
    throw InputError(path + ": not a valid .npz archive (" + reason + ")");
  }
  return ZipHandle(z);
}

std::vector<std::string> keys_of(zip_t* z) {
  std::vector<std::string> keys;
  const zip_int64_t n = zip_get_num_entries(z, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    std::string name = zip_get_name(z, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_GUESS);
    if (name.size() > 4 && name.ends_with(".npy")) keys.push_back(name.substr(0, name.size() - 4));
  }
  return keys;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<std::string> npz_keys(const std::string& path) { return keys_of(open_archive(path).get()); }

NpyArray load_npz_member(const std::string& path, const std::string& key) {
  ZipHandle z = open_archive(path);
  const auto keys = keys_of(z.get());
  std::string chosen = key;
  if (chosen.empty()) {
    if (keys.size() != 1) {
      throw InputError(path + ": holds " + std::to_string(keys.size()) + " arrays (" + join(keys) +
                       "); pick one as " + path + ":KEY");
    }
    chosen = keys.front();
  }
  const std::string member = chosen + ".npy";
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(z.get(), member.c_str(), 0, &st) != 0) {
    throw InputError(path + ": no array '" + chosen + "' (arrays present: " + join(keys) + ")");
  }
  std::vector<std::byte> bytes(st.size);
  zip_file_t* f = zip_fopen(z.get(), member.c_str(), 0);
  if (!f) throw InputError(path + ":" + chosen + ": cannot read member (" + zip_strerror(z.get()) + ")");
  const zip_int64_t got = zip_fread(f, bytes.data(), st.size);
  const int close_status = zip_fclose(f);
  if (got < 0 || static_cast<zip_uint64_t>(got) != st.size || close_status != 0) {
    throw InputError(path + ":" + chosen + ": corrupt archive member (read " + std::to_string(got) + " of " +
                     std::to_string(st.size) + " bytes)");
  }
  return parse_npy(bytes, path + ":" + chosen);
}

}  // namespace oodbench
