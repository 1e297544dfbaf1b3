"""``curate stats OUT``: rebuild OUT/stats/*.parquet, print a summary, write OUT/report.html."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from curation.commands.common import fail


def cmd_stats(args: argparse.Namespace) -> int:
    from curation.config import ConfigError, load_config
    from curation.report import write_report
    from curation.stats import ledger_mismatches, terminal_summary
    from curation.stats_build import StatsSettings, build_stats, load_settings

    out = Path(args.out)
    if not (out / "_ledger").exists():
        return fail(f"not a curate output directory (no _ledger): {out}")
    settings, config = load_settings(out)
    try:
        if args.config:
            cfg = load_config(args.config)
            settings, config = StatsSettings.from_config(cfg.stats), cfg.model_dump(mode="json")
    except ConfigError as err:
        return fail(str(err))
    if args.tokenizer:
        settings = StatsSettings(args.tokenizer, settings.histogram_bins, settings.log_bins_per_decade)
    try:
        stats = build_stats(out, settings, config)
    except FileNotFoundError as err:
        return fail(str(err))
    print(terminal_summary(stats))
    for line in ledger_mismatches(out, stats.funnel):
        print(f"curate: warning: {line}", file=sys.stderr)
    if not args.no_report:
        path = write_report(stats, args.report or out / "report.html", title=f"Corpus statistics: {out.name}")
        print(f"\nreport: {path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    stats = sub.add_parser("stats", help="corpus statistics of an output directory: OUT/stats/*.parquet, "
                           "a terminal summary and OUT/report.html")
    stats.add_argument("out", help="output directory of a run")
    stats.add_argument("--config", metavar="CONFIG", help="pipeline YAML whose stats section and thresholds to "
                       "use (default: those of the run that built OUT/stats)")
    stats.add_argument("--tokenizer", metavar="TOKENIZER_JSON", help="count model tokens with this Hugging Face "
                       "tokenizer.json (replaces stats.tokenizer)")
    stats.add_argument("--report", metavar="HTML", help="where to write the report (default OUT/report.html)")
    stats.add_argument("--no-report", action="store_true", help="print the summary only")
    stats.set_defaults(func=cmd_stats)
