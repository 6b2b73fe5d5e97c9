#include "harness/io/hdf5_reader.h"

#include <hdf5.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>

#include "harness/io/file_map.h"
#include "harness/io/hdf5_module.h"
#include "harness/io/file_checks.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

/// An HDF5 identifier closed by `close` when it goes out of scope.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle& operator=(Handle&&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

void quiet_library() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

/// The innermost message on libhdf5's error stack ("" when there is none), for the reason in our messages.
std::string library_reason() {
  std::string reason;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* e, void* out) -> herr_t {
        if (n == 0 && e->desc) *static_cast<std::string*>(out) = e->desc;
        return 0;
      },
      &reason);
  H5Eclear2(H5E_DEFAULT);
  return reason.empty() ? "" : " (" + reason + ")";
}

Handle open_file(const std::string& path) {
  quiet_library();
  require_regular_file(path);
  const htri_t is = H5Fis_hdf5(path.c_str());
  if (is <= 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(path + ": not an HDF5 file (no HDF5 signature); write it with h5py or name a .npy file");
  }
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.ok()) throw InputError(path + ": cannot open the HDF5 file" + library_reason());
  return file;
}

std::vector<std::string> datasets_in(hid_t file) {
  std::vector<std::string> names;
  H5Ovisit(
      file, H5_INDEX_NAME, H5_ITER_INC,
      [](hid_t, const char* name, const H5O_info_t* info, void* out) -> herr_t {
        if (info->type == H5O_TYPE_DATASET)  // append: GCC 12 warns (-Wrestrict, a false positive) on "/" + name
          static_cast<std::vector<std::string>*>(out)->push_back(std::string("/").append(name));
        return 0;
      },
      &names);
  H5Eclear2(H5E_DEFAULT);
  return names;
}

std::string dataset_list(const std::vector<std::string>& names) {
  std::string out;
  std::size_t n = 0;
  for (const std::string& d : names) {
    if (n++ == 20) return out + ", ... (" + std::to_string(names.size()) + " datasets)";
    out += (out.empty() ? "" : ", ") + d;
  }
  return out.empty() ? "none" : out;
}

