#include "harness/io/npz.h"

#include <zip.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "harness/io/atomic_write.h"
#include "harness/io/feature_reader.h"
#include "harness/io/file_checks.h"
#include "harness/io/npy.h"
#include "kernels/error.h"
#include "kernels/join.h"

namespace oodbench {
namespace {

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipHandle = std::unique_ptr<zip_t, ZipCloser>;

ZipHandle open_archive(const std::string& path) {
  require_regular_file(path);  // the file system's reason (permission denied, a loop of links), not libzip's
  int code = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (!z) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string reason = zip_error_strerror(&error);
    zip_error_fini(&error);
    if (code == ZIP_ER_NOENT || code == ZIP_ER_OPEN) throw InputError(path + ": cannot open (" + reason + ")");
    if (code == ZIP_ER_EXISTS)  // libzip's "File already exists": two members of one name
      throw InputError(path + ": not a valid .npz archive: two of its members have the same name, so which array a "
                       "key names is ambiguous; write it again with numpy.savez (one array per key)");
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

std::string listed(const std::vector<std::string>& items) {
  const std::string out = join(items);
  return out.empty() ? "none" : out;
}

}  // namespace

std::vector<std::string> npz_keys(const std::string& path) { return keys_of(open_archive(path).get()); }

namespace {

/// The member `key` names (the only one when `key` is empty): its name and size. InputErrors name the keys present.
std::pair<std::string, zip_uint64_t> find_member(zip_t* z, const std::string& path, const std::string& key) {
  const auto keys = keys_of(z);
  std::string chosen = key;
  if (chosen.empty()) {
    if (keys.size() != 1) {
      throw InputError(path + ": holds " + std::to_string(keys.size()) + " arrays (" + listed(keys) +
                       "); pick one as " + path + ":KEY");
    }
    chosen = keys.front();
  }
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(z, (chosen + ".npy").c_str(), 0, &st) != 0) {
    throw InputError(path + ": no array '" + chosen + "' (arrays present: " + listed(keys) + ")");
  }
  return {chosen, st.size};
}

struct MemberCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

std::unique_ptr<zip_file_t, MemberCloser> open_member(zip_t* z, const std::string& path, const std::string& chosen) {
  zip_file_t* f = zip_fopen(z, (chosen + ".npy").c_str(), 0);
  if (!f) throw InputError(path + ":" + chosen + ": cannot read member (" + zip_strerror(z) + ")");
  return std::unique_ptr<zip_file_t, MemberCloser>(f);
}

/// Reads exactly `bytes` bytes of the member, or throws naming it.
void read_member(zip_file_t* f, const std::string& source, std::byte* out, zip_uint64_t bytes, zip_uint64_t size) {
  const zip_int64_t got = zip_fread(f, out, bytes);
  if (got < 0 || static_cast<zip_uint64_t>(got) != bytes) {
    throw InputError(source + ": corrupt archive member (read " + std::to_string(got) + " of " +
                     std::to_string(bytes) + " bytes; the member holds " + std::to_string(size) + ")");
  }
}

/// Reads the member to its end, where libzip compares its CRC-32 with the archive's: a damaged member (a flipped
/// byte in a stored one) is an error, never data.
void check_member_crc(zip_file_t* f, const std::string& source) {
  std::byte rest[1 << 16];
  zip_int64_t got = 0;
  while ((got = zip_fread(f, rest, sizeof rest)) > 0) {
  }
  if (got < 0)
    throw InputError(source + ": corrupt archive member (" + zip_file_strerror(f) + ": its bytes are not those " +
                     "written); write the file again");
}

}  // namespace

NpyArray load_npz_member(const std::string& path, const std::string& key) {
  ZipHandle z = open_archive(path);
  const auto [chosen, size] = find_member(z.get(), path, key);
  std::vector<std::byte> bytes(size);
  const auto member = open_member(z.get(), path, chosen);
  read_member(member.get(), path + ":" + chosen, bytes.data(), size, size);
  check_member_crc(member.get(), path + ":" + chosen);
  return parse_npy(bytes, path + ":" + chosen);
}

std::optional<Matrix<float>> read_npz_features(const std::string& path, const std::string& key) {
  ZipHandle z = open_archive(path);
  const auto [chosen, size] = find_member(z.get(), path, key);
  const std::string source = path + ":" + chosen;
  const auto member = open_member(z.get(), path, chosen);
  const ByteSource next = [&, size = size](std::byte* out, std::size_t bytes) {  // clang 14 captures no binding
    read_member(member.get(), source, out, bytes, size);
  };
  std::optional<Matrix<float>> features = read_plain_npy_features(next, size, source);
  if (features) check_member_crc(member.get(), source);
  return features;
}

namespace {

/// The bytes of a .npz archive of `members`, built in memory by libzip, so that the file itself is written by
/// write_file_atomic (its temporary name, its errors: "No space left on device", not libzip's "Seek error").
std::vector<std::byte> encode_npz(const std::string& path,
                                  const std::vector<std::pair<std::string, std::vector<std::byte>>>& members,
                                  bool compress) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_t* z = buffer ? zip_open_from_source(buffer, ZIP_TRUNCATE, &error) : nullptr;
  if (!z) {
    const std::string reason = zip_error_strerror(&error);
    zip_error_fini(&error);
    if (buffer) zip_source_free(buffer);
    throw InputError(path + ": cannot create the archive (" + reason + ")");
  }
  zip_error_fini(&error);
  zip_source_keep(buffer);  // read back after zip_close
  const std::unique_ptr<zip_source_t, decltype(&zip_source_free)> owner(buffer, zip_source_free);
  for (const auto& [name, bytes] : members) {
    const auto fail = [&, &name = name] {  // clang 14 captures no structured binding
      const std::string reason = zip_strerror(z);
      zip_discard(z);
      throw InputError(path + ": cannot add '" + name + "' (" + reason + ")");
    };
    zip_source_t* source = zip_source_buffer(z, bytes.data(), bytes.size(), 0);
    if (!source) fail();
    const zip_int64_t index = zip_file_add(z, (name + ".npy").c_str(), source, ZIP_FL_OVERWRITE);
    if (index < 0) {
      zip_source_free(source);  // the archive owns it only once added
      fail();
    }
    if (!compress && zip_set_file_compression(z, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) < 0) fail();
  }
  if (zip_close(z) != 0) {
    const std::string reason = zip_strerror(z);
    zip_discard(z);
    throw InputError(path + ": cannot build the archive (" + reason + ")");
  }
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_source_stat(buffer, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) || zip_source_open(buffer) != 0)
    throw InputError(path + ": cannot read the archive back from memory");
  std::vector<std::byte> out(st.size);
  const zip_int64_t got = zip_source_read(buffer, out.data(), out.size());
  zip_source_close(buffer);
  if (got < 0 || static_cast<zip_uint64_t>(got) != st.size)
    throw InputError(path + ": cannot read the archive back from memory");
  return out;
}

}  // namespace

void write_npz(const std::string& path, const std::vector<std::pair<std::string, std::vector<std::byte>>>& members,
               bool compress) {
  const std::vector<std::byte> bytes = encode_npz(path, members, compress);
  write_file_atomic(path, bytes);  // durable before it becomes visible: the old file or the whole new one
}

}  // namespace oodbench
