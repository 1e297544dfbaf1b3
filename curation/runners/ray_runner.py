"""Ray runner: Ray Data streams chunks through actor pools of stages.

By default consecutive CPU stages are *fused* into one actor that runs them in sequence
(``runner.fuse_stages``): a batch crosses the object store once instead of once per stage,
and a node with N CPUs runs N whole pipelines instead of a fixed split of its CPUs between
six pools (whose minimum sizes alone can exceed a small node and stall the run). A GPU stage
always gets a pool of its own. Pools are sized from the declared resources, and each actor
calls ``setup()`` once, so models load once per actor. The last pool's actors write their
batches' fragments themselves and hand on only small reports; the driver sees those and
hands each finished unit to a long-lived committer actor.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from functools import partial
from typing import Any

import pyarrow as pa
import ray

from curation.io.output import clear_scratch, commit_unit, write_fragments
from curation.io.units import Unit, UnitTracker
from curation.io.warc import read_unit
from curation.runners.common import ProgressFn, Reader, RunContext, RunSummary
from curation.runners.local import apply_stages
from curation.stage import Resources, Stage


class ClusterUnreachable(RuntimeError):
    pass


def _check_address(address: str | None) -> None:
    """Fail in seconds, with the address in the message, instead of Ray's long retry loop."""
    if not address or address == "auto" or address.startswith(("ray://", "local")):
        return
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=5):
            pass
    except (OSError, ValueError) as err:
        raise ClusterUnreachable(f"cannot reach Ray cluster at {address}: {err}") from None


def connect(address: str | None, num_cpus: int | None = None) -> None:
    """``num_cpus`` sizes an embedded Ray only; a cluster reports its own CPUs."""
    if ray.is_initialized():
        return
    _check_address(address)
    extra: dict[str, Any] = {}
    if not address:  # embedded: no dashboard (its processes took CPU from the stages on small nodes)
        extra["include_dashboard"] = False
        if num_cpus:
            extra["num_cpus"] = num_cpus
    try:
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=True, logging_level="WARNING", **extra)
    except ConnectionError as err:
        raise ClusterUnreachable(f"cannot connect to Ray cluster at {address}: {err}") from None


def _read(batch: pa.Table, reader: Reader) -> Iterator[pa.Table]:
    for row in batch.to_pylist():
        yield from reader(row["uri"], row["unit_id"])


# ~30 web pages (HTML averages ~130 kB in our samples); whole rows are never split.
BLOCK_BYTES = 4 * 1024 * 1024


class _StageActor:
    """One actor of a pool: runs its stages in order on every batch (one stage unless fused).

    The last pool also writes its batch's fragments and hands on only the small reports: the
    processed rows never cross the object store, and no separate write tasks (each a worker
    process importing pyarrow and the stages' modules) compete with the pool for its CPUs.
    """

    def __init__(self, stages: list[Stage], write_to: tuple[str, str] | None = None) -> None:
        self.stages = stages
        self.write_to = write_to
        for stage in stages:
            stage.setup()
            stage._ready = True

    def __call__(self, batch: pa.Table) -> pa.Table:
        batch = apply_stages(self.stages, batch)
        if self.write_to:
            return _write(batch, *self.write_to)
        return batch


# One committer per this many pool actors (at least one). A commit merges a unit's fragments
# (~0.1 s for a WARC of ~600 pages here); commit *tasks* paid a fresh worker process each time
# (Ray kills idle workers above the CPU count, and a new one imports pyarrow and our modules:
# ~1 s of CPU, 12.6 of 152 CPU-s of a 4-copy bench run went to 10 such processes).
ACTORS_PER_COMMITTER = 8


