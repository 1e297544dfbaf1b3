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


def _dedup(cfg: PipelineConfig, out: Path) -> dict[str, Any]:
    """The post-commit dedup phase of ``curate run`` (dedup/phase.py): new parts against each
    other and against the cross-run index of everything published before (OUT/_index/)."""
    dcfg = getattr(cfg, "dedup", None)
    if dcfg is None or not dcfg.enabled:
        return {"status": "disabled"}
    try:
        phase = importlib.import_module("dedup.phase")
    except ImportError as err:
        return {"status": "unavailable", "detail": f"dedup.phase: {err}"}
    summary = phase.DedupPhase(out, dcfg).run()
    return {"status": "ok", "summary": summary.line(),
            "near_duplicates": sum(s.near_duplicates for s in summary.languages if not s.skipped)}


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


def post_commit(cfg: PipelineConfig, out: Path) -> dict[str, Any]:
    # Dedup first: it moves rows between files, and stats are computed from the files.
    return {"dedup": _dedup(cfg, out), "stats": _stats(cfg, out)}
