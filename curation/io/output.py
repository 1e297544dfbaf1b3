"""Output layout (DESIGN.md contract) and the two-step commit of a work unit.

1. Workers write *fragments* (whatever batch reached the end of the stages) under
   ``OUT/_tmp/<run_id>/<unit_id>/``; a fragment's name is a hash of its rows' record indices,
   so a retried task overwrites rather than duplicates.
2. When every record of a unit has arrived, ``commit_unit`` merges its fragments into
   ``data/language=xx/part-<unit>.parquet`` and ``rejected/part-<unit>.parquet`` (temp name,
   then rename), removes the unit's stale files from earlier runs, and writes the ledger row
   last. A unit without a ledger row is redone on the next run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curation import schema
from curation.io.ledger import Ledger, LedgerEntry
from curation.io.units import Unit


def _write_parquet(table: pa.Table, path: Path, compression: str, level: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression=compression, compression_level=level)
    os.replace(tmp, path)


def fragment_dir(out: str | Path, run_id: str, unit_id: str) -> Path:
    return Path(out) / "_tmp" / run_id / unit_id


def write_fragments(batch: pa.Table, out: str | Path, run_id: str) -> list[dict]:
    """Write one fragment per unit present in ``batch``; return one report per fragment."""
    reports = []
    units = batch.column(schema.UNIT_ID)
    for unit_id in pc.unique(units).to_pylist():
        part = batch.filter(pc.equal(units, unit_id))
        if schema.HTML in part.column_names:
            part = part.drop_columns([schema.HTML])
        indices = sorted(part.column(schema.RECORD_INDEX).to_pylist())
        name = hashlib.blake2b(repr(indices).encode(), digest_size=10).hexdigest()
        totals = [t for t in part.column(schema.UNIT_TOTAL).to_pylist() if t is not None]
        # Fragments are scratch space: a fast codec, the final files get zstd.
        _write_parquet(part, fragment_dir(out, run_id, unit_id) / f"{name}.parquet", "lz4", 1)
        reports.append({"unit_id": unit_id, "fragment": name, "n_rows": part.num_rows,
                        "unit_total": max(totals) if totals else None})
    return reports


def unit_files(out: str | Path, unit_id: str, partition: str = "language") -> list[Path]:
    """A unit's committed files, including what a post-commit phase moved to rejected/
    (``part-<unit>.<phase>.parquet``), so redoing the unit leaves nothing stale behind."""
    root = Path(out)
    return sorted(root.glob(f"data/{partition}=*/part-{unit_id}.parquet")) + sorted(
        root.glob(f"rejected/part-{unit_id}.parquet")) + sorted(root.glob(f"rejected/part-{unit_id}.*.parquet"))


def commit_unit(out: str | Path, unit: Unit, run_id: str, config_hash: str,
                compression: str = "zstd", level: int = 3, partition: str = "language") -> LedgerEntry:
    """Merge a complete unit's fragments into its final files and write its ledger row.

    Kept rows go to ``data/<partition>=<value>/`` (``language`` for documents, ``pair`` for bitext).
    """
    ledger = Ledger(out)
    existing = ledger.get(unit.unit_id)
    if existing is not None and existing.run_id == run_id:
        return existing  # a retried commit of this run: already done
    frag_dir = fragment_dir(out, run_id, unit.unit_id)
    tables = [pq.read_table(p) for p in sorted(frag_dir.glob("*.parquet"))]
    merged = pa.concat_tables(tables, promote_options="permissive")
    merged = merged.sort_by(schema.RECORD_INDEX)
    kept_mask = pc.is_null(merged.column("reject_reason"))
    kept = schema.to_output(merged.filter(kept_mask))
    rejected = schema.to_output(merged.filter(pc.invert(kept_mask)))
    root = Path(out)
    written: list[Path] = []
    if kept.num_rows:
        langs = pc.fill_null(kept.column(partition), schema.UNDETERMINED_LANGUAGE)
        for lang in sorted(pc.unique(langs).to_pylist()):
            path = root / "data" / f"{partition}={lang}" / f"part-{unit.unit_id}.parquet"
            _write_parquet(kept.filter(pc.equal(langs, lang)), path, compression, level)
            written.append(path)
    if rejected.num_rows:
        path = root / "rejected" / f"part-{unit.unit_id}.parquet"
        _write_parquet(rejected, path, compression, level)
        written.append(path)
    for stale in set(unit_files(out, unit.unit_id, partition)) - set(written):
        stale.unlink()
    entry = LedgerEntry(
        unit_id=unit.unit_id, uri=unit.uri, run_id=run_id, config_hash=config_hash,
        n_rows=merged.num_rows, n_kept=kept.num_rows, n_rejected=rejected.num_rows,
        files=[str(p.relative_to(root)) for p in written],
        committed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    ledger.write(entry)
    shutil.rmtree(frag_dir, ignore_errors=True)
    return entry


def clear_scratch(out: str | Path) -> None:
    """Drop fragments of earlier, unfinished runs (their units have no ledger row)."""
    shutil.rmtree(Path(out) / "_tmp", ignore_errors=True)
