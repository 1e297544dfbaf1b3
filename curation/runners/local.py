"""In-process runner: one unit at a time through the same stages and commit as on Ray."""

from __future__ import annotations

from functools import partial

import pyarrow as pa

from curation.io.output import clear_scratch, commit_unit, write_fragments
from curation.io.units import UnitTracker
from curation.io.warc import read_unit
from curation.runners.common import ProgressFn, Reader, RunContext, RunSummary
from curation.stage import Stage


def apply_stage(stage: Stage, table: pa.Table) -> pa.Table:
    """Run ``stage`` over ``table`` in slices of its batch size; a stage that scores windows
    gets the whole table (it finds its windows in the rows, wherever a runner cut batches)."""
    if stage.batch_is_window or table.num_rows <= stage.batch_size:
        return stage(table)
    parts = [stage(table.slice(i, stage.batch_size)) for i in range(0, table.num_rows, stage.batch_size)]
    return pa.concat_tables(parts)


def apply_stages(stages: list[Stage], table: pa.Table) -> pa.Table:
    """``table`` through every stage in order (the same in every runner)."""
    for stage in stages:
        table = apply_stage(stage, table)
    return table


def run_local(ctx: RunContext, stages: list[Stage], progress: ProgressFn | None = None,
              reader: Reader | None = None, partition: str = "language") -> RunSummary:
    """``reader``/``partition``: how units are read and how kept rows are partitioned (web by default)."""
    read = reader or partial(read_unit, cfg=ctx.cfg.read)
    summary = RunSummary(run_id=ctx.run_id, out=str(ctx.out), units_skipped=len(ctx.plan.skipped))
    tracker = UnitTracker()
    try:
        for unit in ctx.plan.todo:
            for chunk in read(unit.uri, unit.unit_id):
                for report in write_fragments(apply_stages(stages, chunk), ctx.out, ctx.run_id):
                    if tracker.add(report["unit_id"], report["fragment"], report["n_rows"], report["unit_total"]):
                        entry = commit_unit(ctx.out, unit, ctx.run_id, ctx.config_hash,
                                            ctx.cfg.output.compression, ctx.cfg.output.compression_level,
                                            partition)
                        summary.add(entry)
                        if progress:
                            progress(entry)
    finally:
        for stage in stages:
            stage.teardown()
    clear_scratch(ctx.out)
    return summary