/// Whether every component of `name` exists as a link (H5Dopen on a missing group fails noisily otherwise).
bool path_exists(hid_t file, const std::string& name) {
  std::size_t at = 1;
  while (true) {
    const std::size_t slash = name.find('/', at);
    const std::string prefix = name.substr(0, slash);
    if (prefix.size() > 1 && H5Lexists(file, prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos) return true;
    at = slash + 1;
  }
}

/// Why `full`, whose links all exist, names no object: a component that is a soft link leading nowhere or into a loop
/// of soft links, or an external link (into another file) that does not resolve; "" when no link explains it.
std::string broken_link(hid_t file, const std::string& full) {
  for (std::size_t slash = full.find('/', 1);; slash = full.find('/', slash + 1)) {
    const std::string prefix = full.substr(0, slash);
    H5L_info_t link{};
    if (H5Lget_info(file, prefix.c_str(), &link, H5P_DEFAULT) < 0) break;
    if (link.type == H5L_TYPE_EXTERNAL) {
      std::vector<char> value(link.u.val_size + 1, '\0');
      const char* target_file = nullptr;
      const char* target_object = nullptr;
      unsigned flags = 0;
      if (H5Lget_val(file, prefix.c_str(), value.data(), value.size(), H5P_DEFAULT) >= 0 &&
          H5Lunpack_elink_val(value.data(), value.size(), &flags, &target_file, &target_object) >= 0)
        return "'" + prefix + "' is an external link to " + target_file + ":" + target_object + ", which does not "
               "resolve from here; name that file's dataset directly (" + target_file + ":" + target_object + ")";
      return "'" + prefix + "' is an external link (into another file) that does not resolve";
    }
    if (link.type == H5L_TYPE_SOFT) {
      std::vector<std::string> chain = {prefix};
      std::string at = prefix;
      while (true) {  // follow the soft links of this component until one leads nowhere or back
        H5L_info_t step{};
        if (H5Lget_info(file, at.c_str(), &step, H5P_DEFAULT) < 0 || step.type != H5L_TYPE_SOFT) break;
        std::vector<char> target(step.u.val_size + 1, '\0');
        if (H5Lget_val(file, at.c_str(), target.data(), target.size(), H5P_DEFAULT) < 0) break;
        at = target.data();
        std::string shown;
        for (const std::string& c : chain) shown += c + " -> ";
        if (std::find(chain.begin(), chain.end(), at) != chain.end())
          return "'" + prefix + "' is a soft link in a loop of soft links (" + shown + at + ")";
        chain.push_back(at);
        if (H5Lexists(file, at.c_str(), H5P_DEFAULT) <= 0)
          return "'" + prefix + "' is a soft link to '" + at + "', which does not exist";
      }
    }
    if (slash == std::string::npos) break;
  }
  H5Eclear2(H5E_DEFAULT);
  return "";
}

/// The dataset called `name` (a leading '/' optional), or the only dataset when `name` is empty.
std::string resolve_name(hid_t file, const std::string& path, const std::string& name) {
  if (name.empty()) {
    const auto all = datasets_in(file);
    if (all.size() == 1) return all[0];
    throw InputError(path + ": holds " + std::to_string(all.size()) + " datasets, name one as file.h5:/dataset (" +
                     dataset_list(all) + ")");
  }
  std::string full = name.front() == '/' ? name : "/" + name;
  while (full.size() > 1 && full.back() == '/') full.pop_back();
  if (full == "/" || !path_exists(file, full))
    throw InputError(path + ": no dataset '" + full + "' (datasets: " + dataset_list(datasets_in(file)) + ")");
  H5O_info_t info{};
  const bool found = H5Oget_info_by_name(file, full.c_str(), &info, H5P_DEFAULT) >= 0;
  H5Eclear2(H5E_DEFAULT);
  if (!found) {
    const std::string link = broken_link(file, full);
    throw InputError(path + ": " + (link.empty() ? "cannot open '" + full + "'" + library_reason() : link) +
                     " (datasets: " + dataset_list(datasets_in(file)) + ")");
  }
  if (info.type != H5O_TYPE_DATASET) {
    throw InputError(path + ": '" + full + "' is a group, not a dataset (datasets: " +
                     dataset_list(datasets_in(file)) + ")");
  }
  return full;
}

struct Layout {
  DType dtype = DType::float32;
  hid_t memory_type = -1;    ///< a predefined native type, or -1 for a type to build (strings, half)
  bool half = false;         ///< IEEE binary16: read with the file's own layout, decoded by half_to_float later
  bool text = false;
  bool variable_text = false;
  std::size_t text_size = 0;
};

Layout layout_of(hid_t type, const std::string& source) {
  const H5T_class_t cls = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  Layout l;
  if (cls == H5T_FLOAT) {
    std::size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
    H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize);
    if (size == 2 && spos == 15 && epos == 10 && esize == 5 && mpos == 0 && msize == 10) {
      l.dtype = DType::float16;
      l.half = true;
    } else if (size <= 4) {
      l.dtype = DType::float32, l.memory_type = H5T_NATIVE_FLOAT;
    } else if (size == 8) {
      l.dtype = DType::float64, l.memory_type = H5T_NATIVE_DOUBLE;
    } else {
      throw InputError(source + ": " + std::to_string(8 * size) + "-bit floats are not read (float16/32/64 are)");
    }
    return l;
  }
  if (cls == H5T_INTEGER) {
    const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    switch (size) {
      case 1: l.dtype = is_signed ? DType::int8 : DType::uint8; l.memory_type = is_signed ? H5T_NATIVE_INT8 : H5T_NATIVE_UINT8; break;
      case 2: l.dtype = is_signed ? DType::int16 : DType::uint16; l.memory_type = is_signed ? H5T_NATIVE_INT16 : H5T_NATIVE_UINT16; break;
      case 4: l.dtype = is_signed ? DType::int32 : DType::uint32; l.memory_type = is_signed ? H5T_NATIVE_INT32 : H5T_NATIVE_UINT32; break;
      case 8: l.dtype = is_signed ? DType::int64 : DType::uint64; l.memory_type = is_signed ? H5T_NATIVE_INT64 : H5T_NATIVE_UINT64; break;
      default: throw InputError(source + ": " + std::to_string(8 * size) + "-bit integers are not read");
    }
    return l;
  }
  if (cls == H5T_STRING) {
    l.dtype = DType::text;
    l.text = true;
    l.variable_text = H5Tis_variable_str(type) > 0;
    l.text_size = size;
    return l;
  }
  const char* names[] = {"integer", "float", "time", "string", "bitfield", "opaque", "compound", "reference", "enum",
                         "variable-length", "array"};
  const std::string what = cls >= 0 && cls < 11 ? names[cls] : "unknown";
  throw InputError(source + ": HDF5 " + what + " datasets are not read; store features as float16/32/64 and labels " +
                   "as integers or strings");
}

