"""Training entries of the parallel pipeline: OUT/train/pair=<src>-<tgt>/part-00000.parquet.

After a run, every language pair's kept, rendered pairs (``text``, plus ``augmented_text``
when code-switching is on) become training entries. LLaMAX §3: a language pair with fewer
than ``replicate_below`` (25,000) pairs is replicated ``replicate_factor`` (3) times. The
counts need the whole run, so this is a step after the commits, rebuilt from OUT/data on
every run (a resumed run counts the pairs of earlier runs too).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.parallel_config import RenderConfig

TRAIN = "train"
ENTRY_SCHEMA = pa.schema([("id", pa.string()), ("pair", pa.string()), ("kind", pa.string()),
                          ("replica", pa.int32()), ("text", pa.string())])


def replication_factor(n_pairs: int, below: int, factor: int) -> int:
    """LLaMAX: pairs of a language pair with fewer than ``below`` pairs appear ``factor`` times."""
    return factor if n_pairs < below else 1


def entries(kept: pa.Table) -> pa.Table:
    """One entry per rendered pair, then one per augmented pair (kind 'pair' / 'augmented')."""
    parts = [pa.table({"id": kept.column("id"), "pair": kept.column("pair"),
                       "kind": pa.array(["pair"] * kept.num_rows, pa.string()),
                       "replica": pa.array([0] * kept.num_rows, pa.int32()), "text": kept.column("text")})]
    if "augmented_text" in kept.column_names:
        aug = kept.filter(pc.is_valid(kept.column("augmented_text")))
        parts.append(pa.table({"id": aug.column("id"), "pair": aug.column("pair"),
                               "kind": pa.array(["augmented"] * aug.num_rows, pa.string()),
                               "replica": pa.array([0] * aug.num_rows, pa.int32()),
                               "text": aug.column("augmented_text")}))
    return pa.concat_tables(parts).cast(ENTRY_SCHEMA)


def replicate(table: pa.Table, factor: int) -> pa.Table:
    """``factor`` copies of ``table`` one after another, numbered in ``replica``."""
    copies = [table.set_column(table.schema.get_field_index("replica"), "replica",
                               pa.array([r] * table.num_rows, pa.int32())) for r in range(factor)]
    return pa.concat_tables(copies) if copies else table


def write_training_entries(out: str | Path, cfg: RenderConfig, compression: str = "zstd",
                           level: int = 3) -> dict[str, int]:
    """Rebuild OUT/train from OUT/data; return entries written per language pair."""
    root = Path(out)
    written: dict[str, int] = {}
    tmp_root = root / f".{TRAIN}.tmp-{os.getpid()}"
    shutil.rmtree(tmp_root, ignore_errors=True)
    for pair_dir in sorted(root.glob("data/pair=*")):
        files = sorted(pair_dir.glob("part-*.parquet"))
        if not files:
            continue
        kept = pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")
        kept = kept.sort_by("id")  # part order depends on unit ids; entries should not
        factor = replication_factor(kept.num_rows, cfg.replicate_below, cfg.replicate_factor)
        table = replicate(entries(kept), factor)
        dest = tmp_root / pair_dir.name / "part-00000.parquet"
        dest.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, dest, compression=compression, compression_level=level)
        written[pair_dir.name.split("=", 1)[1]] = table.num_rows
    old = root / f".{TRAIN}.old-{os.getpid()}"
    if (root / TRAIN).exists():
        os.replace(root / TRAIN, old)
    if tmp_root.exists():
        os.replace(tmp_root, root / TRAIN)
    shutil.rmtree(old, ignore_errors=True)
    return written
