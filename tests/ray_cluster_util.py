"""A real multi-node Ray cluster on loopback, started from the project's virtualenv, for tests.

Every node is a separate ``ray start`` (own raylet, object store and agents) on 127.0.0.1, so a
job submitted to it goes through the same path as on a real cluster: the dashboard's job server,
a runtime-env ``working_dir`` upload, a driver that connects with ``address="auto"``.

Isolation from other Ray instances on the same machine (other agents, an embedded ``ray.init()``):

* its own ``--temp-dir`` (short, under /tmp: Unix socket paths must stay below ~107 bytes);
* every port named explicitly, drawn at random from 20000-32000 and checked free on 127.0.0.1:
  above Ray's default worker range (10002-19999) and fixed ports (6379, 8265, 10001, 52365), and
  below the kernel's ephemeral range (32768+), so outgoing connections cannot take them either;
* teardown kills only this cluster's processes. ``ray stop`` cannot be scoped (it kills every
  raylet/gcs_server/dashboard of the machine, whoever started them, by process name), so it is
  never called. Instead every process started here carries a unique marker variable in its
  environment (inherited by gcs_server, raylet, agents, workers and job drivers alike, even after
  workers rename themselves to ``ray::IDLE`` etc.), and teardown signals exactly the processes
  whose environment holds that marker or whose command line names this temp dir, plus their
  descendants.

Loopback only: Ray rewrites ``127.0.0.1``/``localhost`` (in ``--node-ip-address``, ``--address``
and a driver's ``RAY_ADDRESS``) into the machine's outward-facing IP (found by "connecting" a UDP
socket to 8.8.8.8), unless ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, which makes every Ray process
answer 127.0.0.1 instead. That variable also makes ``ray start --address=...`` refuse to join a
cluster, so a worker node is started through the same CLI (``ray.scripts.scripts.main``) with
that one check re-enabled and the local-IP lookup pinned to 127.0.0.1 in the launching process
only (``_WORKER_START``); the raylet, agents, workers and job drivers all inherit ``=0``. Result:
every node registers as 127.0.0.1 and every connection goes to 127.0.0.1.

Token authentication: Ray 2.60's ``ray start --head`` turns token auth on by itself whenever
``~/.ray/auth_token`` exists (any earlier embedded ``ray.init()`` on the machine creates it), but
``ray start --address=...`` on a worker node does not, and then fails with "InvalidAuthToken".
So the cluster here gets its own token file and every command aimed at it (both ``ray start``s,
``ray job submit``, ``ray list``) runs with ``RAY_AUTH_MODE=token`` and
``RAY_AUTH_TOKEN_PATH`` pointing at that file; nothing depends on, or touches, ``~/.ray``.
Queries go through the ``ray`` CLI in subprocesses, so this test process never changes its own
Ray/auth configuration (other tests in the session may start an embedded Ray).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

LOOPBACK = "127.0.0.1"
# `ray start` for a worker node, pinned to loopback (see the module docstring).
_WORKER_START = (
    "import sys\n"
    "import ray._private.ray_constants as ray_constants\n"
    "import ray._private.services as services\n"
    "ray_constants.ENABLE_RAY_CLUSTER = True\n"
    f"services.get_node_ip_address = lambda address=None: {LOOPBACK!r}\n"
    "from ray.scripts.scripts import main\n"
    "sys.argv[0] = 'ray'\n"
    "sys.exit(main())\n"
)
MARKER_VAR = "CURATION_TEST_RAY_CLUSTER"
_PORT_LO, _PORT_HI = 20000, 32000


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


class PortPool:
    """Hands out distinct free loopback ports (single ones and contiguous ranges)."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._taken: set[int] = set()

    def _ok(self, port: int) -> bool:
        return port not in self._taken and _port_free(port)

    def port(self) -> int:
        for _ in range(1000):
            p = self._rng.randrange(_PORT_LO, _PORT_HI)
            if self._ok(p):
                self._taken.add(p)
                return p
        raise RuntimeError("no free loopback port found")

    def range(self, n: int) -> tuple[int, int]:
        for _ in range(200):
            lo = self._rng.randrange(_PORT_LO, _PORT_HI - n)
            block = range(lo, lo + n)
            if all(self._ok(p) for p in block):
                self._taken.update(block)
                return lo, lo + n - 1
        raise RuntimeError(f"no free range of {n} loopback ports found")