struct Opened {
  std::string name;
  std::vector<std::size_t> shape;
  Layout layout;
};

Opened inspect(hid_t dataset, hid_t type, const std::string& source, std::string name) {
  Opened o;
  o.name = std::move(name);
  o.layout = layout_of(type, source);
  const Handle space(H5Dget_space(dataset), H5Sclose);
  const int rank = space.ok() ? H5Sget_simple_extent_ndims(space.get()) : -1;
  if (rank < 0) throw InputError(source + ": cannot read the dataset's shape" + library_reason());
  if (rank == 0) throw InputError(source + ": a scalar dataset; expected an array (samples first)");
  if (rank > 8) throw InputError(source + ": " + std::to_string(rank) + " dimensions; at most 8 are read");
  hsize_t dims[8] = {};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  std::size_t elements = 1;
  for (int i = 0; i < rank; ++i) {
    o.shape.push_back(static_cast<std::size_t>(dims[i]));
    if (__builtin_mul_overflow(elements, static_cast<std::size_t>(dims[i]), &elements))
      throw InputError(source + ": shape too large for memory");
  }
  std::size_t bytes = 0;
  const std::size_t width = o.layout.text ? std::max<std::size_t>(o.layout.text_size, sizeof(char*)) : dtype_size(o.layout.dtype);
  if (__builtin_mul_overflow(elements, width, &bytes) || bytes > (std::size_t{1} << 40))
    throw InputError(source + ": shape too large for memory");
  return o;
}

}  // namespace

std::vector<std::string> hdf5_datasets(const std::string& path) {
  const Handle file = open_file(path);
  return datasets_in(file.get());
}

