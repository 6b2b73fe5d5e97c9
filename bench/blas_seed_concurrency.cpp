// Whether training autoencoder seeds side by side could be faster on the CPU: the five products of one training step
// (batch B, D -> h -> D, as harness/fit/autoencoder_fit.h trains) for two seeds, run one seed after the other with
// OpenBLAS's threads, against the two seeds at once, each on its own thread with one OpenBLAS thread. Prints steps
// per second of each and whether the two ways give the same bits (OpenBLAS's rounding depends on its thread count).
// Usage: blas_seed_concurrency [--batch 256] [--dim 1280] [--steps 200] [--threads 2]
#include <CLI/CLI.hpp>
#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "kernels/cpu/openblas_core.h"

extern "C" void openblas_set_num_threads(int);

namespace {

/// One seed's step: encoder and decoder forward, the decoder's two gradients, the encoder's weight gradient.
struct Seed {
  int batch, dim, hidden;
  std::vector<float> x, w1, w2, z, y, dy, dw2, dz, dw1;

  Seed(int b, int d, unsigned seed)
      : batch(b), dim(d), hidden(d / 2), x(b * d), w1(d * (d / 2)), w2((d / 2) * d), z(b * (d / 2)), y(b * d),
        dy(b * d), dw2((d / 2) * d), dz(b * (d / 2)), dw1(d * (d / 2)) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.05f);
    for (auto* v : {&x, &w1, &w2, &dy})
      for (float& value : *v) value = normal(rng);
  }
  void step() {
    const auto gemm = [](CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n, int k, const float* a, int lda,
                         const float* b, int ldb, float* c, int ldc) {
      cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
    };
    const int h = hidden, d = dim;
    gemm(CblasNoTrans, CblasNoTrans, batch, h, d, x.data(), d, w1.data(), h, z.data(), h);    // z = x W1
    gemm(CblasNoTrans, CblasNoTrans, batch, d, h, z.data(), h, w2.data(), d, y.data(), d);    // y = z W2
    gemm(CblasTrans, CblasNoTrans, h, d, batch, z.data(), h, dy.data(), d, dw2.data(), d);    // dW2 = z' dy
    gemm(CblasNoTrans, CblasTrans, batch, h, d, dy.data(), d, w2.data(), d, dz.data(), h);    // dz = dy W2'
    gemm(CblasTrans, CblasNoTrans, d, h, batch, x.data(), d, dz.data(), h, dw1.data(), h);    // dW1 = x' dz
  }
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  oodbench::reexec_with_native_openblas_core(argv);  // the kernels oodbench itself would use
  CLI::App app{"blas_seed_concurrency: two autoencoder seeds one after the other, or side by side"};
  int batch = 256, dim = 1280, steps = 200, threads = 2;
  app.add_option("--batch", batch)->check(CLI::PositiveNumber);
  app.add_option("--dim", dim)->check(CLI::Range(2, 1 << 16));
  app.add_option("--steps", steps)->check(CLI::PositiveNumber);
  app.add_option("--threads", threads)->check(CLI::Range(2, 1024));
  CLI11_PARSE(app, argc, argv);

  Seed a(batch, dim, 1), b(batch, dim, 2);
  openblas_set_num_threads(threads);
  a.step(), b.step();  // warm-up: OpenBLAS's buffers and threads
  auto start = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) a.step(), b.step();
  const double after = seconds_since(start);
  const std::vector<float> threaded = a.dw1;

  openblas_set_num_threads(1);
  start = std::chrono::steady_clock::now();
  std::thread other([&] {
    for (int s = 0; s < steps; ++s) b.step();
  });
  for (int s = 0; s < steps; ++s) a.step();
  other.join();
  const double beside = seconds_since(start);
  const bool same = std::memcmp(threaded.data(), a.dw1.data(), threaded.size() * sizeof(float)) == 0;

  std::printf("{\"batch\": %d, \"dim\": %d, \"steps\": %d, \"threads\": %d, \"one_after_the_other_s\": %.4f, "
              "\"side_by_side_s\": %.4f, \"speed_up\": %.3f, \"same_bits\": %s}\n",
              batch, dim, steps, threads, after, beside, after / beside, same ? "true" : "false");
}
