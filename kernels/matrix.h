// A dense row-major matrix: one row per sample, the layout of a C-order .npy file.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <span>
#include <vector>

namespace oodbench {

/// Matrix storage. Buffers of 4 MiB and more sit on transparent huge pages (reading a 400 MB array then takes 200
/// page faults, not 100,000, as NumPy does), and values are default-initialised: a reader writes every value once
/// instead of after a pass of zeros. So `data.resize(n)` leaves new values unset; Matrix(r, c) fills them.
template <class T>
struct MatrixAllocator {
  using value_type = T;
  static constexpr std::size_t kHugePage = std::size_t{2} << 20;

  MatrixAllocator() = default;
  template <class U>
  MatrixAllocator(const MatrixAllocator<U>&) {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < 2 * kHugePage) return std::allocator<T>().allocate(n);
    void* p = std::aligned_alloc(kHugePage, (bytes + kHugePage - 1) / kHugePage * kHugePage);
    if (p == nullptr) throw std::bad_alloc();
    ::madvise(p, bytes, MADV_HUGEPAGE);  // advice only: without THP the pages are simply small
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) {
    if (n * sizeof(T) < 2 * kHugePage) return std::allocator<T>().deallocate(p, n);
    std::free(p);
  }
  template <class U>
  void construct(U* p) {
    ::new (static_cast<void*>(p)) U;  // default-initialised: no zeroing pass
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <class U>
  bool operator==(const MatrixAllocator<U>&) const { return true; }
};

template <class T>
struct Matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<T, MatrixAllocator<T>> data;  ///< rows * cols values, row-major

  Matrix() = default;
  Matrix(std::size_t r, std::size_t c, T fill = T{}) : rows(r), cols(c), data(r * c, fill) {}
  /// Values left unset, for a reader that writes every one of them.
  static Matrix uninitialized(std::size_t r, std::size_t c) {
    Matrix m;
    m.rows = r;
    m.cols = c;
    m.data.resize(r * c);
    return m;
  }

  T* row(std::size_t i) { return data.data() + i * cols; }
  const T* row(std::size_t i) const { return data.data() + i * cols; }
  std::span<const T> row_span(std::size_t i) const { return {row(i), cols}; }
  T& operator()(std::size_t i, std::size_t j) { return data[i * cols + j]; }
  const T& operator()(std::size_t i, std::size_t j) const { return data[i * cols + j]; }
};

}  // namespace oodbench
