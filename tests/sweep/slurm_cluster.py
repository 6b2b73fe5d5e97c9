"""A one-node Slurm cluster for the tests, from Debian's packages (munge, slurmctld, slurmd, slurm-client).

Everything lives in one temporary folder: munged with its own key and socket, a generated slurm.conf (the node as
`slurmd -C` describes this machine, plus two fake GPUs as generic resources), state, spool, logs and pid files. The
daemons run in the foreground as children of this process, as the current user, listening on two free ports of
127.0.0.1 only (CommunicationParameters=NoCtldInAddrAny,NoInAddrAny). There is no slurmdbd, so `sacct` has nothing
to say: jobs are waited for with `squeue` until they leave the queue, and their final states are read from the
job-completion log (JobCompType=jobcomp/filetxt), one line per job or array task.
Stopping cancels every job, stops the daemons (SIGTERM, then SIGKILL) and checks that none is left behind; should the
test itself be killed, the kernel stops them (PR_SET_PDEATHSIG).
"""
import ctypes
import getpass
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

PROGRAMS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")


def missing_programs():
    search = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return [p for p in PROGRAMS if shutil.which(p, path=search) is None]


def die_with_parent():
    """In a daemon's child process before exec: SIGTERM when this test dies, even by SIGKILL (a ctest timeout)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG; kept across exec


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class SlurmCluster:
    def __init__(self):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="oodbench-slurm-"))
        self.dir.chmod(0o711)  # munged wants its socket's folder searchable by all
        self.daemons = {}
        self.env = dict(os.environ, SLURM_CONF=str(self.dir / "slurm.conf"),
                        PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
        self.env.pop("SLURM_JOB_ID", None)  # not inside someone else's allocation

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            self.remove()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        self.remove()

    def _spawn(self, name, *args):
        log = open(self.dir / f"{name}.out", "w")
        self.daemons[name] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                              start_new_session=True, preexec_fn=die_with_parent)
        log.close()

    def _start(self):
        d = self.dir
        key = d / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        self._spawn("munged", "munged", "-F", f"--key-file={key}", f"--socket={d / 'munge.sock'}",
                    f"--pid-file={d / 'munged.pid'}", f"--log-file={d / 'munged.log'}", f"--seed-file={d / 'munged.seed'}")
        self._wait_for(lambda: (d / "munge.sock").exists(), "munged's socket", 20)
        self.ctld_port, self.slurmd_port = free_ports(2)
        self.host = socket.gethostname().split(".")[0]
        node = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, env=self.env, check=True).stdout
        node = next(line for line in node.splitlines() if line.startswith("NodeName="))
        node = node.replace(node.split()[0], f"NodeName={self.host} NodeAddr=127.0.0.1", 1)
        # Two fake GPUs: Slurm wants a device file per GPU and hands out their indices; nothing opens them.
        (d / "gres.conf").write_text("".join(f"NodeName={self.host} Name=gpu File={dev}\n"
                                             for dev in ("/dev/null", "/dev/zero")))
        user = getpass.getuser()
        (d / "slurm.conf").write_text(f"""\
ClusterName=oodbenchtest
SlurmctldHost={self.host}(127.0.0.1)
SlurmctldPort={self.ctld_port}
SlurmdPort={self.slurmd_port}
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={d}/munge.sock
SlurmUser={user}
SlurmdUser={user}
StateSaveLocation={d}/state
SlurmdSpoolDir={d}/spool
SlurmctldPidFile={d}/slurmctld.pid
SlurmdPidFile={d}/slurmd.pid
SlurmctldLogFile={d}/slurmctld.log
SlurmdLogFile={d}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={d}/jobcomp.txt
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
GresTypes=gpu
{node} Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")
        for sub in ("state", "spool"):
            (d / sub).mkdir()
        self._spawn("slurmctld", "slurmctld", "-D", "-f", str(d / "slurm.conf"))
        self._spawn("slurmd", "slurmd", "-D", "-f", str(d / "slurm.conf"))
        self._wait_for(lambda: self._sinfo_state() == "idle", "the node to be idle", 60)

    def _sinfo_state(self):
        proc = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=self.env)
        return proc.stdout.strip()

    def _wait_for(self, ready, what, timeout):
        deadline = time.monotonic() + timeout
        while not ready():
            dead = [n for n, p in self.daemons.items() if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(f"waiting for {what}: " + (f"{', '.join(dead)} exited" if dead else "timed out") +
                                   "\n" + self.logs())
            time.sleep(0.2)

    def logs(self):
        parts = []
        for name in ("munged.log", "slurmctld.log", "slurmd.log", "munged.out", "slurmctld.out", "slurmd.out"):
            path = self.dir / name
            if path.exists():
                parts.append(f"--- {name}:\n" + "\n".join(path.read_text(errors="replace").splitlines()[-15:]))
        return "\n".join(parts)

    def run(self, args, **kwargs):
        return subprocess.run(args, capture_output=True, text=True, env=kwargs.pop("env", self.env), **kwargs)

    def wait_gone(self, job_ids, timeout=300):
        """Until none of these jobs (array jobs with all their tasks) is in the queue; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            queued = self.run(["squeue", "-h", "-j", ",".join(job_ids), "-o", "%i"])
            if queued.returncode == 0 and not queued.stdout.strip():
                return True
            time.sleep(1)
        return False

    def queue(self, job_id):
        """(state, reason) of a job still in the queue, or None."""
        out = self.run(["squeue", "-h", "-j", job_id, "-o", "%T %r"]).stdout.split()
        return tuple(out[:2]) if out else None

    def finished_jobs(self):
        """Final states from the job-completion log: {(array job, task) or job id: line fields}."""
        jobs = {}
        path = self.dir / "jobcomp.txt"
        for line in (path.read_text().splitlines() if path.exists() else []):
            fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
            if "ArrayJobId" in fields:
                jobs[(fields["ArrayJobId"], fields["ArrayTaskId"])] = fields
            else:
                jobs[fields["JobId"]] = fields
        return jobs

    def stop(self):
        if "slurmctld" in self.daemons and self.daemons["slurmctld"].poll() is None:
            self.run(["scancel", "--user", getpass.getuser()], timeout=30)
            self.wait_gone_all(20)
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.daemons.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def wait_gone_all(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.run(["squeue", "-h", "-o", "%i"], timeout=30).stdout.strip():
                return
            time.sleep(0.5)

    def leftovers(self):
        """Processes of this cluster still alive after stop(): daemons, or anything naming its folder."""
        alive = [f"{n} (pid {p.pid})" for n, p in self.daemons.items() if p.poll() is None]
        for proc in pathlib.Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(self.dir) in cmdline:
                alive.append(f"pid {proc.name}: {cmdline.strip()}")
        for port in (getattr(self, "ctld_port", None), getattr(self, "slurmd_port", None)):
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT; a listener still blocks
                try:
                    port and s.bind(("127.0.0.1", port))
                except OSError:
                    alive.append(f"something still listens on 127.0.0.1:{port}")
        return alive

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)
