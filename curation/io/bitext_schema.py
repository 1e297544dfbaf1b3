"""The Arrow schema of sentence pairs flowing through the parallel pipeline.

Public columns follow DESIGN.md's bitext contract (``id``, ``src_lang``, ``tgt_lang``, ``src``,
``tgt``, ``laser_score``, ``reject_reason``, ``text``) plus provenance; stages add their signal
columns. ``_``-prefixed columns are the same unit bookkeeping as for documents, so the shared
fragment writer, commit and ledger work unchanged.
"""

from __future__ import annotations

import pyarrow as pa

from curation import schema

BITEXT_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("line", pa.int64()),
        pa.field("src_lang", pa.string()),
        pa.field("tgt_lang", pa.string()),
        pa.field("pair", pa.string()),
        pa.field("src", pa.string()),
        pa.field("tgt", pa.string()),
        pa.field("laser_score", pa.float32()),
        pa.field("reject_reason", pa.string()),
        pa.field("reject_detail", pa.string()),
        pa.field("text", pa.string()),
        pa.field(schema.UNIT_ID, pa.string(), nullable=False),
        pa.field(schema.RECORD_INDEX, pa.int64(), nullable=False),
        pa.field(schema.UNIT_TOTAL, pa.int64()),
        pa.field("_window", pa.int64()),
        pa.field("_window_rows", pa.int64()),
    ]
)

# A read chunk is a LASER scoring window: its number within the unit, and its row count (so a
# stage can tell a whole window from one a runner cut). Null for tables not built by the reader.
WINDOW = "_window"
WINDOW_ROWS = "_window_rows"

# Kept pairs are partitioned by this column: OUT/data/pair=<src>-<tgt>/part-<unit>.parquet.
PARTITION = "pair"


def from_rows(rows: list[dict]) -> pa.Table:
    """Build a pair table from row dicts; missing columns become nulls."""
    columns = {f.name: [r.get(f.name) for r in rows] for f in BITEXT_SCHEMA}
    return pa.Table.from_pydict(columns, schema=BITEXT_SCHEMA)
