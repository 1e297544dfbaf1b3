"""What every subcommand shares: the one-line error contract and exit codes."""

from __future__ import annotations

import sys

EXIT_USAGE = 2
EXIT_FAILED = 1


def fail(msg: str, code: int = EXIT_USAGE) -> int:
    """Print ``curate: error: <cause>`` on stderr and return the exit code."""
    print(f"curate: error: {msg}", file=sys.stderr)
    return code
