"""``curate stats OUT``: summarise a run's output directory."""

from __future__ import annotations

import argparse

from curation.commands.common import fail


def cmd_stats(args: argparse.Namespace) -> int:
    from curation.stats import summarise

    try:
        print(summarise(args.out))
    except FileNotFoundError as err:
        return fail(str(err))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    stats = sub.add_parser("stats", help="summarise an output directory (documents per language and reason)")
    stats.add_argument("out", help="output directory of a run")
    stats.set_defaults(func=cmd_stats)
