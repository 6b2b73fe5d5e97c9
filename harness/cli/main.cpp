// The `oodbench` command line. Results go to stdout; errors to stderr with exit code 2 (bad input) or 1 (a bug).
#include <cstdlib>
#include <iostream>

#include "harness/cli/command.h"
#include "harness/cli/gpu_choice.h"
#include "harness/version.h"
#include "kernels/cpu/openblas_core.h"
#include "kernels/cpu/openblas_workers.h"
#include "kernels/device.h"
#include "kernels/error.h"

namespace oodbench {

std::unique_ptr<Backend> GlobalOptions::backend(bool tf32) const {
  DeviceRequest request = parse_device_request(device, "--device");
  if (!gpu.empty()) request = restrict_to_gpu(gpu, request);  // before make_backend: CUDA reads it at its first init
  CpuFallback fallback;
  std::unique_ptr<Backend> result;
  try {
    result = make_backend(request, &fallback, tf32, "--device");
  } catch (const DeviceError& e) {
    if (gpu.empty()) throw;
    throw DeviceError("--gpu " + gpu + " (CUDA_VISIBLE_DEVICES=" + std::getenv("CUDA_VISIBLE_DEVICES") + "): " +
                      e.what());
  }
  // One line saying what `auto` or `--gpu` picked. Why no GPU is usable (the driver's words) is noise on a CPU-only
  // machine, so it is said only on --verbose, or where a GPU was found that cannot be used (a build without its
  // architecture); `--device cuda` puts it in its error.
  if (device == "auto" || verbose || !gpu.empty()) {
    std::cerr << "oodbench: device: " << result->description();
    if (!gpu.empty())
      std::cerr << " (--gpu " << gpu << ": CUDA_VISIBLE_DEVICES=" << std::getenv("CUDA_VISIBLE_DEVICES") << ")";
    if ((verbose || fallback.gpu_found) && !fallback.reason.empty())
      std::cerr << " (no usable GPU: " << fallback.reason << ")";
    std::cerr << '\n';
  }
  return result;
}

}  // namespace oodbench

int main(int argc, char** argv) {
  using namespace oodbench;
  reexec_with_native_openblas_core(argv);
  quiet_idle_openblas_workers();
  CLI::App app{"oodbench: post-hoc OOD detection benchmarks on frozen embeddings (CPU and CUDA)", "oodbench"};
  app.set_version_flag("--version", version_string());
  app.require_subcommand(1);
  app.fallthrough();  // global options such as --device also work after the subcommand
  GlobalOptions global;
  app.add_option("--device", global.device, "auto (GPU when usable, else CPU), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  app.add_option("--gpu", global.gpu,
                 "Run on this GPU only (index; among CUDA_VISIBLE_DEVICES' GPUs when that is set); implies --device "
                 "cuda");
  app.add_flag("--verbose", global.verbose, "Say more on stderr (e.g. why --device auto found no usable GPU)");
  add_eval_command(app, global);
  add_score_command(app, global);
  add_fit_command(app, global);
  add_detectors_command(app);
  add_explain_command(app, global);
  add_diagnose_command(app, global);
  add_sweep_commands(app, global);
  add_compare_command(app);
  add_ranks_command(app);
  int exit_code = 0;
  add_check_command(app, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help, version or the parse error
    return code == 0 ? 0 : 2;
  } catch (const InputError& e) {
    std::cerr << "oodbench: error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "oodbench: internal error: " << e.what() << '\n';
    return 1;
  }
  return exit_code;
}
