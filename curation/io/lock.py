"""An exclusive lock on an output directory: ``OUT/_lock`` created with O_EXCL.

Two nightly refreshes writing the same output would race on the ledger and the snapshot
pointer, so the second one must stop with a message that names the holder. The lock file
holds the holder's pid, host and start time; a lock whose process is gone (same host, pid
not alive) or that is older than ``stale_after_s`` (another host that died) is taken over.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path


class LockHeld(RuntimeError):
    """Another live process holds the lock; the message names it."""


@dataclass
class LockInfo:
    pid: int
    host: str
    started_at: str
    started_ts: float
    command: str = ""

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started_at}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    # A zombie (killed, not yet reaped by its parent) holds nothing any more.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def read_lock(path: Path) -> LockInfo | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LockInfo(**data)
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        # Half-written (the writer died between create and write) or not ours: unknown holder.
        return LockInfo(pid=-1, host="?", started_at="?", started_ts=path.stat().st_mtime)


class OutputLock:
    """``with OutputLock(out): ...`` holds ``out/_lock`` for the block."""

    def __init__(self, out: str | Path, stale_after_s: float = 86_400.0, command: str = "") -> None:
        self.path = Path(out) / "_lock"
        self.stale_after_s = stale_after_s
        self.command = command
        self.taken_over: LockInfo | None = None
        self._held = False

    def _is_stale(self, info: LockInfo) -> bool:
        if info.host == socket.gethostname() and info.pid > 0:
            return not _pid_alive(info.pid)
        if info.pid < 0:  # unreadable: its writer died before writing; give it a minute
            return time.time() - info.started_ts > 60
        return time.time() - info.started_ts > self.stale_after_s

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                info = read_lock(self.path)
                if info is None:
                    continue  # released between our open and our read
                if not self._is_stale(info):
                    raise LockHeld(f"another curate process holds {self.path}: {info.describe()}"
                                   + (f" ({info.command})" if info.command else "")) from None
                # Take over by renaming the stale file aside: of two racing takers, only one
                # rename succeeds; the loser sees the winner's fresh lock on its next try.
                aside = self.path.with_name(f"_lock.stale-{os.getpid()}")
                try:
                    os.rename(self.path, aside)
                except FileNotFoundError:
                    continue
                moved = read_lock(aside)
                if moved is not None and moved.pid != info.pid:
                    os.rename(aside, self.path)  # we moved a fresh lock; give it back
                    continue
                aside.unlink(missing_ok=True)
                self.taken_over = info
                continue
            now = datetime.now(timezone.utc)
            info = LockInfo(pid=os.getpid(), host=socket.gethostname(),
                            started_at=now.isoformat(timespec="seconds"), started_ts=now.timestamp(),
                            command=self.command)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(info)))
                fh.flush()
                os.fsync(fh.fileno())
            self._held = True
            return
        raise LockHeld(f"could not take {self.path}: it keeps changing hands")

    def release(self) -> None:
        if self._held:
            info = read_lock(self.path)
            if info is not None and info.pid == os.getpid():
                self.path.unlink(missing_ok=True)
            self._held = False

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
