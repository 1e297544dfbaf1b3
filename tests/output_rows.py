"""Read a run's output back as comparable row sets."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq


def output_files(out: str | Path) -> list[Path]:
    root = Path(out)
    return sorted(root.glob("data/language=*/part-*.parquet")) + sorted(root.glob("rejected/part-*.parquet"))


def row_set(out: str | Path) -> set[tuple[str, str, str | None, str | None]]:
    """(id, sha256 of text, language, reject_reason) for every output row; ids must be unique."""
    rows = []
    for f in output_files(out):
        t = pq.read_table(f, columns=["id", "text", "language", "reject_reason"])
        for i, text, lang, reason in zip(*(t.column(c).to_pylist() for c in t.column_names)):
            rows.append((i, hashlib.sha256((text or "").encode()).hexdigest(), lang, reason))
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate ids in output"
    return set(rows)
