// What a fitted detector is, as named arrays: one symmetric Detector::state(StateIO&) per detector both saves and
// loads its fitted members, so the two directions cannot drift apart. StateIO knows nothing of files; model_file.h
// puts its arrays into a .oodb archive and back.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/fit/autoencoder_fit.h"
#include "harness/fit/covariance.h"
#include "harness/fit/linear_head.h"
#include "harness/fit/standardize.h"
#include "harness/io/npy.h"

namespace oodbench {

/// A fitted member that a detector borrows from the FitContext (shared with other detectors) after fit(), and owns
/// after a load, when there is no context. Heap-owned so that a moved detector keeps a valid pointer.
template <class T>
class ContextRef {
 public:
  void borrow(const T& shared) {
    owned_.reset();
    ptr_ = &shared;
  }
  /// A fresh owned value for a load to fill; the reference now points at it.
  T& own() {
    owned_ = std::make_unique<T>();
    ptr_ = owned_.get();
    return *owned_;
  }
  const T& operator*() const { return *ptr_; }
  const T* operator->() const { return ptr_; }
  explicit operator bool() const { return ptr_ != nullptr; }

 private:
  const T* ptr_ = nullptr;
  std::unique_ptr<T> owned_;
};

/// Saves or loads a detector's fitted members, one array per field, named by the path of the field ("head/weight").
class StateIO {
 public:
  using Members = std::vector<std::pair<std::string, std::vector<std::byte>>>;
  /// Returns the array stored under a field's name; throws an InputError naming the file when it is missing.
  using Reader = std::function<NpyArray(const std::string& name)>;

  /// A saver: every field() encodes the member into members().
  static StateIO saver();
  /// A checker: every field() is read as a saver reads it, encoding nothing, and a NaN or Inf in a float field is a
  /// NonFiniteError naming it (every fit is checked so; a loader checks the same of what it reads).
  static StateIO checker();
  /// A loader: every field() fills the member from `read(name)`. `source` (the file) and `remedy` (what to do) go
  /// into every error message.
  static StateIO loader(Reader read, std::string source, std::string remedy);

  bool saving() const { return !read_; }
  bool loading() const { return static_cast<bool>(read_); }

  void field(const std::string& name, Matrix<float>& m);
  void field(const std::string& name, Matrix<double>& m);
  void field(const std::string& name, std::vector<double>& v);
  void field(const std::string& name, std::vector<float>& v);
  void field(const std::string& name, double& x);
  void field(const std::string& name, float& x);
  void field(const std::string& name, std::int64_t& x);
  void field(const std::string& name, std::size_t& x);
  void field(const std::string& name, bool& x);
  void field(const std::string& name, std::string& s);

  // Composites: each writes its parts under "name/part" and checks their shapes against each other on load.
  void field(const std::string& name, LinearHead& head);
  void field(const std::string& name, Whitening& w);
  void field(const std::string& name, Standardization& s);
  void field(const std::string& name, SymmetricEigen& e);
  void field(const std::string& name, Autoencoder& ae);

  /// A borrowed member: saved from the context's copy, loaded into an owned one.
  template <class T>
  void field(const std::string& name, ContextRef<T>& ref) {
    if (loading()) return field(name, ref.own());
    if (!ref) throw std::logic_error("state field '" + name + "' saved before fit()");
    field(name, const_cast<T&>(*ref));  // saving only reads
  }

  /// The encoded arrays, in field order (saver).
  const Members& members() const { return members_; }
  Members take_members() { return std::move(members_); }
  /// The name, dtype and shape of every field saved or loaded so far, as model.json lists them.
  const std::map<std::string, nlohmann::json>& manifest() const { return manifest_; }

  /// An InputError naming the file and `name`, saying what was expected, what was found, and the remedy.
  [[noreturn]] void fail(const std::string& name, const std::string& expected, const std::string& found) const;

 private:
  StateIO() = default;
  /// Saves `bytes` as `name`, or reads `name` checking its dtype and number of dimensions.
  void put(const std::string& name, std::vector<std::byte> bytes, DType dtype, std::vector<std::size_t> shape);
  NpyArray get(const std::string& name, DType dtype, std::size_t ndim);
  template <class T>
  void vector_field(const std::string& name, std::vector<T>& v, DType dtype);
  template <class T>
  void matrix_field(const std::string& name, Matrix<T>& m, DType dtype);
  template <class T>
  void scalar_field(const std::string& name, T& x, DType dtype);
  /// Refuses a NaN or Inf among float `values` (rows of `cols`; 0 for a vector): an InputError naming the file when
  /// loading, a NonFiniteError naming the field when checking.
  template <class T>
  void check_values(const std::string& name, std::span<const T> values, std::size_t cols) const;

  Reader read_;
  bool checking_ = false;
  std::string source_, remedy_;
  Members members_;
  std::map<std::string, nlohmann::json> manifest_;
};

}  // namespace oodbench
