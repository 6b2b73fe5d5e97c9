// The `oodbench` command line. Results go to stdout; errors to stderr with exit code 2 (bad input) or 1 (a bug).
#include <iostream>

#include "harness/cli/command.h"
#include "harness/version.h"
#include "kernels/cpu/openblas_core.h"
#include "kernels/device.h"
#include "kernels/error.h"

namespace oodbench {

std::unique_ptr<Backend> GlobalOptions::backend(bool tf32) const {
  const DeviceRequest request = parse_device_request(device);
  std::string why;
  auto result = make_backend(request, &why, tf32);
  if (request == DeviceRequest::automatic) std::cerr << "oodbench: device: " << why << '\n';
  return result;
}

}  // namespace oodbench

int main(int argc, char** argv) {
  using namespace oodbench;
  reexec_with_native_openblas_core(argv);
  CLI::App app{"oodbench: post-hoc OOD detection benchmarks on frozen embeddings (CPU and CUDA)", "oodbench"};
  app.set_version_flag("--version", version_string());
  app.require_subcommand(1);
  app.fallthrough();  // global options such as --device also work after the subcommand
  GlobalOptions global;
  app.add_option("--device", global.device, "auto (GPU when usable, else CPU), cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  add_eval_command(app, global);
  add_score_command(app, global);
  add_detectors_command(app);
  add_explain_command(app, global);
  add_diagnose_command(app, global);
  add_sweep_commands(app, global);
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
