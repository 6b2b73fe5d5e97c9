#!/usr/bin/env python3
"""`oodbench --gpu G` and scripts/multi_gpu_sweep.sh (one shard per GPU of a machine, then a merge).
 1. --gpu's errors (exit 2): not an index, with --device cpu, past CUDA_VISIBLE_DEVICES' list, no usable GPU.
 2. The launcher's plan (--dry-run) for GPU lists from OODBENCH_GPUS, CUDA_VISIBLE_DEVICES and a fake nvidia-smi:
    shard i on the i-th GPU, a log per shard, the merge last.
 3. The launcher run for real on three fake GPUs (OODBENCH is a wrapper that notes each shard's --gpu and
    CUDA_VISIBLE_DEVICES, then runs the binary on the CPU): merged tables equal an unsharded run's byte for byte; a
    failing shard is named with its GPU and log, nothing is merged, and the same command again runs only its cells.
 4. Only where the binary has CUDA and nvidia-smi lists a GPU: --gpu 0 runs there and records which GPU it was, and
    the launcher's merged tables equal an unsharded GPU run's. Elsewhere this part says it did not run.
Usage: test_multi_gpu_sweep.py OODBENCH_BINARY DATA_DIR
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

from sweep_common import Checks, records, run, table_files

binary = os.path.abspath(sys.argv[1])
root = pathlib.Path(__file__).resolve().parents[2]
launcher = root / "scripts" / "multi_gpu_sweep.sh"
config = root / "tests" / "sweep" / "small.json"
c = Checks()
clean_env = {k: v for k, v in os.environ.items() if k not in ("CUDA_VISIBLE_DEVICES", "OODBENCH_GPUS", "OODBENCH")}


def oodbench(*args, env=None):
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, env=env or clean_env)


def launch(*args, **env):
    return subprocess.run([launcher, *map(str, args)], capture_output=True, text=True, env=dict(clean_env, **env))


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)

    # 1. --gpu's errors.
    for args, env, expected in [
            (["--gpu", "x"], {}, "--gpu: expected a GPU index (0, 1, ...), got 'x'"),
            (["--gpu", "-1"], {}, "--gpu: expected a GPU index"),
            (["--device", "cpu", "--gpu", "0"], {}, "--gpu 0 asks for a GPU but --device cpu"),
            (["--gpu", "2"], {"CUDA_VISIBLE_DEVICES": "3,5"}, "CUDA_VISIBLE_DEVICES='3,5' makes 2 GPU(s) visible"),
            (["--gpu", "0"], {"CUDA_VISIBLE_DEVICES": ""}, "CUDA_VISIBLE_DEVICES is set but empty")]:
        proc = oodbench(*args, "run", config, "--out", tmp / "bad", env=dict(clean_env, **env))
        c.check(f"--gpu error: {' '.join(args)} {env or ''}", proc.returncode == 2 and expected in proc.stderr and
                not (tmp / "bad").exists(), f"exit {proc.returncode}: {proc.stderr.strip()}")
    proc = oodbench("--gpu", "0", "detectors")
    c.check("--gpu after or before the subcommand parses", proc.returncode == 0 and
            oodbench("detectors", "--gpu", "0").returncode == 0, proc.stderr)
    # With no usable GPU (no device, or a CPU-only build), --gpu is an error, never a quiet CPU run.
    proc = oodbench("--gpu", "0", "run", config, "--out", tmp / "nogpu", env=dict(clean_env, CUDA_VISIBLE_DEVICES="7"))
    c.check("--gpu on a GPU that is not there: exit 2 naming it", proc.returncode == 2 and
            "--gpu 0 (CUDA_VISIBLE_DEVICES=7)" in proc.stderr and "no usable GPU" in proc.stderr, proc.stderr.strip())

    # 2. The plan.
    out = tmp / "plan-out"
    plan = launch(config, out, "--dry-run", OODBENCH_GPUS="3,5,7")
    lines = [line for line in plan.stdout.splitlines() if "--task" in line]
    expected = [(f"OODBENCH_GPU={i} ", f"--task {config} {out} 3 {i} >>{out}/logs/shard-{i}.log 2>&1 &",
                 f"# shard {i}/3 on GPU {gpu}") for i, gpu in enumerate(("3", "5", "7"))]
    c.check("plan: shard i of 3 on the i-th of OODBENCH_GPUS=3,5,7, a log each",
            plan.returncode == 0 and len(lines) == 3 and all(all(part in line for part in parts)
                                                             for line, parts in zip(lines, expected)), plan.stdout)
    c.check("plan: CUDA_VISIBLE_DEVICES is the list, --gpu i picks its i-th entry; merge after all",
            "export CUDA_VISIBLE_DEVICES=3,5,7 " in plan.stdout and
            plan.stdout.strip().splitlines()[-1].startswith("wait; ") and f"--merge {out} 3" in plan.stdout,
            plan.stdout)
    c.check("plan starts nothing", not out.exists())
    plan = launch(config, out, "--dry-run", CUDA_VISIBLE_DEVICES="GPU-aa,GPU-bb")
    c.check("plan from CUDA_VISIBLE_DEVICES (UUIDs too): 2 shards",
            plan.returncode == 0 and "# shard 1/2 on GPU GPU-bb" in plan.stdout and "shard 2/" not in plan.stdout,
            plan.stdout)
    fake_bin = tmp / "fakebin"
    fake_bin.mkdir()
    (fake_bin / "nvidia-smi").write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H100 (UUID: GPU-1)'\n"
                                         "echo 'GPU 1: NVIDIA H100 (UUID: GPU-2)'\n")
    (fake_bin / "nvidia-smi").chmod(0o755)
    plan = launch(config, out, "--dry-run", PATH=f"{fake_bin}:{os.environ['PATH']}")
    c.check("plan from nvidia-smi -L: one shard per listed GPU",
            plan.returncode == 0 and "# shard 0/2 on GPU 0" in plan.stdout and "# shard 1/2 on GPU 1" in plan.stdout,
            plan.stdout + plan.stderr)
    plan = launch(config, out, "--dry-run", CUDA_VISIBLE_DEVICES="", PATH="/usr/bin:/bin")
    c.check("no GPU: exit 2 pointing to slurm_sweep.sh --local",
            plan.returncode == 2 and "no GPU found" in plan.stderr and "--local" in plan.stderr, plan.stderr)
    plan = launch(config, out, "--dry-fun", OODBENCH_GPUS="0")
    c.check("an unknown option: exit 2", plan.returncode == 2 and "--dry-fun" in plan.stderr, plan.stderr)

    # 3. A real run on three fake GPUs.
    run(binary, "run", config, "--out", tmp / "full")
    wrapper = tmp / "fake-gpu-oodbench"
    wrapper.write_text(f"""#!/bin/bash
