"""Ray runner, actor engine: the driver reads units and hands slices of rows to fixed pools of
long-lived Ray actors; no Ray Data.

Why a second engine beside Ray Data's streaming executor (``ray_runner._stream``): on a small
node Ray Data's own processes (read tasks, its internal actors, the executor thread in the
driver) took CPU from the stages, and its start-up and teardown dominated short nightly runs
(bench/RESULTS.md, peer comparison). Reading is light (~0.65 ms a record against ~10 ms of
stages), so the driver reads each unit with the same reader as the local runner and ships
slices of a pool's batch size to whichever actor has the fewest slices in flight. Chunks,
record indices and fragment names are exactly the local runner's, so a rerun or a run by the
other engine commits the same files.

With one fused pool (the usual CPU pipeline) and ``runner.whole_units``, an actor takes a
whole unit while more units remain than actors (``process_unit``: it reads, runs the stages
chunk by chunk as the local runner does, writes the fragments and commits), so the driver
reads only the last units, which it slices across every actor to keep them all busy to the end.

Pools are the same groups as the data engine's (``group_stages``: fused CPU stages, a GPU stage
alone), sized by ``pool_sizes``; an intermediate pool's output goes to the next pool by object
reference, never through the driver. The last pool writes fragments and returns only reports.
An actor that dies is restarted by Ray and its slices retried (``max_task_retries``): fragment
names come from record indices, so a retried slice rewrites the same fragment. The writing pool
also commits the sliced units (``commit``), so the engine starts no committer process.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pyarrow as pa
import ray

from curation.io.ledger import Ledger, LedgerEntry
from curation.io.output import clear_scratch, commit_unit, write_fragments
from curation.io.units import Unit
from curation.io.warc import read_unit
from curation.runners.common import ProgressFn, Reader, RunContext, RunSummary
from curation.runners.local import apply_stages
from curation.runners.ray_runner import (
    Commits,
    _ray_args,
    _StageActor,
    group_batch_size,
    group_resources,
    group_stages,
    pool_sizes,
)
from curation.stage import Resources, Stage

# Slices in flight per actor of the first pool: one running, one queued, so an actor never
# waits for the driver to read its next slice; more would only hold pages in memory.
IN_FLIGHT_PER_ACTOR = 2
# A slice that fails for a reason other than a stage's own exception (a killed actor, a lost
# node) is retried this many times on the restarted actor before the run fails.
TASK_RETRIES = 5


@ray.remote
class _PoolActor(_StageActor):
    """``_StageActor`` as a plain Ray actor: the driver calls ``process`` on the one it picks,
    or ``process_unit`` for a whole unit when the pool is the only one."""

    def process(self, batch: pa.Table) -> pa.Table:
        return self(batch)

    def process_unit(self, unit: Unit, read: Reader, commit: tuple[Any, ...]) -> LedgerEntry:
        """Read, process (chunk by chunk, as the local runner does), write fragments and commit
        one unit. A retry after the actor died redoes it (same fragment names, same files),
        unless its commit was already done."""
        out, run_id = self.write_to  # type: ignore[misc]
        existing = Ledger(out).get(unit.unit_id)
        if existing is not None and existing.run_id == run_id:
            return existing
        for chunk in read(unit.uri, unit.unit_id):
            write_fragments(apply_stages(self.stages, chunk), out, run_id)
        return commit_unit(out, unit, run_id, *commit)

    def commit(self, *args: Any) -> LedgerEntry:
        """``commit_unit`` for a sliced unit (``Commits`` uses the writing pool as its committers)."""
        return commit_unit(*args)


def slices(chunks: Iterator[pa.Table], size: int | None) -> Iterator[pa.Table]:
    """Cut read chunks into slices of ``size`` rows (None: whole chunks, for window-scoring
    stages that find their windows in a whole chunk). Zero-copy: slices share the chunk's
    buffers."""
    for chunk in chunks:
        if size is None or chunk.num_rows <= size:
            yield chunk
            continue
        for i in range(0, chunk.num_rows, size):
            yield chunk.slice(i, size)


def whole_unit_flags(units: int, actors: int) -> list[bool]:
    """Which units (in plan order) an actor takes whole: all but the last ``actors``, which
    are sliced across every actor so that none idles while another finishes a whole unit."""
    return [units - i > actors for i in range(units)]


class _Pool:
    def __init__(self, actors: list[Any]) -> None:
        self.actors = actors
        self.load = [0] * len(actors)

    def pick(self) -> int:
        return min(range(len(self.actors)), key=self.load.__getitem__)


def run_ray_actors(ctx: RunContext, stages: list[Stage], progress: ProgressFn | None = None,
                   reader: Reader | None = None, partition: str = "language") -> RunSummary:
    """Same contract as ``ray_runner.run_ray`` (which calls this for ``runner.engine: actors``)."""
    summary = RunSummary(run_id=ctx.run_id, out=str(ctx.out), units_skipped=len(ctx.plan.skipped))
    if not ctx.plan.todo:
        return summary
    read = reader or partial(read_unit, cfg=ctx.cfg.read)
    groups = group_stages(stages, ctx.cfg.runner.fuse_stages)
    have = ray.cluster_resources()
    needs = [group_resources(g) for g in groups]
    sizes = pool_sizes(needs, have.get("CPU", 1.0), ctx.cfg.runner.max_actors_per_stage, have.get("GPU", 0.0),
                       have.get("memory", 0.0) / 2**20 or None)
    if not groups:  # no stages: one writer actor
        groups, needs, sizes = [[]], [Resources(cpus=0.0)], [1]
    pools = []
    for i, (group, need, size) in enumerate(zip(groups, needs, sizes)):
        write_to = (str(ctx.out), ctx.run_id) if i == len(groups) - 1 else None
        cls = _PoolActor.options(max_restarts=-1, max_task_retries=TASK_RETRIES,  # type: ignore[attr-defined]
                                 **_ray_args(need))
        pools.append(_Pool([cls.remote(group, write_to) for _ in range(size)]))
    commits = Commits(ctx, summary, progress, partition, sum(sizes), committers=pools[-1].actors)
    try:
        in_flight: dict[Any, list[tuple[int, int]]] = {}  # final ref -> (pool, actor) per hop
        whole: set[Any] = set()  # refs of whole units (their reply is the ledger entry)
        limit = IN_FLIGHT_PER_ACTOR * len(pools[0].actors)

        def submit(batch: pa.Table) -> None:
            ref: Any = batch
            hops = []
            for p, pool in enumerate(pools):
                a = pool.pick()
                pool.load[a] += 1
                hops.append((p, a))
                ref = pool.actors[a].process.remote(ref)
            in_flight[ref] = hops

        def submit_unit(unit: Unit) -> None:
            a = pools[0].pick()
            pools[0].load[a] += 1
            ref = pools[0].actors[a].process_unit.remote(unit, read, commit_args)
            in_flight[ref] = [(0, a)]
            whole.add(ref)

        def settle(ref: Any) -> None:
            for p, a in in_flight.pop(ref):
                pools[p].load[a] -= 1
            if ref in whole:
                whole.discard(ref)
                commits.committed(ray.get(ref))
                return
            for report in ray.get(ref).to_pylist():
                commits.report(report)

        def drain(block: bool, until: int = 0) -> None:
            """Settle finished slices: at least down to ``until`` in flight when ``block``."""
            while in_flight:
                ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=None if block else 0)
                if not ready:
                    break
                settle(ready[0])
                if block and len(in_flight) <= until:
                    break
            commits.collect(block=False)

        # Each slice goes through every pool whole, so a window-scoring stage anywhere means whole
        # chunks; else the first pool's batch size (later pools slice further inside the actor).
        batch_sizes = [group_batch_size(g) if g else None for g in groups]
        size = None if any(g and b is None for g, b in zip(groups, batch_sizes)) else batch_sizes[0]
        commit_args = (ctx.config_hash, ctx.cfg.output.compression, ctx.cfg.output.compression_level, partition)
        # Whole units need one pool (it writes) and real stages.
        per_unit = ctx.cfg.runner.whole_units and len(pools) == 1 and bool(groups[0])
        flags = whole_unit_flags(len(ctx.plan.todo), len(pools[0].actors)) if per_unit else [False] * len(ctx.plan.todo)
        for unit, unit_whole in zip(ctx.plan.todo, flags):
            if unit_whole:
                if len(in_flight) >= limit:
                    drain(block=True, until=limit - 1)
                submit_unit(unit)
                continue
            for batch in slices(read(unit.uri, unit.unit_id), size):
                if len(in_flight) >= limit:
                    drain(block=True, until=limit - 1)
                submit(batch)
                drain(block=False)
        drain(block=True)
        commits.finish()
    finally:  # also when a stage fails: the pools' CPUs are free for whatever runs next
        for actor in [a for pool in pools for a in pool.actors]:
            ray.kill(actor)
        commits.kill()
    clear_scratch(ctx.out)
    return summary
