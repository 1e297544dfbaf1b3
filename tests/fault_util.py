"""Helpers for the fault-injection tests: run ``curate`` as a subprocess, watch its process
tree, kill parts of it, and compare outputs as row sets.

Only processes that descend from a driver these helpers started are ever signalled.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
WARC = Path(os.environ.get("CURATION_TEST_WARC_DIR", REPO.parent / "shared" / "data" / "warc"))
CURATE = [sys.executable, "-m", "curation.cli"]

BIG = "pages-trafilatura-eval.warc.gz"  # 990 pages, ~20-40 s of extraction
SMALL = ["wget-en-0000.warc.gz", "wget-en-0001.warc.gz", "clueweb09-ja-excerpt.warc.gz",
         "cc-main-2020-34-excerpt.warc.gz"]

RUN_LINE = re.compile(r"run (\w+): (\d+) units to process, (\d+) already committed")


def inputs(names: Iterable[str]) -> list[str]:
    return [str(WARC / n) for n in names]


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["RAY_USAGE_STATS_ENABLED"] = "0"
    e["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), e.get("PYTHONPATH")) if p)
    e.pop("RAY_ADDRESS", None)  # embedded Ray, never somebody else's cluster
    return e


def write_config(path: Path, chunk_rows: int = 16) -> Path:
    """The default web config with small read chunks, so a unit spans many batches."""
    text = (REPO / "pipelines" / "configs" / "web.yaml").read_text()
    text = re.sub(r"chunk_rows: \d+", f"chunk_rows: {chunk_rows}", text)
    path.write_text(text)
    return path


def curate_args(config: Path, files: list[str], out: Path, runner: str) -> list[str]:
    args = [*CURATE, "run", str(config), "--runner", runner, "--output", str(out), "--quiet"]
    for f in files:
        args += ["--input", f]
    return args


class Driver:
    """A ``curate run`` subprocess whose descendants are tracked while it runs."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 - closed in wait()/kill()
        self.proc = subprocess.Popen(args, cwd=REPO, env=env(), stdout=self._log, stderr=subprocess.STDOUT)
        self.ps = psutil.Process(self.proc.pid)
        self.seen: dict[int, psutil.Process] = {}

    def descendants(self) -> list[psutil.Process]:
        """Live descendants now; every one ever seen is remembered in ``seen``."""
        try:
            kids = self.ps.children(recursive=True)
        except psutil.NoSuchProcess:
            kids = []
        for k in kids:
            self.seen.setdefault(k.pid, k)
        return kids

    def alive(self) -> bool:
        return self.proc.poll() is None

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            self.descendants()
            time.sleep(0.5)
        if self.alive():
            self.kill()
            raise TimeoutError(f"curate did not finish within {timeout:g} s:\n{self.output()[-3000:]}")
        self._log.close()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL the driver only (its descendants are left to ``reap``)."""
        self.descendants()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._log.close()

    def survivors(self, grace: float) -> list[psutil.Process]:
        """Descendants ever seen that are still alive after ``grace`` seconds."""
        deadline = time.monotonic() + grace
        while True:
            left = [p for p in self.seen.values() if is_alive(p)]
            if not left or time.monotonic() >= deadline:
                return left
            time.sleep(0.5)

    def reap(self, grace: float = 10.0) -> list[str]:
        """Kill descendants still alive after ``grace`` s; return what had to be killed."""
        left = self.survivors(grace)
        names = [_describe(p) for p in left]
        for p in left:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(left, timeout=10)
        return names


def is_alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _describe(p: psutil.Process) -> str:
    try:
        return f"{p.pid}:{' '.join(p.cmdline()).strip()[:140]}"
    except psutil.Error:
        return f"{p.pid}:?"


def cmdline(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


def extraction_actors(driver: Driver) -> list[psutil.Process]:
    """Actor processes of the extraction stage (the actor engine's ``_PoolActor`` or Ray Data's
    ``MapWorker``) that run the extraction child (``filters.extract_child``); the language-ID
    actors of unfused pools have none."""
    found = []
    for p in driver.descendants():
        if not cmdline(p).startswith(("ray::MapWorker", "ray::_PoolActor")):
            continue
        try:
            kids = p.children()
        except psutil.Error:
            continue
        if any("filters.extract_child" in cmdline(k) for k in kids):
            found.append(p)
    return found


def wait_until(cond: Callable[[], object], timeout: float, what: str, driver: Driver | None = None,
               interval: float = 0.2) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        if driver is not None:
            if not driver.alive():
                raise AssertionError(f"curate exited ({driver.proc.returncode}) before {what}:\n"
                                     f"{driver.output()[-3000:]}")
            driver.descendants()
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")


def fragments(out: Path) -> list[Path]:
    return sorted((out / "_tmp").glob("*/*/*.parquet"))


def ledger_units(out: Path) -> list[Path]:
    return sorted((out / "_ledger" / "units").glob("*.json"))


def rows(out: Path) -> list[tuple[str, str, str | None]]:
    """(id, sha256(text or ''), reject_reason) for every output row, kept and rejected."""
    files = sorted(out.glob("data/language=*/part-*.parquet")) + sorted(out.glob("rejected/part-*.parquet"))
    result = []
    for f in files:
        t = pq.read_table(f, columns=["id", "text", "reject_reason"])
        for i, text, reason in zip(*(t.column(c).to_pylist() for c in ("id", "text", "reject_reason"))):
            result.append((i, hashlib.sha256((text or "").encode()).hexdigest(), reason))
    return result


def assert_same_output(out: Path, reference: set[tuple[str, str, str | None]]) -> None:
    got = rows(out)
    ids = [r[0] for r in got]
    assert len(ids) == len(set(ids)), f"duplicate ids in {out}: {len(ids) - len(set(ids))}"
    missing, extra = reference - set(got), set(got) - reference
    assert not missing and not extra, f"{len(missing)} rows missing, {len(extra)} unexpected in {out}"
    assert not fragments(out), f"leftover fragments under {out / '_tmp'}"


def parse_run_line(text: str) -> tuple[str, int, int]:
    m = RUN_LINE.search(text)
    assert m, f"no 'run <id>: N units to process' line in:\n{text[-2000:]}"
    return m.group(1), int(m.group(2)), int(m.group(3))
