"""``curate run CONFIG``: run a pipeline config end to end, with a progress display."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from curation.commands.common import EXIT_FAILED, fail
from curation.config import ConfigError, PipelineConfig, load_config
from curation.io.fs import InputError, expand_inputs

EXIT_LOCKED = 75  # EX_TEMPFAIL, as `curate refresh`: another curate process writes this output


def apply_overrides(cfg: PipelineConfig, args: argparse.Namespace) -> PipelineConfig:
    data = cfg.model_dump()
    if getattr(args, "input", None):
        data["input"]["paths"] = list(args.input)
    if getattr(args, "output", None):
        data["output"]["path"] = args.output
    if getattr(args, "runner", None):
        data["runner"]["kind"] = args.runner
    if getattr(args, "address", None):
        data["runner"]["address"] = args.address
    return PipelineConfig.model_validate(data)


def cmd_run(args: argparse.Namespace) -> int:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        cfg = apply_overrides(load_config(args.config), args)
        if not cfg.input.paths:
            return fail("no input: set input.paths in the config or pass --input")
        expand_inputs(cfg.input.paths)  # a missing input fails before anything starts
    except (ConfigError, InputError) as err:
        return fail(str(err))
    if cfg.pipeline == "parallel":
        from pipelines import parallel as pipeline
    else:
        from pipelines import web as pipeline  # type: ignore[no-redef]
    options = pipeline.runner_options(cfg) if hasattr(pipeline, "runner_options") else {}
    try:
        stages = pipeline.build_stages(cfg)  # a missing model fails here, before anything runs
    except (FileNotFoundError, ValueError) as err:
        return fail(str(err), EXIT_FAILED)
    if cfg.runner.kind == "ray":
        from curation.runners.ray_runner import ClusterUnreachable, connect

        try:
            connect(cfg.runner.address, cfg.runner.num_cpus)
        except ClusterUnreachable as err:
            return fail(str(err), EXIT_FAILED)
    from curation.io.lock import LockHeld, OutputLock

    # One writer per output directory: a run and a refresh (or two runs) never interleave.
    lock = OutputLock(Path(cfg.output.path).expanduser().absolute(), command="curate run")
    try:
        lock.acquire()
    except LockHeld as err:
        return fail(str(err), EXIT_LOCKED)
    try:
        return _run_locked(args, cfg, pipeline, stages, options)
    finally:
        lock.release()


def _run_locked(args: argparse.Namespace, cfg: PipelineConfig, pipeline: Any, stages: list, options: dict) -> int:
    from tqdm import tqdm

    from curation.runners.common import prepare

    try:
        ctx = prepare(cfg, force=args.force)
    except InputError as err:
        return fail(str(err))
    plan = ctx.plan
    print(f"run {ctx.run_id}: {len(plan.todo)} units to process, {len(plan.skipped)} already committed "
          f"-> {ctx.out}", file=sys.stderr)
    bar = tqdm(total=len(plan.todo), unit="unit", desc=f"curate {cfg.runner.kind}", file=sys.stderr,
               disable=args.quiet)
    docs = {"kept": 0, "rows": 0}

    def progress(entry: object) -> None:
        docs["kept"] += entry.n_kept  # type: ignore[attr-defined]
        docs["rows"] += entry.n_rows  # type: ignore[attr-defined]
        bar.set_postfix(docs=docs["rows"], kept=docs["kept"])
        bar.update(1)

    try:
        if cfg.runner.kind == "local":
            from curation.runners.local import run_local

            summary = run_local(ctx, stages, progress, **options)
        else:
            from curation.runners.ray_runner import run_ray

            summary = run_ray(ctx, stages, progress, **options)
    except KeyboardInterrupt:
        return fail("interrupted; committed units are kept and a rerun resumes", 130)
    finally:
        bar.close()
    print(f"done: {summary.units_done} units ({summary.units_skipped} skipped), {summary.rows} records, "
          f"{summary.kept} kept, {summary.rejected} rejected -> {summary.out}", file=sys.stderr)
    if cfg.pipeline == "web" and cfg.dedup.enabled:  # post-commit dedup phase (dedup/phase.py)
        from dedup.phase import DedupPhase

        # The phase decides per language (dedup.ray_min_docs) what runs on Ray.
        print(DedupPhase(summary.out, cfg.dedup, use_ray=cfg.runner.kind == "ray").run().line(), file=sys.stderr)
    if hasattr(pipeline, "finalize"):
        pipeline.finalize(cfg, summary.out)
    from curation.stats_build import build_after_run  # keep last: after every post-commit phase

    build_after_run(cfg, summary.out)
    return 0


def add_override_arguments(p: argparse.ArgumentParser) -> None:
    """The options that ``apply_overrides`` reads (shared by run and refresh)."""
    p.add_argument("--input", action="append", metavar="PATH", help="input path/glob/URL (repeatable); "
                   "replaces input.paths")
    p.add_argument("--output", metavar="DIR", help="output directory; replaces output.path")
    p.add_argument("--runner", choices=["local", "ray"], help="replaces runner.kind")
    p.add_argument("--address", help="Ray address (host:port, auto, ray://...); default: embedded local Ray")


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run a pipeline config (WARC -> Parquet)")
    run.add_argument("config", help="pipeline YAML, e.g. pipelines/configs/web.yaml")
    add_override_arguments(run)
    run.add_argument("--force", action="store_true", help="redo units the ledger already holds")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=cmd_run)
