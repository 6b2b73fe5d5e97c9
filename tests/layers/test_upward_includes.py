#!/usr/bin/env python3
"""The build enforces the layers (docs/architecture.md): a file of one layer that includes a header of a layer above
it, or beside it, fails to compile, while its own layer's headers and those below compile.

Each case compiles a one-line probe (`#include "<header>"`) with the very command the build uses for a real file of
the layer (from compile_commands.json), so the probe sees exactly that layer's include path. A case expected to fail
must fail because the header is not found, not for another reason. And no file of a layer may have the repository
root on its include path, which would let it see every layer.

Usage: test_upward_includes.py SOURCE_DIR BUILD_DIR
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

# (a file of the layer whose compile command the probe borrows, the header it includes, whether it must compile)
CASES = [
    ("kernels/device.cpp", "kernels/backend.h", True),
    ("kernels/device.cpp", "harness/io/npy.h", False),
    ("harness/io/npy.cpp", "harness/io/npz.h", True),
    ("harness/io/npy.cpp", "harness/fit/finite.h", False),
    ("harness/render/svg_chart.cpp", "harness/render/svg_chart.h", True),
    ("harness/render/svg_chart.cpp", "harness/report/cd_diagram.h", False),
    ("harness/fit/finite.cpp", "harness/io/npy.h", True),
    ("harness/fit/finite.cpp", "harness/detectors/detector.h", False),
    ("harness/fit/finite.cpp", "harness/metrics/ood_metrics.h", False),
    ("harness/metrics/ood_metrics.cpp", "harness/fit/percentile.h", True),
    ("harness/metrics/ood_metrics.cpp", "harness/detectors/detector.h", False),
    ("harness/metrics/ood_metrics.cpp", "harness/sweep/plan.h", False),
    ("harness/detectors/nero.cpp", "harness/detectors/detector.h", True),
    ("harness/detectors/nero.cpp", "harness/render/svg_chart.h", True),
    ("harness/detectors/nero.cpp", "harness/io/npy.h", True),
    ("harness/detectors/nero.cpp", "harness/metrics/ood_metrics.h", False),
    ("harness/detectors/nero.cpp", "harness/sweep/plan.h", False),
    ("harness/detectors/nero.cpp", "harness/report/sweep_plots.h", False),
    ("harness/sweep/plan.cpp", "harness/detectors/detector.h", True),
    ("harness/sweep/plan.cpp", "harness/metrics/ood_metrics.h", True),
    ("harness/sweep/plan.cpp", "harness/report/sweep_plots.h", False),
    ("harness/report/sweep_plots.cpp", "harness/sweep/plan.h", True),
    ("harness/report/sweep_plots.cpp", "harness/render/svg_chart.h", True),
    ("harness/report/sweep_plots.cpp", "harness/cli/command.h", False),
    ("harness/report/sweep_plots.cpp", "harness/python/bindings.h", False),
]


def compile_commands(build_dir):
    with open(os.path.join(build_dir, "compile_commands.json")) as f:
        entries = json.load(f)
    by_file = {}
    for e in entries:
        args = e["arguments"] if "arguments" in e else shlex.split(e["command"])
        by_file[os.path.realpath(e["file"])] = (e["directory"], args)
    return by_file


def probe_command(args, probe):
    """The file's command with its source and object swapped for the probe, checked for syntax only."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in ("-o", "-c"):
            skip = True
        elif a.startswith("-M"):  # depfile flags (-MD -MT x -MF y): keep the probe's run free of side effects
            skip = a in ("-MT", "-MF", "-MQ")
        else:
            out.append(a)
    return out + ["-fsyntax-only", probe]


def main():
    source_dir, build_dir = (os.path.realpath(p) for p in sys.argv[1:3])
    commands = compile_commands(build_dir)
    failures = []

    # No layer file has the repository root, from which every layer's headers resolve, on its include path.
    for file, (_, args) in commands.items():
        if file.startswith(os.path.join(source_dir, "harness") + os.sep) or \
                file.startswith(os.path.join(source_dir, "kernels") + os.sep):
            roots = [a[2:] for a in args if a.startswith("-I")] + [b for a, b in zip(args, args[1:]) if a == "-I"]
            if any(os.path.realpath(r) == source_dir for r in roots):
                failures.append(f"{os.path.relpath(file, source_dir)}: the repository root is on its include path")

    with tempfile.TemporaryDirectory() as tmp:
        for i, (layer_file, header, must_compile) in enumerate(CASES):
            key = os.path.join(source_dir, layer_file)
            if key not in commands:
                failures.append(f"{layer_file}: not in compile_commands.json")
                continue
            directory, args = commands[key]
            probe = os.path.join(tmp, f"probe{i}.cpp")
            with open(probe, "w") as f:
                f.write(f'#include "{header}"\n')
            run = subprocess.run(probe_command(args, probe), cwd=directory, capture_output=True, text=True)
            not_found = header in run.stderr and ("No such file" in run.stderr or "not found" in run.stderr)
            case = f"{layer_file} including {header}"
            if must_compile and run.returncode != 0:
                failures.append(f"{case}: should compile, failed:\n{run.stderr[-2000:]}")
            elif not must_compile and run.returncode == 0:
                failures.append(f"{case}: compiled, but the layer is above or beside it")
            elif not must_compile and not not_found:
                failures.append(f"{case}: failed, but not for a missing header:\n{run.stderr[-2000:]}")
            else:
                print(f"ok: {case} {'compiles' if must_compile else 'fails: header not found'}")

    for failure in failures:
        print("FAIL:", failure)
    print(f"{len(CASES)} cases, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