namespace {

/// Dataset `name` of `path` opened and inspected; the file, dataset and type stay open while it lives.
struct OpenDataset {
  Handle file, dataset, type;
  std::string source;
  Opened opened;
};

OpenDataset open_dataset(const std::string& path, const std::string& name) {
  Handle file = open_file(path);
  const std::string full = resolve_name(file.get(), path, name);
  std::string source = path + ":" + full;
  Handle dataset(H5Dopen2(file.get(), full.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.ok()) throw InputError(source + ": cannot open the dataset" + library_reason());
  Handle type(H5Dget_type(dataset.get()), H5Tclose);
  if (!type.ok()) throw InputError(source + ": cannot read the dataset's type" + library_reason());
  Opened opened = inspect(dataset.get(), type.get(), source, full);
  return {std::move(file), std::move(dataset), std::move(type), std::move(source), std::move(opened)};
}

/// Where a numeric dataset's bytes lie in the file when they can be used as they are: one contiguous block (no
/// chunks, filters or external files), allocated, of a type identical to the one it would be read as (native byte
/// order, no padding or odd precision). nullopt otherwise: the data is then read by H5Dread.
std::optional<std::uint64_t> contiguous_offset(const OpenDataset& d, std::size_t bytes) {
  const Layout& l = d.opened.layout;
  if (l.text || (l.half && std::endian::native != std::endian::little)) return std::nullopt;
  const Handle plist(H5Dget_create_plist(d.dataset.get()), H5Pclose);
  if (!plist.ok() || H5Pget_layout(plist.get()) != H5D_CONTIGUOUS || H5Pget_nfilters(plist.get()) != 0 ||
      H5Pget_external_count(plist.get()) != 0) {
    H5Eclear2(H5E_DEFAULT);
    return std::nullopt;
  }
  htri_t same = 0;
  if (l.half) {  // binary16 (checked by layout_of) in little-endian order
    const Handle memory(H5Tcopy(d.type.get()), H5Tclose);
    same = memory.ok() && H5Tset_order(memory.get(), H5T_ORDER_LE) >= 0 ? H5Tequal(d.type.get(), memory.get()) : 0;
  } else {
    same = H5Tequal(d.type.get(), l.memory_type);
  }
  const haddr_t offset = same > 0 ? H5Dget_offset(d.dataset.get()) : HADDR_UNDEF;
  const hsize_t stored = offset != HADDR_UNDEF ? H5Dget_storage_size(d.dataset.get()) : 0;
  H5Eclear2(H5E_DEFAULT);
  if (offset == HADDR_UNDEF || stored != bytes) return std::nullopt;
  return static_cast<std::uint64_t>(offset);
}

}  // namespace

void check_hdf5_dataset(const std::string& path, const std::string& name) { open_dataset(path, name); }

NpyArray load_hdf5(const std::string& path, const std::string& name) {
  const OpenDataset opened = open_dataset(path, name);
  const Handle& dataset = opened.dataset;
  const Handle& type = opened.type;
  const std::string& source = opened.source;
  const Opened& o = opened.opened;

  NpyArray a;
  a.source = source;
  a.dtype = o.layout.dtype;
  a.shape = o.shape;
  std::size_t n = 1;
  for (std::size_t d : o.shape) n *= d;
  if (n == 0) return a;
  auto read_failed = [&] { return InputError(source + ": cannot read the data" + library_reason()); };
  if (o.layout.text) {
    const Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_cset(memory.get(), H5Tget_cset(type.get()));
    if (o.layout.variable_text) {
      H5Tset_size(memory.get(), H5T_VARIABLE);
      std::vector<char*> values(n, nullptr);
      if (H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) throw read_failed();
      for (char* v : values) a.strings.emplace_back(v ? v : "");
      const Handle space(H5Dget_space(dataset.get()), H5Sclose);
      H5Dvlen_reclaim(memory.get(), space.get(), H5P_DEFAULT, values.data());
    } else {
      const std::size_t width = o.layout.text_size;
      H5Tset_size(memory.get(), width);
      H5Tset_strpad(memory.get(), H5T_STR_NULLPAD);
      std::vector<char> buffer(n * width);
      if (H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) < 0) throw read_failed();
      for (std::size_t i = 0; i < n; ++i) {
        const char* s = buffer.data() + i * width;
        a.strings.emplace_back(s, strnlen(s, width));
      }
    }
    return a;
  }
  const std::size_t bytes = n * dtype_size(a.dtype);
  // An uncompressed contiguous dataset is viewed in a private map of the file (the map checks that offset + size lies
  // inside the file) instead of being read into a copy; anything else, or a file that cannot be mapped, is read.
  if (const std::optional<std::uint64_t> offset = contiguous_offset(opened, bytes)) {
    if (const std::optional<FileMap> map = map_file(path);
        map && *offset <= map->bytes.size() && view_in_place(a, *map, static_cast<std::size_t>(*offset), bytes))
      return a;
  }
  a.bytes.resize(bytes);
  if (o.layout.half) {  // the file's binary16, in native byte order
    const Handle memory(H5Tcopy(type.get()), H5Tclose);
    H5Tset_order(memory.get(), H5T_ORDER_LE);
    if (H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, a.bytes.data()) < 0) throw read_failed();
  } else if (H5Dread(dataset.get(), o.layout.memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.bytes.data()) < 0) {
    throw read_failed();
  }
  return a;
}

}  // namespace oodbench

namespace oodbench {
namespace {
constexpr Hdf5Module kModule{kHdf5ModuleVersion, hdf5_datasets, load_hdf5, check_hdf5_dataset};
}  // namespace
}  // namespace oodbench

OODBENCH_MODULE_ENTRY const oodbench::Hdf5Module* oodbench_hdf5_module() { return &oodbench::kModule; }
