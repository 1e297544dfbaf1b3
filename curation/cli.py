"""The ``curate`` command line. Exit 0 on success; otherwise one line on stderr and non-zero.

Each subcommand lives in its own module under ``curation.commands`` (see COMMANDS).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from curation.commands.common import EXIT_FAILED, EXIT_USAGE, fail

__all__ = ["EXIT_FAILED", "EXIT_USAGE", "build_parser", "main"]

# Subcommand modules, in the order `curate --help` lists them.
COMMANDS = [
    "curation.commands.run",
    "curation.commands.stats",
    "curation.commands.calibrate",
    "curation.commands.train_lm",
    "curation.commands.refresh",
    "curation.commands.tokenize",
    "curation.commands.mix",
    "curation.commands.train",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="curate", description="Multilingual pretraining data curation on Ray.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except Exception as err:  # noqa: BLE001 - the contract is one line on stderr, not a traceback
        if os.environ.get("CURATE_DEBUG"):
            raise
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        return fail(f"{type(err).__name__}: {first} (set CURATE_DEBUG=1 for the traceback)", EXIT_FAILED)


if __name__ == "__main__":
    sys.exit(main())
