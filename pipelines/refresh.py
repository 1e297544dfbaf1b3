"""The nightly refresh: new inputs -> web pipeline -> cross-run dedup -> atomic snapshot.

Under ``OUT/_lock``: discover inputs, plan against the ledger (config hash included), run the
web stages through the same runners and commit as ``curate run``, dedup the new units against
everything already published, publish a snapshot, and write the run's stats.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from curation.config import PipelineConfig
from curation.faults import fault_point, pause_point
from curation.io.ledger import Ledger, LedgerEntry
from curation.io.lock import OutputLock
from curation.io.output import clear_scratch
from curation.refresh import snapshot
from curation.refresh.discover import discover
from curation.refresh.hooks import post_commit
from curation.refresh.plan import RefreshPlan, plan_refresh
from curation.runners.common import RunContext, RunSummary

REFRESH_DIR = "_refresh"
_PART = re.compile(r"^part-([0-9a-f]{20})\b")


@dataclass
class RefreshResult:
    run_id: str
    out: str
    config_hash: str
    started_at: str
    discovered: int = 0
    units_done: int = 0
    units_skipped: int = 0
    units_reprocessed: int = 0
    rows: int = 0
    kept: int = 0
    rejected: int = 0
    post_commit: dict[str, Any] = field(default_factory=dict)
    snapshot: int | None = None
    previous_snapshot: int | None = None
    published_rows: int = 0
    wall_s: float = 0.0
    lock_taken_over: str | None = None


def published_data_files(out: Path, committed: set[str]) -> list[str]:
    """Kept-document files of committed units only: a unit whose files exist but whose ledger
    row does not (a crash between the two) is never published."""
    files = []
    for p in sorted((out / "data").glob("*=*/part-*.parquet")):
        m = _PART.match(p.name)
        if m and m.group(1) in committed:
            files.append(str(p.relative_to(out)))
    return files


def _runner(cfg: PipelineConfig) -> Callable[..., RunSummary]:
    if cfg.runner.kind == "local":
        from curation.runners.local import run_local

        return run_local
    from curation.runners.ray_runner import run_ray

    return run_ray


def _write_run_record(out: Path, result: RefreshResult, plan: RefreshPlan, entries: list[LedgerEntry]) -> Path:
    runs = out / REFRESH_DIR / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    body = asdict(result) | {
        "units": [{"unit_id": e.unit_id, "uri": e.uri, "n_rows": e.n_rows, "n_kept": e.n_kept,
                   "n_rejected": e.n_rejected} for e in entries],
        "changed_config": {h: [u.uri for u in us] for h, us in plan.changed.items()},
    }
    path = runs / f"{result.started_at.replace(':', '')}-{result.run_id}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(body, indent=1, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)
    with open(out / REFRESH_DIR / "history.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({k: body[k] for k in ("run_id", "started_at", "discovered", "units_done",
                                                  "units_skipped", "rows", "kept", "snapshot", "wall_s")}) + "\n")
    return path


def refresh(cfg: PipelineConfig, reprocess: bool = False, progress: Callable[[LedgerEntry], None] | None = None,
            on_plan: Callable[[RefreshResult, RefreshPlan], None] | None = None) -> RefreshResult:
    """One nightly refresh; raises LockHeld, ConfigChanged or InputError before touching data."""
    from pipelines.web import build_stages

    t0 = time.monotonic()
    out = Path(cfg.output.path).expanduser().absolute()
    out.mkdir(parents=True, exist_ok=True)
    lock = OutputLock(out, cfg.refresh.lock_stale_after_s, command="curate refresh")
    with lock:
        fault_point("refresh_after_lock")
        pause_point("refresh_after_lock")
        result = RefreshResult(run_id=uuid.uuid4().hex[:12], out=str(out), config_hash=cfg.processing_hash(),
                               # microseconds: run records are named by it and must sort in start
                               # order (two quick runs can start within one second)
                               started_at=datetime.now(timezone.utc).isoformat(timespec="microseconds"),
                               lock_taken_over=lock.taken_over.describe() if lock.taken_over else None)
        uris = discover(cfg.input.paths, cfg.refresh.listings, cfg.refresh.listing_prefix, cfg.refresh.prefixes)
        ledger = Ledger(out)
        plan = plan_refresh(uris, ledger, result.config_hash, reprocess)
        result.discovered = plan.discovered
        result.units_skipped = len(plan.skipped)
        result.units_reprocessed = plan.n_changed
        if on_plan:
            on_plan(result, plan)
        clear_scratch(out)
        summary = RunSummary(run_id=result.run_id, out=str(out))
        if plan.todo:
            ctx = RunContext(cfg=cfg, out=out, run_id=result.run_id, config_hash=result.config_hash,
                             plan=_as_run_plan(plan))
            summary = _runner(cfg)(ctx, build_stages(cfg), progress)
        result.units_done = summary.units_done
        result.rows, result.kept, result.rejected = summary.rows, summary.kept, summary.rejected
        result.post_commit = post_commit(cfg, out)
        entries = ledger.entries()
        files = published_data_files(out, set(entries))
        result.previous_snapshot = snapshot.current(out)
        if summary.units_done or not _same_as_current(out, files):
            result.snapshot = snapshot.publish(out, files, {"run_id": result.run_id,
                                                            "config_hash": result.config_hash, "units": len(entries)})
        else:
            result.snapshot = result.previous_snapshot  # nothing new tonight: keep the published one
        assert result.snapshot is not None
        result.published_rows = snapshot.manifest(out, result.snapshot)["rows"]
        snapshot.prune(out, cfg.refresh.keep_snapshots)
        result.wall_s = round(time.monotonic() - t0, 3)
        _write_run_record(out, result, plan, summary.entries)
    return result


def _same_as_current(out: Path, files: list[str]) -> bool:
    """True when the current snapshot links exactly these files, byte for byte (same inodes:
    a file rewritten since, e.g. by a resumed dedup phase, has a new inode)."""
    n = snapshot.current(out)
    if n is None or [f["path"] for f in snapshot.manifest(out, n)["files"]] != sorted(files):
        return False
    base = snapshot.snapshot_dir(out, n)
    return all(os.path.samefile(base / f, out / f) for f in files)


def _as_run_plan(plan: RefreshPlan) -> Any:
    from curation.io.units import Plan

    return Plan(todo=list(plan.todo), skipped=list(plan.skipped))


def rollback(cfg: PipelineConfig) -> tuple[int, int]:
    """Point CURRENT back at the previous snapshot, under the same lock as a refresh."""
    out = Path(cfg.output.path).expanduser().absolute()
    with OutputLock(out, cfg.refresh.lock_stale_after_s, command="curate refresh --rollback"):
        return snapshot.rollback(out)
