#include "harness/detectors/detector_state.h"

#include <cmath>
#include <cstring>
#include <type_traits>
#include <stdexcept>

#include "harness/fit/finite.h"
#include "kernels/error.h"

namespace oodbench {
namespace {

std::string array_text(std::size_t ndim, DType dtype) {
  return "a " + std::to_string(ndim) + "-D " + dtype_name(dtype) + " array";
}

// The element type each dtype is encoded from and decoded into.
template <class T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::float32; }
template <> constexpr DType dtype_of<double>() { return DType::float64; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::int64; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::uint8; }

template <class T>
std::vector<T> values_of(const NpyArray& a) {
  std::vector<T> out(a.size());
  if (!out.empty()) std::memcpy(out.data(), a.bytes.data(), out.size() * sizeof(T));
  return out;
}

const char* preprocessing_name(Preprocessing p) {
  switch (p) {
    case Preprocessing::raw: return "raw";
    case Preprocessing::standardize: return "standardize";
    case Preprocessing::l2: return "l2";
  }
  return "?";
}

}  // namespace

StateIO StateIO::saver() { return StateIO(); }

StateIO StateIO::checker() {
  StateIO io;
  io.checking_ = true;
  return io;
}

StateIO StateIO::loader(Reader read, std::string source, std::string remedy) {
  StateIO io;
  io.read_ = std::move(read);
  io.source_ = std::move(source);
  io.remedy_ = std::move(remedy);
  return io;
}

void StateIO::fail(const std::string& name, const std::string& expected, const std::string& found) const {
  throw InputError(source_ + ": state field '" + name + "': expected " + expected + ", found " + found + "; " +
                   remedy_);
}

void StateIO::put(const std::string& name, std::vector<std::byte> bytes, DType dtype, std::vector<std::size_t> shape) {
  if (manifest_.contains(name)) throw std::logic_error("state field '" + name + "' saved twice");  // a state() bug
  manifest_[name] = {{"dtype", dtype_name(dtype)}, {"shape", shape}};
  members_.emplace_back(name, std::move(bytes));
}

NpyArray StateIO::get(const std::string& name, DType dtype, std::size_t ndim) {
  NpyArray a = read_(name);
  if (a.dtype != dtype || a.shape.size() != ndim) {
    fail(name, array_text(ndim, dtype), array_text(a.shape.size(), a.dtype) + " of shape " + shape_text(a.shape));
  }
  manifest_[name] = {{"dtype", dtype_name(dtype)}, {"shape", a.shape}};
  return a;
}

template <class T>
void StateIO::check_values(const std::string& name, std::span<const T> values, std::size_t cols) const {
  if constexpr (std::is_floating_point_v<T>) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (std::isfinite(values[i])) continue;
      const std::string where = non_finite_where(static_cast<double>(values[i]), i, cols);
      if (loading()) fail(name, "finite values", where);
      throw NonFiniteError("the fitted state '" + name + "' is not finite (" + where + ")");
    }
  }
}

template <class T>
void StateIO::vector_field(const std::string& name, std::vector<T>& v, DType dtype) {
  if (loading()) {
    v = values_of<T>(get(name, dtype, 1));
    check_values(name, std::span<const T>(v), 0);
    return;
  }
  if (checking_) return check_values(name, std::span<const T>(v), 0);
  const std::size_t shape[1] = {v.size()};
  put(name, encode_npy(std::span<const T>(v), shape), dtype, {v.size()});
}

template <class T>
void StateIO::matrix_field(const std::string& name, Matrix<T>& m, DType dtype) {
  if (loading()) {
    const NpyArray a = get(name, dtype, 2);
    m.rows = a.shape[0];
    m.cols = a.shape[1];
    const std::vector<T> values = values_of<T>(a);
    m.data.assign(values.begin(), values.end());
    check_values(name, std::span<const T>(m.data), m.cols);
    return;
  }
  if (checking_) return check_values(name, std::span<const T>(m.data), m.cols);
  const std::size_t shape[2] = {m.rows, m.cols};
  put(name, encode_npy(std::span<const T>(m.data), shape), dtype, {m.rows, m.cols});
}

// Scalars are 1-element 1-D arrays: parse_npy reads 1-D and 2-D arrays only.
template <class T>
void StateIO::scalar_field(const std::string& name, T& x, DType dtype) {
  std::vector<T> one{x};
  vector_field(name, one, dtype);
  if (one.size() != 1) fail(name, "one value", std::to_string(one.size()));
  x = one[0];
}

