"""The ``curate`` command line. Exit 0 on success; otherwise one line on stderr and non-zero."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from curation.config import ConfigError, PipelineConfig, load_config
from curation.io.fs import InputError, expand_inputs

EXIT_USAGE = 2
EXIT_FAILED = 1


def _fail(msg: str, code: int = EXIT_USAGE) -> int:
    print(f"curate: error: {msg}", file=sys.stderr)
    return code


def _apply_overrides(cfg: PipelineConfig, args: argparse.Namespace) -> PipelineConfig:
    data = cfg.model_dump()
    if args.input:
        data["input"]["paths"] = list(args.input)
    if args.output:
        data["output"]["path"] = args.output
    if args.runner:
        data["runner"]["kind"] = args.runner
    if args.address:
        data["runner"]["address"] = args.address
    return PipelineConfig.model_validate(data)


def cmd_run(args: argparse.Namespace) -> int:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    from tqdm import tqdm

    from curation.runners.common import prepare
    from pipelines.web import build_stages

    try:
        cfg = _apply_overrides(load_config(args.config), args)
        if not cfg.input.paths:
            return _fail("no input: set input.paths in the config or pass --input")
        expand_inputs(cfg.input.paths)  # a missing input fails before anything starts
    except (ConfigError, InputError) as err:
        return _fail(str(err))
    if cfg.runner.kind == "ray":
        from curation.runners.ray_runner import ClusterUnreachable, connect

        try:
            connect(cfg.runner.address)
        except ClusterUnreachable as err:
            return _fail(str(err), EXIT_FAILED)
    try:
        ctx = prepare(cfg, force=args.force)
    except InputError as err:
        return _fail(str(err))
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

    stages = build_stages(cfg)
    try:
        if cfg.runner.kind == "local":
            from curation.runners.local import run_local

            summary = run_local(ctx, stages, progress)
        else:
            from curation.runners.ray_runner import run_ray

            summary = run_ray(ctx, stages, progress)
    except KeyboardInterrupt:
        return _fail("interrupted; committed units are kept and a rerun resumes", 130)
    finally:
        bar.close()
    print(f"done: {summary.units_done} units ({summary.units_skipped} skipped), {summary.rows} records, "
          f"{summary.kept} kept, {summary.rejected} rejected -> {summary.out}", file=sys.stderr)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from curation.stats import summarise

    try:
        print(summarise(args.out))
    except FileNotFoundError as err:
        return _fail(str(err))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="curate", description="Multilingual pretraining data curation on Ray.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="run a pipeline config (WARC -> Parquet)")
    run.add_argument("config", help="pipeline YAML, e.g. pipelines/configs/web.yaml")
    run.add_argument("--input", action="append", metavar="PATH", help="input path/glob/URL (repeatable); "
                     "replaces input.paths")
    run.add_argument("--output", metavar="DIR", help="output directory; replaces output.path")
    run.add_argument("--runner", choices=["local", "ray"], help="replaces runner.kind")
    run.add_argument("--address", help="Ray address (host:port, auto, ray://...); default: embedded local Ray")
    run.add_argument("--force", action="store_true", help="redo units the ledger already holds")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=cmd_run)
    stats = sub.add_parser("stats", help="summarise an output directory (documents per language and reason)")
    stats.add_argument("out", help="output directory of a run")
    stats.set_defaults(func=cmd_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except Exception as err:  # noqa: BLE001 - the contract is one line on stderr, not a traceback
        if os.environ.get("CURATE_DEBUG"):
            raise
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        return _fail(f"{type(err).__name__}: {first} (set CURATE_DEBUG=1 for the traceback)", EXIT_FAILED)


if __name__ == "__main__":
    sys.exit(main())