def committer_count(actors: int) -> int:
    return max(1, -(-actors // ACTORS_PER_COMMITTER))


# One concurrent read task per this many pool actors (at least one). Reading a record costs
# ~0.65 ms (gzip, WARC headers, Arrow rows) against ~15 ms of stages, so one reader feeds
# many actors; each concurrent reader is a worker process whose start-up (Python, Ray Data
# and our imports, ~1.5 CPU-s) cost more than the reading itself on the shared pages.
ACTORS_PER_READER = 8


def reader_count(actors: int) -> int:
    return max(1, -(-actors // ACTORS_PER_READER))


@ray.remote
class _Committer:
    """A long-lived process for ``commit_unit`` (idempotent, so a restarted actor may redo one)."""

    def commit(self, *args: Any) -> Any:
        return commit_unit(*args)


class Commits:
    """Commit-on-complete, for both engines: fragment reports go to a ``UnitTracker``; a unit
    whose rows have all been written goes to a committer actor (round robin); finished commits
    go into the summary and the progress callback.

    ``committers``: live actors with a ``commit`` method to use instead of starting
    ``_Committer`` processes (the actor engine passes its writing pool: a committer process
    costs ~1 CPU-s of start-up and an idle worker's polling, for a few commits a run)."""

    def __init__(self, ctx: RunContext, summary: RunSummary, progress: ProgressFn | None, partition: str,
                 workers: int, committers: list[Any] | None = None) -> None:
        self.ctx, self.summary, self.progress, self.partition = ctx, summary, progress, partition
        self.owned = committers is None  # only committers started here are killed here
        self.committers = committers if committers is not None else [
            _Committer.options(num_cpus=0, max_restarts=-1,  # type: ignore[attr-defined]
                               max_task_retries=5).remote() for _ in range(committer_count(workers))]
        self.units = {u.unit_id: u for u in ctx.plan.todo}
        self.tracker = UnitTracker()
        self.pending: dict[Any, Unit] = {}

    def report(self, report: dict[str, Any]) -> None:
        if self.tracker.add(report["unit_id"], report["fragment"], report["n_rows"], report["unit_total"]):
            unit, ctx = self.units[report["unit_id"]], self.ctx
            committer = self.committers[len(self.tracker.completed) % len(self.committers)]
            self.pending[committer.commit.remote(str(ctx.out), unit, ctx.run_id, ctx.config_hash,
                                                 ctx.cfg.output.compression, ctx.cfg.output.compression_level,
                                                 self.partition)] = unit

    def collect(self, block: bool) -> None:
        """Finished commits into the summary: all of them when ``block``, else those done now."""
        if not self.pending:
            return
        ready, _ = ray.wait(list(self.pending), num_returns=len(self.pending), timeout=None if block else 0)
        for ref in ready:
            self.pending.pop(ref)
            entry = ray.get(ref)
            self.summary.add(entry)
            if self.progress:
                self.progress(entry)

    def committed(self, entry: Any) -> None:
        """A unit an actor processed and committed whole (the actor engine's ``whole_units``)."""
        self.tracker.completed.add(entry.unit_id)
        self.summary.add(entry)
        if self.progress:
            self.progress(entry)

    def finish(self) -> None:
        self.collect(block=True)
        missing = set(self.units) - self.tracker.completed
        if missing:
            raise RuntimeError(f"{len(missing)} units did not complete: {sorted(missing)[:5]}")

    def kill(self) -> None:
        for actor in self.committers if self.owned else []:
            ray.kill(actor)


def group_stages(stages: list[Stage], fuse: bool) -> list[list[Stage]]:
    """Consecutive CPU-only stages share a group when fusing; a GPU stage is always alone."""
    if not fuse:
        return [[s] for s in stages]
    groups: list[list[Stage]] = []
    for stage in stages:
        if stage.resources.gpus or not groups or groups[-1][0].resources.gpus:
            groups.append([stage])
        else:
            groups[-1].append(stage)
    return groups


def group_resources(group: list[Stage]) -> Resources:
    """Stages of a group run one after another in one process: the largest CPU/GPU need, the
    sum of the memory needs."""
    mem = [s.resources.memory_mb for s in group if s.resources.memory_mb]
    return Resources(cpus=max(s.resources.cpus for s in group), gpus=max(s.resources.gpus for s in group),
                     memory_mb=sum(mem) if mem else None)


def group_batch_size(group: list[Stage]) -> int | None:
    """Rows per batch handed to a pool: the smallest batch of its stages, so rows stream to the
    writer (and units commit) at the pace of the finest stage; each stage still slices its own
    batches. A pool with a window-scoring stage takes whole blocks (None): blocks hold whole
    read chunks, while batches of N rows would cut the reader's windows anywhere."""
    if any(s.batch_is_window for s in group):
        return None
    return min(s.batch_size for s in group)


def _write(batch: pa.Table, out: str, run_id: str) -> pa.Table:
    reports = write_fragments(batch, out, run_id)
    schema = pa.schema([("unit_id", pa.string()), ("fragment", pa.string()), ("n_rows", pa.int64()),
                        ("unit_total", pa.int64())])
    return pa.Table.from_pylist(reports, schema=schema)


def _pool_size(res: Resources, cap: int | None, cpus: float, gpus: float) -> int:
    n = max(1, int(cpus // max(res.cpus, 0.01)))
    if res.gpus:
        n = min(n, max(1, int(gpus // res.gpus)))
    return min(n, cap) if cap else n


def pool_sizes(needs: list[Resources], cpus: float, cap: int | None, gpus: float = 0.0,
               memory_mb: float | None = None) -> list[int]:
    """Actors per pool. Fused (one CPU group), a pool takes every CPU; unfused, the CPUs are
    shared out in proportion to each pool's per-actor need, after one actor per pool. Pools
    that declare memory shrink until the cluster's memory holds them all. Fails fast when one
    actor per pool does not fit (CPUs or memory), instead of letting Ray Data wait forever."""
    cpu_pools = [r for r in needs if not r.gpus]
    floor = sum(r.cpus for r in cpu_pools)
    if floor > cpus + 1e-9:
        raise ValueError(f"{len(cpu_pools)} CPU actor pools need at least {floor:g} CPUs (one actor each) "
                         f"but the cluster has {cpus:g}: set runner.fuse_stages: true, or give the "
                         f"cluster more CPUs (runner.num_cpus for an embedded Ray)")
    sizes = []
    for r in needs:
        if r.gpus:
            sizes.append(_pool_size(r, cap, cpus, gpus))
        else:
            share = cpus * r.cpus / floor if floor else cpus
            sizes.append(_pool_size(r, cap, share, gpus))
    return _fit_memory(needs, sizes, memory_mb) if memory_mb else sizes


def _fit_memory(needs: list[Resources], sizes: list[int], memory_mb: float) -> list[int]:
    """Take actors from the pool with the most until the declared memory fits."""
    per = [r.memory_mb or 0 for r in needs]
    if sum(per) > memory_mb:
        raise ValueError(f"one actor per pool declares {sum(per):g} MB of memory but the cluster has "
                         f"{memory_mb:.0f} MB for actors: give Ray more memory or lower the stages' "
                         "declared memory")
    sizes = list(sizes)
    while sum(n * m for n, m in zip(sizes, per)) > memory_mb:
        i = max((j for j in range(len(sizes)) if sizes[j] > 1 and per[j]), key=lambda j: sizes[j] * per[j])
        sizes[i] -= 1
    return sizes


def _ray_args(res: Resources) -> dict[str, Any]:
    args: dict[str, Any] = {"num_cpus": res.cpus}
    if res.gpus:
        args["num_gpus"] = res.gpus
    if res.memory_mb:
        args["memory"] = res.memory_mb * 1024 * 1024
    return args


# The actor engine reads every unit in the driver (~0.65 ms a record) while a stage pipeline
# takes ~11-15 ms a record per CPU: one driver core feeds about 17-23 CPUs of stages. Above
# this many CPUs "auto" picks Ray Data, whose read tasks spread reading over the cluster.
ACTORS_ENGINE_MAX_CPUS = 16


def pick_engine(engine: str, cpus: float) -> str:
    """``runner.engine`` resolved: "auto" is the actor engine on a small cluster, else Ray Data."""
    if engine != "auto":
        return engine
    return "actors" if cpus <= ACTORS_ENGINE_MAX_CPUS else "data"


def run_ray(ctx: RunContext, stages: list[Stage], progress: ProgressFn | None = None,
            reader: Reader | None = None, partition: str = "language") -> RunSummary:
    """``reader``/``partition``: how units are read and how kept rows are partitioned (web by default)."""
    connect(ctx.cfg.runner.address, ctx.cfg.runner.num_cpus)
    summary = RunSummary(run_id=ctx.run_id, out=str(ctx.out), units_skipped=len(ctx.plan.skipped))
    if not ctx.plan.todo:
        return summary
    if pick_engine(ctx.cfg.runner.engine, ray.cluster_resources().get("CPU", 1.0)) == "actors":
        from curation.runners.ray_actors import run_ray_actors

        return run_ray_actors(ctx, stages, progress, reader, partition)
    data_ctx = ray.data.DataContext.get_current()
    data_ctx.enable_progress_bars = False
    # Ray Data joins a task's outputs into blocks of up to 128 MB, and a block goes to one actor
    # whole: a big unit read as one block keeps one actor busy while the others idle, and none
    # of its rows reach the writer before all are done. Small blocks spread the work.
    default_block_bytes, data_ctx.target_max_block_size = data_ctx.target_max_block_size, BLOCK_BYTES
    try:
        return _stream(ctx, stages, summary, progress, reader, partition)
    finally:
        data_ctx.target_max_block_size = default_block_bytes


def _stream(ctx: RunContext, stages: list[Stage], summary: RunSummary, progress: ProgressFn | None,
            reader: Reader | None, partition: str) -> RunSummary:
    ds = ray.data.from_items([{"unit_id": u.unit_id, "uri": u.uri} for u in ctx.plan.todo],
                             override_num_blocks=len(ctx.plan.todo))
    read = reader or partial(read_unit, cfg=ctx.cfg.read)
    cap = ctx.cfg.runner.max_actors_per_stage
    groups = group_stages(stages, ctx.cfg.runner.fuse_stages)
    have = ray.cluster_resources()
    needs = [group_resources(g) for g in groups]
    sizes = pool_sizes(needs, have.get("CPU", 1.0), cap, have.get("GPU", 0.0), have.get("memory", 0.0) / 2**20 or None)
    # Reading (~0.65 ms a record) and the commit are light: at zero CPUs they never stand
    # between a pool and the CPUs it was sized for; concurrent reads are few (reader_count),
    # which also bounds read-ahead. The last pool writes its own fragments (_StageActor).
    ds = ds.map_batches(_read, fn_kwargs={"reader": read}, batch_size=1, batch_format="pyarrow",
                        num_cpus=0, compute=ray.data.TaskPoolStrategy(size=reader_count(sum(sizes))))
    for i, (group, need, size) in enumerate(zip(groups, needs, sizes)):
        write_to = (str(ctx.out), ctx.run_id) if i == len(groups) - 1 else None
        # A fixed pool: Ray Data's backlog-aware autoscaling starts one actor and, on a small
        # node, never adds the second, so one CPU would idle for the whole run.
        ds = ds.map_batches(
            _StageActor, fn_constructor_args=(group, write_to), batch_size=group_batch_size(group),
            batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=size), **_ray_args(need),
        )
    if not groups:
        ds = ds.map_batches(_write, fn_kwargs={"out": str(ctx.out), "run_id": ctx.run_id}, batch_size=None,
                            batch_format="pyarrow", num_cpus=0)
    commits = Commits(ctx, summary, progress, partition, sum(sizes))
    # Block by block, without read-ahead: iter_rows() holds each block back until the next
    # one is ready, so a unit finished early would wait for the slowest unit to be committed.
    for block in ds.iter_batches(batch_size=None, batch_format="pyarrow", prefetch_batches=0):
        for report in block.to_pylist():
            commits.report(report)
        commits.collect(block=False)
    commits.finish()
    clear_scratch(ctx.out)
    return summary