void StateIO::field(const std::string& name, Matrix<float>& m) { matrix_field(name, m, DType::float32); }
void StateIO::field(const std::string& name, Matrix<double>& m) { matrix_field(name, m, DType::float64); }
void StateIO::field(const std::string& name, std::vector<double>& v) { vector_field(name, v, DType::float64); }
void StateIO::field(const std::string& name, std::vector<float>& v) { vector_field(name, v, DType::float32); }
void StateIO::field(const std::string& name, double& x) { scalar_field(name, x, DType::float64); }
void StateIO::field(const std::string& name, float& x) { scalar_field(name, x, DType::float32); }
void StateIO::field(const std::string& name, std::int64_t& x) { scalar_field(name, x, DType::int64); }

void StateIO::field(const std::string& name, std::size_t& x) {
  auto v = static_cast<std::int64_t>(x);
  field(name, v);
  if (v < 0) fail(name, "a count >= 0", std::to_string(v));
  x = static_cast<std::size_t>(v);
}

void StateIO::field(const std::string& name, bool& x) {
  std::uint8_t v = x ? 1 : 0;
  scalar_field(name, v, DType::uint8);
  if (v > 1) fail(name, "a boolean (0 or 1)", std::to_string(v));
  x = v == 1;
}

void StateIO::field(const std::string& name, std::string& s) {
  std::vector<std::uint8_t> bytes(s.begin(), s.end());  // UTF-8 bytes
  vector_field(name, bytes, DType::uint8);
  s.assign(bytes.begin(), bytes.end());
}

void StateIO::field(const std::string& name, LinearHead& head) {
  field(name + "/weight", head.weight);
  field(name + "/bias", head.bias);
  if (head.bias.size() != head.weight.rows) {
    fail(name + "/bias", std::to_string(head.weight.rows) + " entries (one per row of " + name + "/weight)",
         std::to_string(head.bias.size()));
  }
}

void StateIO::field(const std::string& name, Whitening& w) {
  field(name + "/rows", w.rows);
  field(name + "/unresolved", w.unresolved);
}

void StateIO::field(const std::string& name, Standardization& s) {
  field(name + "/mean", s.mean);
  field(name + "/scale", s.scale);
  if (s.scale.size() != s.mean.size()) {
    fail(name + "/scale", std::to_string(s.mean.size()) + " entries (as " + name + "/mean)",
         std::to_string(s.scale.size()));
  }
}

void StateIO::field(const std::string& name, SymmetricEigen& e) {
  field(name + "/values", e.values);
  field(name + "/vectors", e.vectors);
  const std::size_t n = e.values.size();
  if (e.vectors.rows != n || e.vectors.cols != n) {
    fail(name + "/vectors", "a " + std::to_string(n) + " x " + std::to_string(n) + " matrix (one column per value)",
         std::to_string(e.vectors.rows) + " x " + std::to_string(e.vectors.cols));
  }
}

void StateIO::field(const std::string& name, Autoencoder& ae) {
  constexpr std::size_t layers = AutoencoderParams<float>::kLayers;
  for (std::size_t k = 0; k < layers; ++k) {  // the names of encode_params: w0..w3, b0..b3
    field(name + "/w" + std::to_string(k), ae.params.weight[k]);
    field(name + "/b" + std::to_string(k), ae.params.bias[k]);
  }
  std::string prep = preprocessing_name(ae.preprocessing);
  field(name + "/preprocessing", prep);
  field(name + "/standardization", ae.standardization);
  field(name + "/epoch_losses", ae.epoch_losses);
  field(name + "/best_epoch", ae.best_epoch);
  if (saving()) return;
  if (prep == "raw") ae.preprocessing = Preprocessing::raw;
  else if (prep == "standardize") ae.preprocessing = Preprocessing::standardize;
  else if (prep == "l2") ae.preprocessing = Preprocessing::l2;
  else fail(name + "/preprocessing", "raw, standardize or l2", "'" + prep + "'");
  // Each layer's input is the previous layer's output, and the last layer reconstructs the first's input.
  const auto& w = ae.params.weight;
  for (std::size_t k = 0; k < layers; ++k) {
    const std::size_t in = k == 0 ? w[layers - 1].rows : w[k - 1].rows;
    const std::string layer = name + "/w" + std::to_string(k);
    if (w[k].cols != in) {
      fail(layer, std::to_string(in) + " columns (the previous layer's width)", std::to_string(w[k].cols));
    }
    if (ae.params.bias[k].size() != w[k].rows) {
      fail(name + "/b" + std::to_string(k), std::to_string(w[k].rows) + " entries (the rows of " + layer + ")",
           std::to_string(ae.params.bias[k].size()));
    }
  }
  if (ae.preprocessing == Preprocessing::standardize && ae.standardization.mean.size() != w[0].cols) {
    fail(name + "/standardization/mean", std::to_string(w[0].cols) + " entries (the input width)",
         std::to_string(ae.standardization.mean.size()));
  }
}

}  // namespace oodbench
