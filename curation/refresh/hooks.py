"""What runs between committing a refresh's units and publishing: cross-run dedup, stats.

Both belong to other packages (``dedup/`` issue 5, ``curation/stats*`` issue 7); this module
is the one place where refresh calls them, and it reports what each did so the run record
says whether the published snapshot was deduplicated.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from curation.config import PipelineConfig
from curation.io.ledger import LedgerEntry


def _dedup(cfg: PipelineConfig, out: Path, entries: list[LedgerEntry]) -> dict[str, Any]:
    if not cfg.refresh.dedup:
        return {"status": "disabled"}
    try:
        index_mod = importlib.import_module("dedup.index")
    except ImportError as err:
        return {"status": "unavailable", "detail": f"dedup.index: {err}"}
    index = index_mod.CrossRunIndex(out)
    return {"status": "ok", "result": index.refresh_units(cfg, [e.unit_id for e in entries])}


def _stats(cfg: PipelineConfig, out: Path) -> dict[str, Any]:
    try:
        build = importlib.import_module("curation.stats_build")
    except ImportError as err:
        return {"status": "unavailable", "detail": f"curation.stats_build: {err}"}
    stats_cfg = getattr(cfg, "stats", None)
    if stats_cfg is not None and not stats_cfg.enabled:
        return {"status": "disabled"}
    settings = build.StatsSettings.from_config(stats_cfg) if stats_cfg is not None else None
    build.build_stats(out, settings, cfg.model_dump(mode="json"))
    return {"status": "ok", "dir": str(out / build.STATS)}


def post_commit(cfg: PipelineConfig, out: Path, entries: list[LedgerEntry]) -> dict[str, Any]:
    return {"dedup": _dedup(cfg, out, entries), "stats": _stats(cfg, out)}
