"""Helpers shared by the benchmark scripts: inputs, running ``curate run``, output, RESULTS.md.

Nothing here is timed by itself; the scripts decide what goes inside a stopwatch.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import resource
import shlex
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # scripts run as ``python bench/x.py`` from the repo root
    sys.path.insert(0, str(ROOT))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import yaml  # noqa: E402
from warcio.archiveiterator import ArchiveIterator  # noqa: E402

from curation.config import PipelineConfig, ReadConfig, parse_config  # noqa: E402
from curation.io.warc import KEPT_TYPES, iter_rows  # noqa: E402

DATA = Path(os.environ.get("CURATION_DATA", ROOT.parent / "shared" / "data"))
DEFAULT_CONFIG = ROOT / "pipelines" / "configs" / "web.yaml"
RESULTS = ROOT / "bench" / "RESULTS.md"


# --------------------------------------------------------------------------- inputs


def slice_warcs(paths: Iterable[str | Path], limit: int | None, tmpdir: Path) -> list[str]:
    """Return input files holding the first ``limit`` records (all files when limit is None).

    The pages-*.warc.gz files are one gzip member per record, so the first N records are
    copied byte for byte (no re-encoding): the pipeline reads exactly the original bytes.
    """
    paths = [str(p) for p in paths]
    if limit is None:
        return paths
    out: list[str] = []
    left = limit
    for src in paths:
        if left <= 0:
            break
        end = 0
        taken = 0
        with open(src, "rb") as fh:
            it = ArchiveIterator(fh, ensure_http_headers=False)
            for record in it:
                if taken >= left:
                    break
                record.content_stream().read()
                end = it.get_record_offset() + it.get_record_length()
                if record.rec_type in KEPT_TYPES:
                    taken += 1
        if taken == 0:
            continue
        dst = tmpdir / f"slice-{len(out):02d}-{Path(src).name}"
        with open(src, "rb") as fh, open(dst, "wb") as oh:
            oh.write(fh.read(end))
        out.append(str(dst))
        left -= taken
    return out


def read_records(paths: Iterable[str]) -> list[dict[str, Any]]:
    """Rows exactly as the pipeline's reader yields them (``_html`` = the decoded HTML)."""
    cfg = ReadConfig()
    rows: list[dict[str, Any]] = []
    for i, uri in enumerate(paths):
        rows.extend(iter_rows(uri, f"bench{i}", cfg))
    return rows


# --------------------------------------------------------------------------- running curate


def load_config_dict(path: Path = DEFAULT_CONFIG) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def config_with(base: dict[str, Any], langid: bool) -> dict[str, Any]:
    data = yaml.safe_load(yaml.safe_dump(base))  # deep copy
    data.setdefault("langid", {})["enabled"] = langid
    return data


def parsed(data: dict[str, Any]) -> PipelineConfig:
    return parse_config(data, "bench config")


def curate_command() -> list[str]:
    exe = Path(sys.executable).with_name("curate")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "curation.cli"]


@dataclass
class RunMeasure:
    wall_s: float
    cpu_s: float  # user+sys of the curate process and every descendant it waited for
    user_s: float
    sys_s: float
    rc: int
    stderr: str
    cmd: str


def run_curate(config: dict[str, Any], inputs: list[str], out: Path, runner: str = "local",
               force: bool = True, workdir: Path | None = None) -> RunMeasure:
    """Run ``curate run`` in a fresh process; time wall clock and CPU incl. children.

    CPU comes from ``getrusage(RUSAGE_CHILDREN)`` deltas: it covers the curate process and
    the extraction child it spawns (the runner kills and waits for it at teardown). Ray's
    daemons are not reaped by the driver, so for ``--runner ray`` only wall time is honest.
    """
    workdir = workdir or out.parent
    cfg_path = workdir / f"bench-config-{out.name}.yaml"
    cfg_path.write_text(yaml.safe_dump(config), encoding="utf-8")
    cmd = curate_command() + ["run", str(cfg_path), "--runner", runner, "--output", str(out), "--quiet"]
    for p in inputs:
        cmd += ["--input", p]
    if force:
        cmd.append("--force")
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    user = after.ru_utime - before.ru_utime
    system = after.ru_stime - before.ru_stime
    return RunMeasure(wall, user + system, user, system, proc.returncode, proc.stderr, shlex.join(cmd))


def read_output(out: Path, columns: tuple[str, ...] = ("url", "text", "reject_reason", "language")) -> pa.Table:
    """All rows of a run: OUT/data/language=*/part-*.parquet plus OUT/rejected/part-*.parquet."""
    files = sorted(out.glob("data/language=*/part-*.parquet")) + sorted(out.glob("rejected/part-*.parquet"))
    tables = []
    for f in files:
        t = pq.read_table(f)
        if "language" not in t.column_names and "language" in columns:
            t = t.append_column("language", pa.nulls(t.num_rows, pa.string()))
        tables.append(t.select([c for c in columns if c in t.column_names]))
    if not tables:
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    return pa.concat_tables(tables, promote_options="permissive")


# --------------------------------------------------------------------------- reporting


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_line() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    import trafilatura

    return (f"{platform.node()}: nproc={cpu_count()} ({cpu_model()}), Python {platform.python_version()}, "
            f"trafilatura {trafilatura.__version__}, load average at start {load}")


def now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def command_line() -> str:
    rel = os.path.relpath(sys.argv[0], ROOT)
    return shlex.join([".venv/bin/python", rel, *sys.argv[1:]])


def update_results(title: str, body: str, path: Path = RESULTS) -> None:
    """Replace the ``## title`` section of RESULTS.md (or append it); keep every other section."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def md_table(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)

