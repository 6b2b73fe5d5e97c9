// GPU benchmarks of the CUDA backend beside the ceilings measured in the same run: a large device-to-device copy
// (GB/s, bytes read + written), a large cuBLAS SGEMM (TFLOP/s, full FP32) and a pageable host-to-device copy (the
// bound of any primitive whose inputs start in host memory, as the Backend's do unless kept resident). Each figure is
// the median of several runs after a warm-up. Prints a Markdown table and writes the same rows as JSON lines to --json.
// --tf32: the ceilings and the kNN with TF32 products instead (the config's "precision": "tf32").
// Usage: gpu_bench [--quick] [--tf32] [--json FILE]
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "kernels/autoencoder.h"
#include "kernels/cpu/cpu_backend.h"
#include "kernels/cuda/cuda_backend.h"
#include "kernels/cuda/cuda_check.cuh"
#include "kernels/nero_terms.h"

namespace oodbench {
namespace {

using Clock = std::chrono::steady_clock;

/// Median seconds of `runs` calls of `f` after one warm-up call; `f` must return only when its work is done.
double median_seconds(int runs, const std::function<void()>& f) {
  f();
  std::vector<double> t;
  for (int r = 0; r < runs; ++r) {
    const auto start = Clock::now();
    f();
    t.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

/// Uniform values in [-1, 1) from a counter hash: fast to fill gigabytes, and never zeros.
Matrix<float> random_matrix(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  Matrix<float> m(rows, cols);
  const std::size_t size = m.data.size(), parts = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> threads;
  for (std::size_t p = 0; p < parts; ++p) {
    threads.emplace_back([&, p] {
      for (std::size_t i = size * p / parts; i < size * (p + 1) / parts; ++i) {
        std::uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull + seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        m.data[i] = static_cast<float>(static_cast<double>(z >> 11) * 0x1.0p-53 * 2.0 - 1.0);
      }
    });
  }
  for (auto& t : threads) t.join();
  return m;
}

struct Row {
  std::string name, shape;
  double seconds = 0, rate = 0;
  std::string unit, note;
};

/// Samples the device's used memory every millisecond while alive; `peak()` is the most seen above `baseline`.
class MemoryWatch {
 public:
  MemoryWatch() : baseline_(used()), thread_([this] {
    while (!stop_) {
      peak_ = std::max(peak_.load(), used());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }) {}
  ~MemoryWatch() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  double peak_gib() const { return static_cast<double>(peak_ - std::min(peak_.load(), baseline_)) / (1ull << 30); }

 private:
  static std::size_t used() {
    std::size_t free = 0, total = 0;
    cudaMemGetInfo(&free, &total);
    return total - free;
  }
  std::size_t baseline_;
  std::atomic<std::size_t> peak_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

double device_copy_gbs(std::size_t bytes, int runs) {
  void *a = nullptr, *b = nullptr;
  OODBENCH_CUDA_CHECK(cudaMalloc(&a, bytes));
  OODBENCH_CUDA_CHECK(cudaMalloc(&b, bytes));
  OODBENCH_CUDA_CHECK(cudaMemset(a, 1, bytes));
  const double s = median_seconds(runs, [&] {
    OODBENCH_CUDA_CHECK(cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice));
    OODBENCH_CUDA_CHECK(cudaDeviceSynchronize());
  });
  cudaFree(a);
  cudaFree(b);
  return 2.0 * static_cast<double>(bytes) / s / 1e9;
}

double host_to_device_gbs(std::size_t bytes, int runs) {
  std::vector<char> host(bytes, 1);
  void* d = nullptr;
  OODBENCH_CUDA_CHECK(cudaMalloc(&d, bytes));
  const double s = median_seconds(runs, [&] {
    OODBENCH_CUDA_CHECK(cudaMemcpy(d, host.data(), bytes, cudaMemcpyHostToDevice));
  });
  cudaFree(d);
  return static_cast<double>(bytes) / s / 1e9;
}

/// Seconds of a device-resident SGEMM C (m x n) = A (m x k) Bᵀ, laid out as the kNN tile GEMM. Shapes beyond one
/// 16384 x 65536 block of C are timed as that block and scaled by their area (bounded memory, same efficiency).
double sgemm_seconds(cublasHandle_t handle, std::size_t m, std::size_t n, std::size_t k, int runs) {
  const std::size_t bm = std::min<std::size_t>(m, 16384), bn = std::min<std::size_t>(n, 65536);
  float *a = nullptr, *b = nullptr, *c = nullptr;
  OODBENCH_CUDA_CHECK(cudaMalloc(&a, bm * k * sizeof(float)));
  OODBENCH_CUDA_CHECK(cudaMalloc(&b, bn * k * sizeof(float)));
  OODBENCH_CUDA_CHECK(cudaMalloc(&c, bm * bn * sizeof(float)));
  const auto fill = random_matrix(std::max(bm, bn), k, 1);
  OODBENCH_CUDA_CHECK(cudaMemcpy(a, fill.data.data(), bm * k * sizeof(float), cudaMemcpyHostToDevice));
  OODBENCH_CUDA_CHECK(cudaMemcpy(b, fill.data.data(), bn * k * sizeof(float), cudaMemcpyHostToDevice));
  const float one = 1, zero = 0;
  const double s = median_seconds(runs, [&] {
    OODBENCH_CUDA_CHECK(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(bn), static_cast<int>(bm),
                                    static_cast<int>(k), &one, b, static_cast<int>(k), a, static_cast<int>(k), &zero, c,
                                    static_cast<int>(bn)));
    OODBENCH_CUDA_CHECK(cudaDeviceSynchronize());
  });
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
  return s * static_cast<double>(m) * static_cast<double>(n) / (static_cast<double>(bm) * static_cast<double>(bn));
}

void print(const std::vector<Row>& rows, const std::string& json_path) {
  std::printf("| what | shape | time (ms) | rate | note |\n| --- | --- | ---: | ---: | --- |\n");
  for (const Row& r : rows) {
    char rate[64] = "";
    if (!r.unit.empty()) std::snprintf(rate, sizeof rate, "%.2f %s", r.rate, r.unit.c_str());
    std::printf("| %s | %s | %.3f | %s | %s |\n", r.name.c_str(), r.shape.c_str(), r.seconds * 1e3, rate, r.note.c_str());
  }
  if (json_path.empty()) return;
  std::ofstream out(json_path);
  for (const Row& r : rows) {
    out << "{\"name\": \"" << r.name << "\", \"shape\": \"" << r.shape << "\", \"seconds\": " << r.seconds
        << ", \"rate\": " << r.rate << ", \"unit\": \"" << r.unit << "\"}\n";
  }
}

std::string shape(std::initializer_list<std::size_t> dims) {
  std::string s;
  for (std::size_t d : dims) s += (s.empty() ? "" : " x ") + std::to_string(d);
  return s;
}

int run(bool quick, bool tf32, const std::string& json_path) {
  const auto gpu = make_cuda_backend(tf32);
  std::printf("device: %s\n", gpu->description().c_str());
  cublasHandle_t handle = nullptr;
  OODBENCH_CUDA_CHECK(cublasCreate(&handle));
  if (tf32) OODBENCH_CUDA_CHECK(cublasSetMathMode(handle, CUBLAS_TF32_TENSOR_OP_MATH));
  const std::string precision = tf32 ? "TF32" : "FP32";
  std::vector<Row> rows;
  const int runs = quick ? 3 : 7;

  // Ceilings.
  const double copy = device_copy_gbs(std::size_t{1} << 31, runs);
  rows.push_back({"ceiling: device-to-device copy", "2 GiB", 0, copy, "GB/s", "bytes read + written"});
  const double h2d = host_to_device_gbs(std::size_t{1} << 30, runs);
  rows.push_back({"ceiling: host-to-device copy (pageable)", "1 GiB", 0, h2d, "GB/s", "the bound of host-in primitives"});
  const double gemm_s = sgemm_seconds(handle, 8192, 8192, 8192, runs);
  const double sgemm_tflops = 2.0 * 8192.0 * 8192 * 8192 / gemm_s / 1e12;
  rows.push_back({"ceiling: cuBLAS SGEMM (" + precision + ")", shape({8192, 8192, 8192}), gemm_s, sgemm_tflops,
                  "TFLOP/s", ""});

  // kNN against a bare SGEMM of the same shape (the GEMM alone, device-resident, no selection, no transfers).
  {
    const std::size_t n = quick ? 200000 : 1000000, q = quick ? 20000 : 100000, d = 1024, k = 50;
    const auto db = random_matrix(n, d, 2), queries = random_matrix(q, d, 3);
    setenv("OODBENCH_GPU_MEMORY_BYTES", std::to_string(std::size_t{8} << 30).c_str(), 1);  // the issue's 8 GiB
    double peak = 0;
    const double knn_s = median_seconds(quick ? 1 : 2, [&] {
      MemoryWatch watch;
      gpu->kth_smallest_sqdist(db, queries, k);
      watch.stop();
      peak = std::max(peak, watch.peak_gib());
    });
    unsetenv("OODBENCH_GPU_MEMORY_BYTES");
    const double gemm_only = sgemm_seconds(handle, q, n, d, runs);
    const double flops = 2.0 * static_cast<double>(q) * static_cast<double>(n) * d;
    char note[160];
    std::snprintf(note, sizeof note, "%.2fx the bare GEMM (target <= 1.3x); peak GPU memory %.2f GiB (budget 8)",
                  knn_s / gemm_only, peak);
    rows.push_back({"kNN k=50 (host in, host out)" + std::string(tf32 ? ", TF32" : ""), shape({q, n, d}), knn_s,
                    flops / knn_s / 1e12, "TFLOP/s", note});
    rows.push_back({"bare cuBLAS SGEMM (" + precision + "), same shape", shape({q, n, d}), gemm_only,
                    flops / gemm_only / 1e12, "TFLOP/s", ""});
  }
  if (tf32) {  // the rest is FP32 by definition or not a GEMM
    cublasDestroy(handle);
    print(rows, json_path);
    return 0;
  }

  // Autoencoder epochs: the MaRS model at D = 1024 (h = 512, b = 128).
  for (std::size_t batch : {std::size_t{4096}, std::size_t{256}}) {
    const std::size_t n = quick ? 32768 : 131072, d = 1024, h = 512, b = 128;
    const auto x = random_matrix(n, d, 4);
    auto params = AutoencoderParams<float>::zeros(d, h, b);
    for (std::size_t l = 0; l < AutoencoderParams<float>::kLayers; ++l) {
      params.weight[l] = random_matrix(params.weight[l].rows, params.weight[l].cols, 5 + l);
      for (float& w : params.weight[l].data) w *= 0.03f;
    }
    std::vector<std::uint32_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>((i * 2654435761u) % n);
    auto trainer = gpu->autoencoder_trainers(std::span(&params, 1), x, batch, AdamSettings{});
    const std::vector<std::vector<std::uint32_t>> orders = {order};
    const double s = median_seconds(runs, [&] { trainer->epoch(orders); });
    const double weights = static_cast<double>(2 * d * h + 2 * h * b);
    // forward, weight gradients and input gradients (none for the first layer): 2 flops per multiply-add
    const double flops = 2.0 * static_cast<double>(n) * (3 * weights - static_cast<double>(d * h));
    char note[120];
    std::snprintf(note, sizeof note, "%.0f%% of the SGEMM ceiling (target > 50%% at batch 4096)",
                  100.0 * flops / s / 1e12 / sgemm_tflops);
    rows.push_back({"autoencoder epoch, batch " + std::to_string(batch), shape({n, d, h, b}), s, flops / s / 1e12,
                    "TFLOP/s", note});
  }

  // A sweep's seeds side by side (one trainer, each member on its own stream) against the same seeds trained one after
  // the other, on the MaRS model of the bundled 1280-wide embeddings at batch 256.
  {
    const std::size_t n = quick ? 8192 : 32768, d = 1280, h = 640, b = 128, batch = 256, seeds = 5;
    const auto x = random_matrix(n, d, 16);
    std::vector<AutoencoderParams<float>> initial;
    for (std::size_t m = 0; m < seeds; ++m) {
      initial.push_back(AutoencoderParams<float>::zeros(d, h, b));
      for (std::size_t l = 0; l < AutoencoderParams<float>::kLayers; ++l) {
        initial.back().weight[l] = random_matrix(initial.back().weight[l].rows, initial.back().weight[l].cols,
                                                 static_cast<unsigned>(20 + 4 * m + l));
        for (float& w : initial.back().weight[l].data) w *= 0.03f;
      }
    }
    std::vector<std::uint32_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>((i * 2654435761u) % n);
    auto together = gpu->autoencoder_trainers(initial, x, batch, AdamSettings{});
    const std::vector<std::vector<std::uint32_t>> all(seeds, order), one = {order};
    std::vector<std::unique_ptr<AutoencoderTrainers>> alone;
    for (const auto& p : initial) alone.push_back(gpu->autoencoder_trainers(std::span(&p, 1), x, batch, AdamSettings{}));
    const double side_by_side = median_seconds(runs, [&] { together->epoch(all); });
    const double in_turn = median_seconds(runs, [&] {
      for (auto& t : alone) t->epoch(one);
    });
    char note[96];
    std::snprintf(note, sizeof note, "%.2fx the seeds one after the other (%.1f ms)", in_turn / side_by_side,
                  in_turn * 1e3);
    const double flops = 2.0 * static_cast<double>(seeds * n) * (3 * static_cast<double>(2 * d * h + 2 * h * b) -
                                                                 static_cast<double>(d * h));
    rows.push_back({"autoencoder epoch, 5 seeds side by side, batch 256", shape({seeds, n, d, h, b}), side_by_side,
                    flops / side_by_side / 1e12, "TFLOP/s", note});
  }

  // Row-wise primitives, host in and host out: GB/s of their input bytes, beside the host-to-device ceiling above.
  {
    const std::size_t n = quick ? 20000 : 100000, d = 1280, classes = 10, k = 175;
    const auto x = random_matrix(n, d, 9), centroids = random_matrix(classes, d, 10);
    const auto relevance = random_matrix(n, d, 11), projected = random_matrix(n, 853, 12);
    const auto pc = random_matrix(classes, 853, 13);
    const double bytes = static_cast<double>(n * d * sizeof(float));
    const double nc = median_seconds(runs, [&] { gpu->nearest_centroid(x, centroids, CentroidMetric::l1); });
    rows.push_back({"nearest_centroid (L1, 10 classes)", shape({n, d}), nc, bytes / nc / 1e9, "GB/s", ""});
    // The same with x kept on the device (Backend::keep_resident, as a sweep keeps a dataset): no upload per call.
    // Its rate counts the same input bytes, read from device memory instead of crossing the bus.
    const double keep = median_seconds(runs, [&] { gpu->keep_resident(x); });  // dropped at once: uploads each time
    rows.push_back({"keep_resident (pinned staging upload)", shape({n, d}), keep, bytes / keep / 1e9, "GB/s",
                    "once per dataset; beside the pageable ceiling"});
    {
      const ResidentHandle kept = gpu->keep_resident(x);
      const double resident = median_seconds(runs, [&] { gpu->nearest_centroid(x, centroids, CentroidMetric::l1); });
      char note[96];
      std::snprintf(note, sizeof note, "%.1fx faster than per-call upload", nc / resident);
      rows.push_back({"nearest_centroid (L1, 10 classes), x resident", shape({n, d}), resident, bytes / resident / 1e9,
                      "GB/s", note});
    }
    const double ks = median_seconds(runs, [&] { gpu->k_smallest_per_row(relevance, k); });
    rows.push_back({"k_smallest_per_row (k = 175)", shape({n, d}), ks, bytes / ks / 1e9, "GB/s", ""});
    const double nero = median_seconds(runs, [&] { nero_row_terms(*gpu, projected, pc, relevance, x, k); });
    rows.push_back({"nero_row_terms (fused)", shape({n, d}), nero,
                    (2 * bytes + static_cast<double>(n * 853 * sizeof(float))) / nero / 1e9, "GB/s", ""});
    const double mm = median_seconds(runs, [&] { gpu->matmul_nt(x, random_matrix(1024, d, 14)); });
    rows.push_back({"matmul_nt (FP32)", shape({n, 1024, d}), mm, 2.0 * n * 1024 * d / mm / 1e12, "TFLOP/s",
                    "includes the host transfers"});
    const std::size_t sn = quick ? 20000 : 50000, sd = 1024;
    const auto sx = random_matrix(sn, sd, 15);
    Matrix<double> center(1, sd);
    const double sc = median_seconds(runs, [&] { gpu->scatter(sx, center, {}, nullptr); });
    rows.push_back({"scatter (FP64 SYRK)", shape({sn, sd}), sc, static_cast<double>(sn) * sd * sd / sc / 1e12,
                    "TFLOP/s", "n d^2 flops (one triangle)"});
    Matrix<double> sym(1024, 1024);
    for (std::size_t i = 0; i < 1024; ++i)
      for (std::size_t j = 0; j < 1024; ++j) sym(i, j) = 1.0 / (1.0 + static_cast<double>(i + j)) + (i == j ? 1.0 : 0.0);
    const double eig = median_seconds(runs, [&] { gpu->eigh(sym); });
    rows.push_back({"eigh (cuSOLVER dsyevd)", shape({1024, 1024}), eig, 0, "", ""});
    std::vector<double> keys(std::size_t{10} << 20);
    for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<double>((i * 2654435761u) % 1000003);
    const double sort = median_seconds(runs, [&] { gpu->argsort(keys); });
    rows.push_back({"argsort (stable radix, float64 keys)", shape({keys.size()}), sort,
                    static_cast<double>(keys.size() * sizeof(double)) / sort / 1e9, "GB/s", ""});
  }
  cublasDestroy(handle);
  print(rows, json_path);
  return 0;
}

}  // namespace
}  // namespace oodbench

int main(int argc, char** argv) {
  bool quick = false, tf32 = false;
  std::string json;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") quick = true;
    else if (a == "--tf32") tf32 = true;
    else if (a == "--json" && i + 1 < argc) json = argv[++i];
    else {
      std::fprintf(stderr, "usage: gpu_bench [--quick] [--tf32] [--json FILE]\n");
      return 2;
    }
  }
  std::string why;
  if (!oodbench::cuda_usable(&why)) {
    std::fprintf(stderr, "gpu_bench: no usable GPU: %s\n", why.c_str());
    return 2;
  }
  try {
    return oodbench::run(quick, tf32, json);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_bench: %s\n", e.what());
    return 1;
  }
}
