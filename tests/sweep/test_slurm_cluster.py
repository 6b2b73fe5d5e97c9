#!/usr/bin/env python3
"""scripts/slurm_sweep.sh against a real one-node Slurm cluster (tests/sweep/slurm_cluster.py): tests/sweep/small.json
as a job array of 3 shards plus the dependent merge job, submitted from another folder with relative paths while the
jobs start in / (--chdir=/), so a path the script leaves relative or an environment variable it does not pass fails.
 1. Each task runs on the fake GPU Slurm assigns it (--gres=gpu:1 sets CUDA_VISIBLE_DEVICES; the merge job asks for
    none); the merged tables equal an unsharded run's byte for byte.
 2. A shard that fails (an injected failure of shard 1) makes the merge job not run (Slurm cancels it: its
    dependency can never be satisfied), and the sweep's log and `--status` name the shard and its log.
 3. Resubmitting the same command runs only the missing cells (shard 1's), then merges: tables equal again.
 4. A resubmission while the previous array is queued is refused; a previous merge job still waiting is cancelled.
Exits 77 (ctest: skipped) when Slurm's or munge's programs are not installed (scripts/install_deps.sh --optional).
Usage: test_slurm_cluster.py OODBENCH_BINARY DATA_DIR
"""
import os
import pathlib
import re
import sys
import tempfile

from slurm_cluster import SlurmCluster, missing_programs
from sweep_common import Checks, by_cell, records, run, table_files

missing = missing_programs()
if missing:
    print(f"skipped: no {', '.join(missing)} (Debian: slurmctld slurmd slurm-client munge; "
          "scripts/install_deps.sh --optional installs them)")
    raise SystemExit(77)

binary = os.path.abspath(sys.argv[1])
root = pathlib.Path(__file__).resolve().parents[2]
script = root / "scripts" / "slurm_sweep.sh"
config = root / "tests" / "sweep" / "small.json"
c = Checks()
submitted = {}  # job id -> `scontrol show job` right after submission


def last_section(log):
    """A shard log's part written by the latest submission (each starts with a `=== slurm_sweep:` line)."""
    text = log.read_text() if log.exists() else ""
    return text[text.rfind("=== slurm_sweep:"):]


def submit_and_wait(cluster, out, env, *sbatch_options):
    """Submits from `submit_dir` with relative paths; returns (array job, merge job, submit output) once both left
    the queue."""
    proc = cluster.run([script, os.path.relpath(config, submit_dir), os.path.relpath(out, submit_dir), "3", "--",
                        "--chdir=/", *sbatch_options], cwd=submit_dir, env=env)
    jobs = re.search(r"array job (\d+) .* merge job (\d+)", proc.stdout)
    c.check("slurm_sweep.sh submits an array and a merge job", proc.returncode == 0 and jobs,
            (proc.stdout + proc.stderr).strip()[-400:])
    if not jobs:
        return None, None, proc
    array, merge = jobs.groups()
    submitted[array] = cluster.run(["scontrol", "show", "job", array]).stdout  # while still known to slurmctld
    submitted[merge] = cluster.run(["scontrol", "show", "job", merge]).stdout
    c.check(f"array job {array} and merge job {merge} leave the queue", cluster.wait_gone([array, merge]),
            cluster.run(["squeue"]).stdout)
    return array, merge, proc