@dataclass
class LoopbackRayCluster:
    """``ray start`` a head plus ``n_workers`` worker nodes on 127.0.0.1; ``stop()`` kills only them."""

    venv: Path
    cpus_per_node: int = 1
    n_workers: int = 1
    object_store_bytes: int = 150 * 1024**2
    worker_ports_per_node: int = 60
    start_timeout_s: float = 120.0
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    temp_dir: Path = field(init=False)
    gcs_port: int = field(init=False)
    dashboard_port: int = field(init=False)
    started: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.ports = PortPool()
        self.temp_dir = Path(tempfile.mkdtemp(prefix=f"rt_{self.token[:6]}_", dir="/tmp"))
        self.auth_token_path = self.temp_dir / "auth_token"
        self.auth_token_path.write_text(secrets.token_hex(32))
        self.auth_token_path.chmod(0o600)
        self.gcs_port = self.ports.port()
        self.dashboard_port = self.ports.port()

    # -- addresses -------------------------------------------------------------------------
    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.gcs_port}"

    @property
    def dashboard_url(self) -> str:
        return f"http://{LOOPBACK}:{self.dashboard_port}"

    @property
    def ray(self) -> str:
        return str(self.venv / "bin" / "ray")

    def env(self) -> dict[str, str]:
        """Environment for every command aimed at this cluster.

        The venv's bin/ comes first on PATH: a job's entrypoint runs with the head node's PATH,
        so ``curate`` and ``python`` in a submitted entrypoint resolve to this venv.
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
        env.update({
            "PATH": f"{self.venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(self.venv),
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN_PATH": str(self.auth_token_path),
            MARKER_VAR: self.token,
        })
        return env

    # -- lifecycle -------------------------------------------------------------------------
    def _node_args(self, temp_dir: Path) -> list[str]:
        lo, hi = self.ports.range(self.worker_ports_per_node)
        return [
            f"--node-ip-address={LOOPBACK}",
            f"--num-cpus={self.cpus_per_node}",
            "--num-gpus=0",
            f"--temp-dir={temp_dir}",
            f"--object-store-memory={self.object_store_bytes}",
            f"--node-manager-port={self.ports.port()}",
            f"--object-manager-port={self.ports.port()}",
            f"--min-worker-port={lo}",
            f"--max-worker-port={hi}",
            f"--dashboard-agent-listen-port={self.ports.port()}",
            f"--dashboard-agent-grpc-port={self.ports.port()}",
            f"--metrics-export-port={self.ports.port()}",
            f"--runtime-env-agent-port={self.ports.port()}",
            "--disable-usage-stats",
        ]

    def _ray_start(self, args: list[str], worker: bool = False) -> None:
        cmd = [str(self.venv / "bin" / "python"), "-c", _WORKER_START] if worker else [self.ray]
        cmd += ["start", *args]
        self.started.append(" ".join(cmd))
        proc = subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=self.start_timeout_s)
        if proc.returncode != 0:
            raise RuntimeError(f"ray start failed ({proc.returncode}): ray start {' '.join(args)}\n"
                               f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")

    def start(self) -> LoopbackRayCluster:
        self._ray_start([
            "--head", f"--port={self.gcs_port}",
            f"--dashboard-host={LOOPBACK}", f"--dashboard-port={self.dashboard_port}",
            f"--ray-client-server-port={self.ports.port()}",
            *self._node_args(self.temp_dir),
        ])
        for i in range(self.n_workers):
            # A temp dir per node, as on separate machines: with one shared dir both nodes'
            # runtime-env agents unpack a job's working_dir into the same folder, and the
            # head's driver once failed to import a module from it mid-run.
            node_dir = self.temp_dir / f"n{i + 2}"
            node_dir.mkdir(exist_ok=True)
            self._ray_start([
                f"--address={self.address}",
                f"--resources={json.dumps({f'node{i + 2}': 1})}",
                *self._node_args(node_dir),
            ], worker=True)
        self.wait_for_nodes(1 + self.n_workers)
        return self

    def cli(self, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run ``ray ARGS`` against this cluster (its env: PATH, auth token, marker)."""
        return subprocess.run([self.ray, *args], env=self.env(), capture_output=True, text=True, timeout=timeout_s)

    def list_state(self, kind: str, *filters: str, detail: bool = False) -> list[dict]:
        """``ray list KIND --format json`` through the dashboard's state API."""
        args = ["list", kind, "--address", self.dashboard_url, "--format", "json", "--limit", "10000"]
        for f in filters:
            args += ["--filter", f]
        if detail:
            args.append("--detail")
        proc = self.cli(*args)
        if proc.returncode != 0:
            raise RuntimeError(f"ray list {kind} failed: {proc.stderr[-2000:]}")
        out = proc.stdout
        return json.loads(out[out.index("["):])

    def alive_nodes(self) -> list[dict]:
        return self.list_state("nodes", "state=ALIVE", detail=True)

    def wait_for_nodes(self, n: int, timeout_s: float = 90.0) -> list[dict]:
        deadline = time.monotonic() + timeout_s
        last: object = None
        while time.monotonic() < deadline:
            try:
                nodes = self.alive_nodes()
                if len(nodes) >= n:
                    return nodes
                last = f"{len(nodes)} alive"
            except Exception as err:  # dashboard still starting
                last = err
            time.sleep(1.0)
        raise TimeoutError(f"{n} Ray nodes did not register within {timeout_s}s (last: {last}); "
                           f"logs in {self.temp_dir}")

    def submit(self, entrypoint: list[str], working_dir: Path, submission_id: str,
               timeout_s: float = 300.0) -> subprocess.CompletedProcess[str]:
        """``ray job submit`` (blocking, tails the job's logs); returns the CLI's completed process.

        A job still running after ``timeout_s`` is stopped and reported with the cluster's state
        (``ray status``: pending resource demands show a scheduling deadlock at once).
        """
        cmd = [self.ray, "job", "submit", "--address", self.dashboard_url, "--working-dir", str(working_dir),
               "--submission-id", submission_id, "--", *entrypoint]
        try:
            return subprocess.run(cmd, env=self.env(), capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as err:
            diag = self.diagnostics(submission_id)
            self.cli("job", "stop", "--address", self.dashboard_url, submission_id)
            raise TimeoutError(f"job {submission_id} still running after {timeout_s:.0f}s\n{diag}") from err

    def diagnostics(self, submission_id: str | None = None) -> str:
        """``ray status`` and the job's log tail, for failure messages."""
        parts = []
        status = self.cli("status", "--address", self.address)
        parts.append(f"--- ray status\n{status.stdout[-3000:]}{status.stderr[-1000:]}")
        if submission_id:
            logs = self.cli("job", "logs", "--address", self.dashboard_url, submission_id)
            parts.append(f"--- job logs\n{logs.stdout[-5000:]}{logs.stderr[-1000:]}")
        return "\n".join(parts)

    def job_status(self, submission_id: str) -> str:
        """SUCCEEDED, FAILED, STOPPED, RUNNING or PENDING (from the state API's job table)."""
        jobs = self.list_state("jobs", f"submission_id={submission_id}")
        return str(jobs[0]["status"]) if jobs else "UNKNOWN"

    def own_processes(self) -> list[psutil.Process]:
        """Processes of this cluster: marker in the environment or temp dir on the command line."""
        me = os.getpid()
        tdir = str(self.temp_dir)
        found: dict[int, psutil.Process] = {}
        for proc in psutil.process_iter(["pid", "cmdline"]):
            if proc.pid == me:
                continue
            try:
                cmdline = " ".join(proc.info["cmdline"] or [])
                mine = tdir in cmdline or proc.environ().get(MARKER_VAR) == self.token
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            if mine:
                found[proc.pid] = proc
                try:
                    for child in proc.children(recursive=True):
                        if child.pid != me:
                            found[child.pid] = child
                except psutil.Error:
                    pass
        return list(found.values())

    def non_loopback_sockets(self) -> list[str]:
        """Sockets of this cluster bound to (or connected with) anything but loopback.

        With the node IP pinned to 127.0.0.1, Ray binds every listener (gRPC, dashboard, agents,
        workers) to 127.0.0.1, so a wildcard (0.0.0.0 / ::) listener counts as a leak too.
        """
        ok = {LOOPBACK, "::1", "::ffff:127.0.0.1"}
        bad = []
        for proc in self.own_processes():
            try:
                conns = proc.net_connections(kind="inet")
            except psutil.Error:
                continue
            for c in conns:
                if (c.laddr and c.laddr.ip not in ok) or (c.raddr and c.raddr.ip not in ok):
                    bad.append(f"{_describe(proc)[:80]}: {c.laddr} -> {c.raddr} {c.status}")
        return bad

    def stop(self, grace_s: float = 10.0) -> list[str]:
        """SIGTERM this cluster's processes, SIGKILL what outlives ``grace_s``; returns survivors."""
        for sig in (signal.SIGTERM, signal.SIGKILL, signal.SIGKILL):
            procs = self.own_processes()
            if not procs:
                break
            _signal_all(procs, sig)
            psutil.wait_procs(procs, timeout=grace_s if sig == signal.SIGTERM else 5)
        left = [_describe(p) for p in self.own_processes() if _alive(p)]
        shutil.rmtree(self.temp_dir, ignore_errors=True)
        return left

    def __enter__(self) -> LoopbackRayCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _describe(proc: psutil.Process) -> str:
    try:
        return f"{proc.pid} {' '.join(proc.cmdline())[:160]}"
    except psutil.Error:
        return str(proc.pid)


def _signal_all(procs: Iterable[psutil.Process], sig: int) -> None:
    for proc in procs:
        try:
            proc.send_signal(sig)
        except psutil.Error:
            pass


if __name__ == "__main__":  # manual smoke test: python tests/ray_cluster_util.py
    repo = Path(__file__).resolve().parents[1]
    with LoopbackRayCluster(venv=repo / ".venv") as c:
        print(c.address, c.dashboard_url, c.temp_dir, file=sys.stderr)
        for node in c.alive_nodes():
            print(node.get("node_ip"), node.get("resources_total"), file=sys.stderr)
        print(len(c.own_processes()), "processes", file=sys.stderr)
    print("stopped; left:", c.stop(), file=sys.stderr)
