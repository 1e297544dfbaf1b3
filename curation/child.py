"""A helper process that runs one function per item under a hard time limit.

A pathological page can hang inside C code (lxml) where no Python signal reaches it. The
only stop that always works is killing the process that runs it, so extraction runs in a
child; on a time-out the child is killed and restarted and the batch goes on. The parent
(a Ray actor or the local runner) is never lost.

The limit is on the CPU time the child spends on one item, not on the wall clock: on a busy
node (other actors, other jobs) a page's wall time stretches with the load, and a wall-clock
limit would reject a page in one run and keep it in the next. CPU time depends on the page
only, so reruns give the same rows. A wall-clock backstop (``WALL_BACKSTOP`` × the limit)
still stops a child that is stuck without computing.
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from typing import IO, Any

_HEADER = struct.Struct("<Q")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
WALL_BACKSTOP = 4.0  # wall seconds per CPU second of the limit before a child counts as stuck
_POLL_S = 0.1  # how often a long item's CPU time is read; a quick item answers before that


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a live process from /proc (None where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14 and 15
    except (OSError, IndexError, ValueError):
        return None


def write_frame(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:  # an unbuffered pipe may take part of it per call
        n = stream.write(view)
        view = view[n or 0:]
    stream.flush()


def _read_exact(stream: IO[bytes], n: int) -> bytes:
    chunks = []
    while n:
        chunk = stream.read(n)
        if not chunk:
            raise EOFError("child closed its pipe")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: IO[bytes]) -> Any:
    (n,) = _HEADER.unpack(_read_exact(stream, _HEADER.size))
    return pickle.loads(_read_exact(stream, n))


class ItemTimeout(Exception):
    pass


class ItemCrash(Exception):
    pass


class ChildPool:
    """One child process running ``module``'s ``serve()`` loop; items go through ``map``."""

    def __init__(self, module: str, init: Any, memory_limit_mb: int | None = None) -> None:
        self.module = module
        self.init = init
        self.memory_limit_mb = memory_limit_mb
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def start(self) -> None:
        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        # Unbuffered: a buffered reader may pull the next answer into its buffer along with
        # this one, and select() on the pipe would then wait for data that already arrived.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=0
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        write_frame(self.proc.stdin, {"init": self.init, "memory_limit_mb": self.memory_limit_mb})
        ready = read_frame(self.proc.stdout)
        if ready != "ready":
            raise RuntimeError(f"{self.module} child failed to start: {ready!r}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def _restart(self) -> None:
        self.stop()
        self.restarts += 1
        self.start()

    def _wait(self, timeout_s: float) -> str | None:
        """Wait for the child's next answer; the reason when it ran out of time, else None."""
        assert self.proc is not None and self.proc.stdout is not None
        pid, t0 = self.proc.pid, time.monotonic()
        cpu0 = cpu_seconds(pid)
        backstop = timeout_s * WALL_BACKSTOP
        while True:
            wall = time.monotonic() - t0
            cpu = cpu_seconds(pid) if cpu0 is not None else None
            used = wall if cpu is None or cpu0 is None else cpu - cpu0
            if used >= timeout_s:
                return f"more than {timeout_s:g} s of {'CPU' if cpu is not None else 'wall'} time"
            if wall >= backstop:
                return f"no result within {backstop:g} s (wall clock)"
            wait = min(_POLL_S, backstop - wall, timeout_s - used)
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, wait))
            if ready:
                return None

    def map(self, items: list[Any], timeout_s: float) -> list[tuple[str, Any]]:
        """Return one (status, value) per item: ok, timeout, error or crash. ``timeout_s`` is
        the CPU time one item may use (see the module docstring)."""
        results: list[tuple[str, Any]] = []
        while len(results) < len(items):
            if self.proc is None:
                self.start()
            assert self.proc is not None and self.proc.stdin is not None and self.proc.stdout is not None
            todo = items[len(results):]
            try:
                write_frame(self.proc.stdin, todo)
            except (BrokenPipeError, OSError):
                self._restart()
                continue
            for _ in todo:
                late = self._wait(timeout_s)
                if late:
                    results.append(("timeout", late))
                    self._restart()
                    break
                try:
                    result = read_frame(self.proc.stdout)
                    results.append(result)
                    if result == ("error", "MemoryError"):
                        # A process that hit its memory limit is not trusted with more work.
                        self._restart()
                        break
                except (EOFError, pickle.UnpicklingError, struct.error):
                    try:
                        code = self.proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        code = None
                    results.append(("crash", f"extraction process died (exit code {code})"))
                    self._restart()
                    break
        return results


def serve(make_fn: Callable[[Any], Callable[[Any], Any]]) -> None:
    """The child's loop: read a batch, answer item by item."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # stray prints from libraries must not corrupt the frames
    hello = read_frame(stdin)
    if hello.get("memory_limit_mb"):
        import resource

        limit = int(hello["memory_limit_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    fn = make_fn(hello["init"])
    write_frame(stdout, "ready")
    while True:
        try:
            batch = read_frame(stdin)
        except EOFError:
            return
        for item in batch:
            try:
                write_frame(stdout, ("ok", fn(item)))
            except MemoryError:
                write_frame(stdout, ("error", "MemoryError"))
                os._exit(1)  # the parent restarts us; this process may be in a bad state
            except Exception as err:  # noqa: BLE001 - reported per item, the loop goes on
                write_frame(stdout, ("error", f"{type(err).__name__}: {err}"[:300]))
