"""WARC reading with warcio: one row per response (or WET conversion) record.

A corrupt or truncated member ends the file: the records before it are kept and one
``input_error`` row says where and why. Per-record problems (oversized, non-HTML, bad
Content-Encoding) become rejected rows, never exceptions.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.statusandheaders import StatusAndHeadersParser

from curation import schema
from curation.config import ReadConfig
from curation.io.fs import open_input
from curation.io.payload import PayloadError, decode_content_encoding, decode_text, decode_text_exact, sniff_binary

_HTTP_PARSER = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0", "HTTP/3"], verify=False)
KEPT_TYPES = {"response", "conversion", "revisit"}


def _fetch_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
    except ValueError:
        return None


def _mime(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _read_capped(stream: Any, limit: int) -> bytes:
    return stream.read(limit + 1)


def _record_row(record: Any, uri: str, unit_id: str, index: int, cfg: ReadConfig, utf8_html: bool = False) -> dict:
    rec_type = record.rec_type
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    row: dict[str, Any] = {
        "id": schema.stable_id(uri, record_id or ""),
        "url": record.rec_headers.get_header("WARC-Target-URI"),
        "source": uri,
        "warc_record_id": record_id,
        "warc_type": rec_type,
        "fetch_time": _fetch_time(record.rec_headers.get_header("WARC-Date")),
        schema.UNIT_ID: unit_id,
        schema.RECORD_INDEX: index,
    }
    if row["url"] is not None and len(row["url"]) > cfg.max_url_chars:
        row["reject_reason"] = "url_too_long"
        row["reject_detail"] = f"{len(row['url'])} characters (read.max_url_chars = {cfg.max_url_chars})"
        row["url"] = row["url"][: cfg.max_url_chars]
        return row
    if rec_type == "revisit":
        row["reject_reason"] = "revisit_record"
        row["reject_detail"] = record.rec_headers.get_header("WARC-Refers-To-Target-URI") or "no payload"
        return row
    http = record.http_headers if rec_type == "response" else None
    if rec_type == "response" and http is None:
        # warcio parses HTTP headers only for http(s) target URIs; parse them ourselves.
        try:
            http = _HTTP_PARSER.parse(record.raw_stream)
        except Exception as err:  # noqa: BLE001 - a record without HTTP headers is rejected
            row["reject_reason"], row["reject_detail"] = "no_http_headers", str(err)[:200]
            return row
    content_type = http.get_header("Content-Type") if http else record.rec_headers.get_header("Content-Type")
    row["content_type"] = content_type
    if http is not None:
        try:
            row["http_status"] = int(http.get_statuscode() or 0)
        except ValueError:
            row["http_status"] = None
    limit = cfg.max_payload_bytes
    try:
        stream = record.raw_stream
        if http is not None and (http.get_header("Transfer-Encoding") or "").lower() == "chunked":
            stream = ChunkedDataReader(stream, decomp_type=None)
        raw = _read_capped(stream, limit)
        if len(raw) > limit:
            raise PayloadError("payload_too_large", f"payload exceeds {limit} bytes")
        body = decode_content_encoding(raw, http.get_header("Content-Encoding") if http else None, limit)
    except PayloadError as err:
        row["reject_reason"], row["reject_detail"] = err.reason, err.detail
        return row
    status = row.get("http_status")
    if status is not None and not 200 <= status < 300:
        row["reject_reason"], row["reject_detail"] = "http_status", str(status)
        return row
    mime = _mime(content_type)
    if rec_type == "conversion":
        if not cfg.keep_conversion_records:
            row["reject_reason"] = "conversion_record"
            return row
        text, codec, source = decode_text(body, content_type or "text/plain; charset=utf-8")
        row.update(text=text, charset=codec, charset_source=source)
        return row
    if mime and mime not in cfg.html_content_types:
        row["reject_reason"], row["reject_detail"] = "non_html", mime
        return row
    if not body.strip():
        row["reject_reason"] = "empty_payload"
        return row
    binary = sniff_binary(body)
    if binary is not None:
        row["reject_reason"], row["reject_detail"] = "non_html", f"{binary} payload labelled {mime or 'without type'}"
        return row
    html, codec, source, exact = decode_text_exact(body, content_type)
    if not mime and "<" not in html[:2048]:
        row["reject_reason"], row["reject_detail"] = "non_html", "no content type and no markup"
        return row
    # utf8_html: the same text as its UTF-8 bytes where the payload is exactly that (most pages):
    # Arrow keeps strings as UTF-8, so the bytes are stored as they are instead of encoding the
    # decoded text again (~1/3 of the reader's CPU on the shared pages).
    value: str | bytes = body if utf8_html and exact and codec == "utf-8" else html
    row.update({schema.HTML: value, "charset": codec, "charset_source": source})
    return row


def _drain(stream: Any) -> int:
    """Read what is left of a record; return how many declared bytes never arrived."""
    while stream.read(1 << 16):
        pass
    return int(getattr(stream, "limit", 0) or 0)


_GZIP_MAGIC = b"\x1f\x8b\x08"
_RESYNC_CHUNK = 1 << 20


def _is_record_start(fh: Any, pos: int, gz: bool) -> bool:
    fh.seek(pos)
    head = fh.read(1 << 12 if not gz else 1 << 14)
    if not gz:
        return head.startswith((b"WARC/1.", b"WARC/0."))
    try:
        return zlib.decompressobj(31).decompress(head, 16).startswith((b"WARC/1.", b"WARC/0."))
    except zlib.error:
        return False


def find_next_record(fh: Any, after: int, gz: bool) -> int | None:
    """Offset of the next plausible record start at or after ``after`` (a gzip member that
    inflates to a WARC header, or a ``WARC/1.`` line), or None at the end of the file."""
    magic = _GZIP_MAGIC if gz else b"\nWARC/1."
    pos = after
    while True:
        fh.seek(pos)
        chunk = fh.read(_RESYNC_CHUNK + len(magic))
        if len(chunk) < len(magic):
            return None
        i = chunk.find(magic)
        while i >= 0:
            cand = pos + i + (0 if gz else 1)
            if cand >= after and _is_record_start(fh, cand, gz):
                return cand
            i = chunk.find(magic, i + 1)
        if len(chunk) < _RESYNC_CHUNK + len(magic):
            return None
        pos += _RESYNC_CHUNK


def _error_row(uri: str, unit_id: str, index: int, reason: str, detail: str, offset: int) -> dict:
    return {
        "id": schema.stable_id(uri, f"{reason}@{offset}"),
        "source": uri,
        "warc_type": "input_error",
        "reject_reason": reason,
        "reject_detail": detail[:500],
        schema.UNIT_ID: unit_id,
        schema.RECORD_INDEX: index,
    }


class _RecordBroken(Exception):
    """The record at ``offset`` cannot be read as declared; reading resumes after it."""

    def __init__(self, offset: int, detail: str) -> None:
        super().__init__(detail)
        self.offset = offset


def iter_rows(uri: str, unit_id: str, cfg: ReadConfig, utf8_html: bool = False) -> Iterator[dict]:
    """Yield one row per kept record. With ``utf8_html`` the HTML of a page whose payload is
    valid UTF-8 comes as those bytes (for an Arrow string column: the same text), else as str.

    Damage inside a file (garbage bytes, a truncated gzip member, a record whose
    Content-Length is missing or lies) costs only the damaged bytes: one ``input_skipped``
    row says which bytes were skipped and why, and reading resumes at the next record start
    (the next gzip member that inflates to a WARC header, or the next ``WARC/1.`` line), so
    the good records after the damage are kept. Damage with no record after it ends the file
    with one ``input_error`` row.
    """
    index = 0
    start = 0
    try:
        fh_ctx = open_input(uri)
    except Exception as err:  # noqa: BLE001 - an unreadable input is a row, not a crash
        yield _error_row(uri, unit_id, 0, "input_error", f"{type(err).__name__}: {err}", 0)
        return
    with fh_ctx as fh:
        gz = fh.read(2) == b"\x1f\x8b"
        while True:
            fh.seek(start)
            rec_start = start
            try:
                it = ArchiveIterator(fh, ensure_http_headers=False)
                for record in it:
                    rec_start = it.offset
                    if record.length is None or not record.rec_type:
                        # A header-only stub (the file ends inside a record) or a header block
                        # without Content-Length/WARC-Type: reading on would swallow what follows.
                        raise _RecordBroken(rec_start, "record without Content-Length or WARC-Type")
                    if record.rec_type not in KEPT_TYPES:
                        it.read_to_end()
                        rec_start = it.offset  # damage from here on is after this record
                        continue
                    errors_before = it.err_count
                    row = _record_row(record, uri, unit_id, index, cfg, utf8_html)
                    missing = _drain(record.raw_stream)
                    if missing:
                        raise _RecordBroken(rec_start, f"record truncated: {missing} of its declared bytes missing")
                    it.read_to_end()
                    if it.err_count > errors_before:
                        # Bytes after the declared length before the next record: the
                        # Content-Length was short, so the payload we read is cut.
                        row.pop(schema.HTML, None)
                        row.update(text=None, reject_reason="content_length_mismatch",
                                   reject_detail="payload continues past the declared Content-Length")
                    if row["warc_record_id"] is None:
                        row["id"] = schema.stable_id(uri, f"@{it.get_record_offset()}")
                    rec_start = it.offset
                    yield row
                    index += 1
                return
            except _RecordBroken as err:
                bad_at, detail = err.offset, str(err)
            except Exception as err:  # noqa: BLE001 - any decoder failure costs only the bad bytes
                bad_at, detail = rec_start, f"{type(err).__name__}: {err}"
            try:
                nxt = find_next_record(fh, bad_at + 1, gz)
            except Exception as err:  # noqa: BLE001
                nxt, detail = None, f"{detail}; resync failed: {type(err).__name__}: {err}"
            if nxt is None:
                yield _error_row(uri, unit_id, index, "input_error",
                                 f"unreadable from offset {bad_at} to the end (after record {index}): {detail}", bad_at)
                return
            yield _error_row(uri, unit_id, index, "input_skipped",
                             f"skipped bytes {bad_at}..{nxt} (after record {index}): {detail}", bad_at)
            index += 1
            start = nxt


def read_unit(uri: str, unit_id: str, cfg: ReadConfig) -> Iterator[pa.Table]:
    """Yield chunks of ``cfg.chunk_rows`` rows; the last chunk's rows carry the unit total.

    A file with no records still yields one ``input_empty`` row, so every unit reaches a
    commit and the ledger can say it was seen.
    """
    pending: list[dict] = []
    total = 0
    for row in iter_rows(uri, unit_id, cfg, utf8_html=True):
        pending.append(row)
        total += 1
        if len(pending) > cfg.chunk_rows:  # hold one back so the last chunk is never empty
            yield schema.from_rows(pending[: cfg.chunk_rows])
            pending = pending[cfg.chunk_rows:]
    if total == 0:
        pending = [{
            "id": schema.stable_id(uri, "input_empty"), "source": uri, "warc_type": "input_error",
            "reject_reason": "input_empty", "reject_detail": "no response or conversion records",
            schema.UNIT_ID: unit_id, schema.RECORD_INDEX: 0,
        }]
        total = 1
    for row in pending:
        row[schema.UNIT_TOTAL] = total
    yield schema.from_rows(pending)