# Notes the shard's --gpu and CUDA_VISIBLE_DEVICES, fails shard 1 while $FAIL_FLAG exists, runs the rest on the CPU.
args=(); gpu=""
while [ $# -gt 0 ]; do
  case "$1" in --gpu) gpu=$2; shift 2 ;; --device) shift 2 ;; *) args+=("$1"); shift ;; esac
done
shard=$(printf '%s\\n' "${{args[@]}}" | grep -x '[0-9]*/[0-9]*' || true)
echo "$shard gpu=$gpu visible=$CUDA_VISIBLE_DEVICES device=$OODBENCH_DEVICE" >>'{tmp}/gpus.txt'
[ "$shard" = 1/3 ] && [ -e '{tmp}/fail' ] && {{ echo "injected failure" >&2; exit 4; }}
exec '{binary}' --device cpu "${{args[@]}}"
""")
    wrapper.chmod(0o755)
    out = tmp / "three-gpus"
    (tmp / "fail").touch()
    first = launch(config, out, OODBENCH=wrapper, OODBENCH_GPUS="3,5,7")
    c.check("a failing shard: exit 1, named with its GPU and log, nothing merged",
            first.returncode == 1 and f"shard 1/3 (GPU 5) failed: see {out}/logs/shard-1.log" in first.stderr and
            not (out / "records.jsonl").exists(), first.stderr.strip())
    c.check("its log holds the error", "injected failure" in (out / "logs" / "shard-1.log").read_text())
    noted = sorted(set((tmp / "gpus.txt").read_text().splitlines()))
    c.check("shard i ran with --gpu i over CUDA_VISIBLE_DEVICES=3,5,7 and --device cuda",
            noted == [f"{i}/3 gpu={i} visible=3,5,7 device=cuda" for i in range(3)], str(noted))
    status = subprocess.run([root / "scripts" / "slurm_sweep.sh", "--status", out], capture_output=True, text=True)
    c.check("slurm_sweep.sh --status reads the launcher's sweep too",
            status.returncode == 1 and "shard 1/3: failed (exit 4)" in status.stdout, status.stdout + status.stderr)
    (tmp / "fail").unlink()
    again = launch(config, out, OODBENCH=wrapper, OODBENCH_GPUS="3,5,7")
    c.check("the same command again merges", again.returncode == 0, again.stderr.strip()[-400:])
    ran = [re.findall(r"(\d+) cells run", (out / "logs" / f"shard-{i}.log").read_text())[-1:] for i in range(3)]
    c.check("and ran only the failed shard's cells", ran == [["0"], ["3"], ["0"]], str(ran))
    c.check("merged tables equal the unsharded run's byte for byte",
            (out / "tables").is_dir() and table_files(out) == table_files(tmp / "full"))

    # 4. On a machine with a GPU.
    smi = shutil.which("nvidia-smi")
    gpus = subprocess.run([smi, "-L"], capture_output=True, text=True).stdout.count("GPU ") if smi else 0
    probe = oodbench("--gpu", "0", "run", config, "--out", tmp / "gpu0", "--shard", "0/8", "--no-report")
    if gpus and probe.returncode == 0:
        rec = records(tmp / "gpu0")[0]
        c.check("--gpu 0 ran on the GPU and records it", rec["run"]["device"].startswith("cuda:0") and
                rec["run"].get("cuda_visible_devices") == "0", json.dumps(rec["run"]))
        subprocess.run([binary, "--device", "cuda", "run", config, "--out", tmp / "gpu-full"], capture_output=True)
        real = launch(config, tmp / "gpu-sweep")
        c.check(f"the launcher on {gpus} real GPU(s) merges", real.returncode == 0, real.stderr.strip()[-400:])
        c.check("its tables equal an unsharded GPU run's byte for byte",
                table_files(tmp / "gpu-sweep") == table_files(tmp / "gpu-full"))
        used = sorted({r["run"].get("cuda_visible_devices") for r in records(tmp / "gpu-sweep")})
        c.check("every GPU ran a shard", len(used) == min(gpus, 8), str(used))
    else:
        print(f"GPU part not run: nvidia-smi lists {gpus} GPU(s); --gpu 0: {probe.stderr.strip()[-200:]}")
c.exit()