with tempfile.TemporaryDirectory() as t, SlurmCluster() as cluster:
    tmp = pathlib.Path(t)
    submit_dir = tmp / "submit" / "here"
    submit_dir.mkdir(parents=True)
    run(binary, "run", config, "--out", tmp / "full")
    # The binary behind a wrapper that fails shard 1 while a flag file exists: an injected, repeatable failure.
    flaky = tmp / "flaky-oodbench"
    flaky.write_text(f"""#!/bin/sh
case " $* " in *" --shard 1/3 "*) [ -e "$FAIL_FLAG" ] && {{ echo "injected failure" >&2; exit 3; }} ;; esac
exec '{binary}' "$@"
""")
    flaky.chmod(0o755)
    env = dict(cluster.env, OODBENCH=os.path.relpath(flaky, submit_dir), OODBENCH_DEVICE="cpu",
               FAIL_FLAG=str(tmp / "fail-shard-1"))

    # 1. A clean sweep, one fake GPU per task.
    out = tmp / "gpu-sweep"
    array, merge, _ = submit_and_wait(cluster, out, env, "--gres=gpu:1")
    jobs = cluster.finished_jobs()
    states = [jobs.get((array, str(i)), {}).get("JobState") for i in range(3)]
    c.check("every array task completed", states == ["COMPLETED"] * 3, f"{states}\n{cluster.logs()}")
    merge_log = out / "logs" / "merge.log"
    c.check("the merge job completed", jobs.get(merge, {}).get("JobState") == "COMPLETED",
            f"{jobs.get(merge)}\n{merge_log.read_text() if merge_log.exists() else 'no merge.log'}")
    headers = [last_section(out / "logs" / f"shard-{i}.log").split("\n")[0] for i in range(3)]
    c.check("each task ran on the GPU Slurm assigned it (CUDA_VISIBLE_DEVICES=0 or 1)",
            all(re.search(r"CUDA_VISIBLE_DEVICES=[01]\b", h) for h in headers), str(headers))
    c.check("the array asked for a GPU per task, the merge job for none",
            "gres:gpu:1" in submitted[array] and "gres:gpu" not in submitted[merge], submitted[merge])
    c.check("merged tables equal the unsharded run's byte for byte",
            (out / "tables").is_dir() and table_files(out) == table_files(tmp / "full"))
    status = cluster.run([script, "--status", out])
    c.check("--status: every shard done and merged (exit 0)", status.returncode == 0 and "merge: done" in status.stdout,
            status.stdout + status.stderr)

    # 2. Shard 1 fails: no merge; the log and --status say which shard and where its log is.
    out = tmp / "failing-sweep"
    (tmp / "fail-shard-1").touch()
    array, merge, _ = submit_and_wait(cluster, out, env)
    jobs = cluster.finished_jobs()
    states = [jobs.get((array, str(i)), {}).get("JobState") for i in range(3)]
    c.check("shards 0 and 2 completed, shard 1 failed", states == ["COMPLETED", "FAILED", "COMPLETED"], str(states))
    c.check("the merge job never ran: cancelled as its dependency cannot be met",
            jobs.get(merge, {}).get("JobState") == "CANCELLED" and not (out / "records.jsonl").exists(),
            str(jobs.get(merge)))
    sweep_log = (out / "logs" / "sweep.log").read_text()
    c.check("the sweep's log names the failed shard and its log",
            "shard 1/3 failed (exit 3)" in sweep_log and str(out / "logs" / "shard-1.log") in sweep_log, sweep_log)
    c.check("the shard's log holds its error", "injected failure" in last_section(out / "logs" / "shard-1.log"))
    status = cluster.run([script, "--status", out])
    c.check("--status names the failed shard and how to resume (exit 1)",
            status.returncode == 1 and re.search(r"shard 1/3: failed \(exit 3\)", status.stdout) and
            "shard 0/3: done" in status.stdout and "to resume:" in status.stdout, status.stdout + status.stderr)

    # 3. Resubmitting runs only the missing cells, then merges.
    (tmp / "fail-shard-1").unlink()
    array, merge, _ = submit_and_wait(cluster, out, env)
    jobs = cluster.finished_jobs()
    c.check("after resubmitting, every task and the merge completed",
            [jobs.get((array, str(i)), {}).get("JobState") for i in range(3)] == ["COMPLETED"] * 3 and
            jobs.get(merge, {}).get("JobState") == "COMPLETED")
    ran = [re.findall(r"(\d+) cells run, (\d+) already done", last_section(out / "logs" / f"shard-{i}.log"))
           for i in range(3)]
    c.check("only shard 1's cells ran again", ran == [[("0", "3")], [("3", "0")], [("0", "2")]], str(ran))
    c.check("no record duplicated", [len(records(out / f"shard-{i}")) for i in range(3)] == [3, 3, 2])
    c.check("merged records and tables equal the unsharded run's",
            by_cell(out) == by_cell(tmp / "full") and table_files(out) == table_files(tmp / "full"))

    # 4. A previous submission still in the queue: refused while its array is there; its merge job, held here as
    #    one a site without --kill-on-invalid-dep would leave waiting, is cancelled by the next submission.
    args = [script, config, out, "3", "--", "--chdir=/"]
    held = cluster.run(args + ["--hold"], env=env, cwd=submit_dir)
    found = re.search(r"array job (\d+) .* merge job (\d+)", held.stdout)
    c.check("a held submission is queued", held.returncode == 0 and found, held.stdout + held.stderr)
    array, merge = found.groups() if found else ("0", "0")  # the checks below then fail, with details
    again = cluster.run(args, env=env, cwd=submit_dir)
    c.check("a submission while the previous array is queued is refused (exit 2)",
            again.returncode == 2 and f"array job {array} of the previous submission" in again.stderr, again.stderr)
    cluster.run(["scontrol", "release", array])
    cluster.wait_gone([array])
    c.check("the held merge job still waits", cluster.queue(merge) is not None, str(cluster.queue(merge)))
    new_array, new_merge, _ = submit_and_wait(cluster, out, env)
    jobs = cluster.finished_jobs()
    c.check("the next submission cancelled it and merged",
            jobs.get(merge, {}).get("JobState") == "CANCELLED" and jobs.get(new_merge, {}).get("JobState") ==
            "COMPLETED" and f"cancelled merge job {merge} of the previous submission" in
            (out / "logs" / "sweep.log").read_text(), f"{jobs.get(merge)} {jobs.get(new_merge)}")

    cluster.stop()
    left = cluster.leftovers()
    c.check("no daemon left behind, ports free", not left, str(left))
c.exit()
