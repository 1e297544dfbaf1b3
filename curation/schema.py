"""The Arrow document schema shared by every stage, runner and writer.

Columns starting with ``_`` are internal plumbing (raw HTML, unit bookkeeping) and are
dropped when a unit is committed; everything else is the output contract of DESIGN.md.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

# Internal columns: present while a batch flows through the stages, never written out.
HTML = "_html"
UNIT_ID = "_unit_id"
RECORD_INDEX = "_record_index"
UNIT_TOTAL = "_unit_total"  # set on the rows of a unit's last chunk: records in the unit

DOCUMENT_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("url", pa.string()),
        pa.field("source", pa.string(), nullable=False),
        pa.field("warc_record_id", pa.string()),
        pa.field("warc_type", pa.string()),
        pa.field("fetch_time", pa.timestamp("us", tz="UTC")),
        pa.field("content_type", pa.string()),
        pa.field("http_status", pa.int32()),
        pa.field("charset", pa.string()),
        pa.field("charset_source", pa.string()),
        pa.field("text", pa.string()),
        pa.field("language", pa.string()),
        pa.field("language_score", pa.float32()),
        pa.field("language_runner_up", pa.string()),
        pa.field("language_runner_up_score", pa.float32()),
        pa.field("perplexity", pa.float64()),
        pa.field("reject_reason", pa.string()),
        pa.field("reject_detail", pa.string()),
        pa.field("n_chars", pa.int64()),
        pa.field("n_words", pa.int64()),
        pa.field(HTML, pa.large_string()),
        pa.field(UNIT_ID, pa.string(), nullable=False),
        pa.field(RECORD_INDEX, pa.int64(), nullable=False),
        pa.field(UNIT_TOTAL, pa.int64()),
    ]
)

OUTPUT_SCHEMA = pa.schema([f for f in DOCUMENT_SCHEMA if not f.name.startswith("_")])

UNDETERMINED_LANGUAGE = "und"


def stable_id(*parts: str) -> str:
    """A 16-byte hex id that depends only on its inputs, so reruns give the same ids."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def empty_documents() -> pa.Table:
    return DOCUMENT_SCHEMA.empty_table()


def from_rows(rows: list[dict]) -> pa.Table:
    """Build a document table from row dicts; missing columns become nulls."""
    columns = {f.name: [r.get(f.name) for r in rows] for f in DOCUMENT_SCHEMA}
    return pa.Table.from_pydict(columns, schema=DOCUMENT_SCHEMA)


def to_output(table: pa.Table) -> pa.Table:
    """Drop internal columns and cast to the output schema (extra public columns kept)."""
    keep = [n for n in table.column_names if not n.startswith("_")]
    table = table.select(keep)
    fields = [OUTPUT_SCHEMA.field(n) if n in OUTPUT_SCHEMA.names else table.schema.field(n) for n in keep]
    return table.cast(pa.schema(fields))
