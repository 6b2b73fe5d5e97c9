// Block-wide selection and reduction helpers for kernels that give one thread block to one row: the k-th smallest
// value by radix select (four 8-bit passes over order-preserving keys, histograms in shared memory), the k smallest
// columns with ties going to the lower index, and the nearest centroid. Keys come from kernels/float_order.h, where
// -0 and +0 are one key, as they are equal to the CPU.
#pragma once

#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>

#include <cstdint>

#include "kernels/float_order.h"
#include "kernels/rowwise.h"

namespace oodbench::cuda {

constexpr int kRowThreads = 256;  // threads per block in every one-block-per-row kernel

/// Shared memory for block_radix_select.
struct RadixSelectShared {
  unsigned histogram[256];
  int bin;
  int below_bin;
};

/// The key of the k-th smallest (1-based, k <= count) of `count` keys, `key_at(i)` giving key i. Every thread of the
/// block calls it and gets the result; `*below` is how many keys are strictly smaller.
template <class KeyAt>
__device__ std::uint32_t block_radix_select(KeyAt key_at, int count, int k, RadixSelectShared& s, int* below) {
  std::uint32_t prefix = 0, mask = 0;
  int remaining = k;  // rank sought among the keys that share `prefix` under `mask`
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int b = threadIdx.x; b < 256; b += blockDim.x) s.histogram[b] = 0;
    __syncthreads();
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
      const std::uint32_t key = key_at(i);
      if ((key & mask) == prefix) atomicAdd(&s.histogram[(key >> shift) & 255u], 1u);
    }
    __syncthreads();
    if (threadIdx.x < 32) {  // one warp finds the bin holding rank `remaining`: lane l owns bins 8l .. 8l+7
      const int lane = static_cast<int>(threadIdx.x);
      unsigned bins[8], sum = 0;
#pragma unroll
      for (int j = 0; j < 8; ++j) sum += bins[j] = s.histogram[8 * lane + j];
      unsigned inclusive = sum;
#pragma unroll
      for (int offset = 1; offset < 32; offset <<= 1) {
        const unsigned up = __shfl_up_sync(0xffffffffu, inclusive, offset);
        if (lane >= offset) inclusive += up;
      }
      const unsigned owner = __ffs(__ballot_sync(0xffffffffu, inclusive >= static_cast<unsigned>(remaining))) - 1;
      if (static_cast<unsigned>(lane) == owner) {
        unsigned before = inclusive - sum;
        int bin = 8 * lane + 7;
#pragma unroll
        for (int j = 0; j < 8; ++j) {
          if (before + bins[j] >= static_cast<unsigned>(remaining)) {
            bin = 8 * lane + j;
            break;
          }
          before += bins[j];
        }
        s.bin = bin;
        s.below_bin = static_cast<int>(before);
      }
    }
    __syncthreads();
    prefix |= static_cast<std::uint32_t>(s.bin) << shift;
    mask |= 255u << shift;
    remaining -= s.below_bin;
    __syncthreads();  // everyone has read s before the next pass resets it
  }
  *below = k - remaining;
  return prefix;
}

/// Shared memory for block_select_smallest.
struct SelectShared {
  RadixSelectShared radix;
  typename cub::BlockScan<int, kRowThreads>::TempStorage scan;
  int ties_taken;
};

/// Calls `take(j)` once for each of the k columns holding the k smallest of `row[0..n)`, ties broken by the lower
/// column (the CPU backend's order). Columns below the k-th value are taken in any order; the ties at it in order.
template <class Take>
__device__ void block_select_smallest(const float* row, int n, int k, SelectShared& s, Take take) {
  int below = 0;
  const std::uint32_t kth = block_radix_select([&](int i) { return ordered_key(row[i]); }, n, k, s.radix, &below);
  for (int j = threadIdx.x; j < n; j += blockDim.x)
    if (ordered_key(row[j]) < kth) take(j);
  // Ties at the k-th value: the lowest `k - below` columns, found by a block-wide scan in column order.
  if (threadIdx.x == 0) s.ties_taken = 0;
  __syncthreads();
  for (int base = 0; base < n && s.ties_taken < k - below; base += blockDim.x) {
    const int j = base + static_cast<int>(threadIdx.x);
    const int tie = j < n && ordered_key(row[j]) == kth ? 1 : 0;
    int rank = 0, ties_here = 0;
    cub::BlockScan<int, kRowThreads>(s.scan).ExclusiveSum(tie, rank, ties_here);
    if (tie && s.ties_taken + rank < k - below) take(j);
    __syncthreads();
    if (threadIdx.x == 0) s.ties_taken += ties_here;
    __syncthreads();
  }
}

/// Shared memory for block_nearest_centroid.
using RowReduce = cub::BlockReduce<double, kRowThreads>;

/// The nearest of `count` centroids (row-major, `dim` wide) to `x` by squared L2 or L1, each distance summed in
/// float64 across the block; ties go to the lowest index, as in nearest_centroid_row. Valid in every thread.
__device__ inline CentroidMatch block_nearest_centroid(const float* x, const float* centroids, int count, int dim,
                                                       bool l1, typename RowReduce::TempStorage& storage,
                                                       double* broadcast) {
  double best = INFINITY;
  std::int32_t index = 0;
  for (int c = 0; c < count; ++c) {
    double partial = 0;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) {
      partial += centroid_distance_term(static_cast<double>(x[j]) - centroids[static_cast<std::size_t>(c) * dim + j], l1);
    }
    const double d = RowReduce(storage).Sum(partial);
    if (threadIdx.x == 0) *broadcast = d;
    __syncthreads();
    const double distance = *broadcast;
    __syncthreads();
    if (distance < best) {
      best = distance;
      index = c;
    }
  }
  return {static_cast<float>(best), index};
}

}  // namespace oodbench::cuda
