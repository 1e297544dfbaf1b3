"""``curate refresh CONFIG``: the nightly incremental run (see pipelines/refresh.py)."""

from __future__ import annotations

import argparse
import os
import sys

from curation.commands.common import EXIT_FAILED, fail
from curation.commands.run import add_override_arguments
from curation.config import ConfigError, load_config

EXIT_LOCKED = 75  # EX_TEMPFAIL: another refresh is running; cron may simply try again later
EXIT_CONFIG_CHANGED = 3


def cmd_refresh(args: argparse.Namespace) -> int:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    from curation.commands.run import apply_overrides
    from curation.io.fs import InputError
    from curation.io.lock import LockHeld
    from curation.refresh.plan import ConfigChanged
    from curation.refresh.snapshot import SnapshotError
    from pipelines import refresh as pipeline

    try:
        cfg = apply_overrides(load_config(args.config), args)
    except ConfigError as err:
        return fail(str(err))
    try:
        if args.rollback:
            old, new = pipeline.rollback(cfg)
            print(f"rolled back: CURRENT now names snapshot {new} (was {old}) in {cfg.output.path}", file=sys.stderr)
            return 0
        if cfg.runner.kind == "ray":
            from curation.runners.ray_runner import ClusterUnreachable, connect

            try:
                connect(cfg.runner.address)
            except ClusterUnreachable as err:
                return fail(str(err), EXIT_FAILED)

        def on_plan(result: pipeline.RefreshResult, plan: object) -> None:
            print(f"run {result.run_id}: {len(plan.todo)} units to process, {len(plan.skipped)} already committed "  # type: ignore[attr-defined]
                  f"({result.discovered} discovered, {result.units_reprocessed} reprocessed) -> {result.out}",
                  file=sys.stderr)
            if result.lock_taken_over:
                print(f"took over a stale lock ({result.lock_taken_over})", file=sys.stderr)

        result = pipeline.refresh(cfg, reprocess=args.reprocess, on_plan=on_plan)
    except LockHeld as err:
        return fail(str(err), EXIT_LOCKED)
    except ConfigChanged as err:
        return fail(str(err), EXIT_CONFIG_CHANGED)
    except (InputError, SnapshotError) as err:
        return fail(str(err))
    except KeyboardInterrupt:
        return fail("interrupted; committed units are kept and the next refresh resumes", 130)
    print(f"done: {result.units_done} units ({result.units_skipped} skipped), {result.rows} records, "
          f"{result.kept} kept; snapshot {result.snapshot} ({result.published_rows} documents) published "
          f"in {result.wall_s:.1f} s", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("refresh", help="nightly incremental run: new inputs only, dedup, atomic snapshot")
    p.add_argument("config", help="pipeline YAML with an optional refresh: section")
    add_override_arguments(p)
    p.add_argument("--reprocess", action="store_true",
                   help="redo units committed under a different processing config")
    p.add_argument("--rollback", action="store_true", help="point CURRENT back at the previous snapshot and exit")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_refresh)
