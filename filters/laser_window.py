"""Scoring windows of the LASER stage: which rows of a batch are scored against each other.

A margin compares a pair with its k nearest neighbours among the other pairs of its window, so
the window must be a property of the data, not of how a runner batches rows. The bitext reader
cuts each input file into chunks from the data alone and numbers them (``_window``, with the
chunk's row count in ``_window_rows``); a batch may hold several whole windows (Ray merges
small blocks), and a batch holding only part of a window is a runner bug that would silently
change scores, so it raises instead.
"""

from __future__ import annotations

import pyarrow as pa

from curation import schema
from curation.io.bitext_schema import WINDOW, WINDOW_ROWS


class WindowSplitError(RuntimeError):
    """A batch holds only part of a scoring window."""


def window_groups(batch: pa.Table) -> list[list[int]]:
    """Row positions of each window in ``batch``, in order of first appearance.

    Rows without a window number (tables not built by the reader) form one window together.
    """
    n = batch.num_rows
    if WINDOW not in batch.column_names:
        return [list(range(n))] if n else []
    units = batch.column(schema.UNIT_ID).to_pylist()
    windows = batch.column(WINDOW).to_pylist()
    sizes = batch.column(WINDOW_ROWS).to_pylist()
    groups: dict[tuple[str, int], list[int]] = {}
    loose: list[int] = []
    for i, (unit, window) in enumerate(zip(units, windows)):
        if window is None:
            loose.append(i)
        else:
            groups.setdefault((unit, window), []).append(i)
    for (unit, window), rows in groups.items():
        expected = sizes[rows[0]]
        if len(rows) != expected:
            raise WindowSplitError(
                f"LASER scoring window {window} of unit {unit} has {len(rows)} of its {expected} rows in this "
                "batch: the runner split a window, and margins would depend on batching")
    return list(groups.values()) + ([loose] if loose else [])
