"""What both runners share: planning a run and summarising it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from curation.config import PipelineConfig
from curation.io.fs import expand_inputs
from curation.io.ledger import Ledger, LedgerEntry
from curation.io.output import clear_scratch
from curation.io.units import Plan, plan_units


@dataclass
class RunContext:
    cfg: PipelineConfig
    out: Path
    run_id: str
    config_hash: str
    plan: Plan


@dataclass
class RunSummary:
    run_id: str
    out: str
    units_done: int = 0
    units_skipped: int = 0
    rows: int = 0
    kept: int = 0
    rejected: int = 0
    entries: list[LedgerEntry] = field(default_factory=list)

    def add(self, entry: LedgerEntry) -> None:
        self.units_done += 1
        self.rows += entry.n_rows
        self.kept += entry.n_kept
        self.rejected += entry.n_rejected
        self.entries.append(entry)


ProgressFn = Callable[[LedgerEntry], None]
# Reads one unit (uri, unit_id) into chunks; None means the WARC reader with ``cfg.read``.
# Must be picklable (a module-level function or functools.partial) for the Ray runner.
Reader = Callable[[str, str], Iterator[pa.Table]]


def prepare(cfg: PipelineConfig, force: bool = False) -> RunContext:
    """Resolve inputs, consult the ledger, and clear scratch left by unfinished runs."""
    uris = expand_inputs(cfg.input.paths)
    out = Path(cfg.output.path).expanduser().absolute()
    out.mkdir(parents=True, exist_ok=True)
    plan = plan_units(uris, Ledger(out), force=force)
    clear_scratch(out)
    return RunContext(cfg=cfg, out=out, run_id=uuid.uuid4().hex[:12], config_hash=cfg.processing_hash(), plan=plan)
