"""WARC reading with warcio: one row per response (or WET conversion) record.

A corrupt or truncated member ends the file: the records before it are kept and one
``input_error`` row says where and why. Per-record problems (oversized, non-HTML, bad
Content-Encoding) become rejected rows, never exceptions.
"""

from __future__ import annotations

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
from curation.io.payload import PayloadError, decode_content_encoding, decode_text

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


def _record_row(record: Any, uri: str, unit_id: str, index: int, cfg: ReadConfig) -> dict:
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
    html, codec, source = decode_text(body, content_type)
    if not mime and "<" not in html[:2048]:
        row["reject_reason"], row["reject_detail"] = "non_html", "no content type and no markup"
        return row
    row.update({schema.HTML: html, "charset": codec, "charset_source": source})
    return row


def _drain(stream: Any) -> int:
    """Read what is left of a record; return how many declared bytes never arrived."""
    while stream.read(1 << 16):
        pass
    return int(getattr(stream, "limit", 0) or 0)


def iter_rows(uri: str, unit_id: str, cfg: ReadConfig) -> Iterator[dict]:
    """Yield one row per kept record; a broken file ends with one input_error row."""
    index = 0
    offset = 0
    try:
        with open_input(uri) as fh:
            it = ArchiveIterator(fh, ensure_http_headers=False)
            for record in it:
                if record.rec_type not in KEPT_TYPES:
                    continue
                if record.length is None:
                    # warcio hands back a header-only stub when the file ends inside a record.
                    raise ValueError("record without Content-Length (file cut inside its headers)")
                row = _record_row(record, uri, unit_id, index, cfg)
                missing = _drain(record.raw_stream)
                if missing:
                    # warcio stops quietly at a cut-off record; that is the end of this file.
                    row.pop(schema.HTML, None)
                    row.update(text=None, reject_reason="input_error",
                               reject_detail=f"record {index} truncated: {missing} bytes missing")
                    yield row
                    return
                offset = it.get_record_offset()  # only valid once the payload was read
                if row["warc_record_id"] is None:
                    row["id"] = schema.stable_id(uri, f"@{offset}")
                yield row
                index += 1
    except Exception as err:  # noqa: BLE001 - any decoder failure ends this file only
        yield {
            "id": schema.stable_id(uri, f"input_error@{index}"),
            "source": uri,
            "warc_type": "input_error",
            "reject_reason": "input_error",
            "reject_detail": f"{type(err).__name__} after record {index} (offset {offset}): {err}"[:500],
            schema.UNIT_ID: unit_id,
            schema.RECORD_INDEX: index,
        }


def read_unit(uri: str, unit_id: str, cfg: ReadConfig) -> Iterator[pa.Table]:
    """Yield chunks of ``cfg.chunk_rows`` rows; the last chunk's rows carry the unit total.

    A file with no records still yields one ``input_empty`` row, so every unit reaches a
    commit and the ledger can say it was seen.
    """
    pending: list[dict] = []
    total = 0
    for row in iter_rows(uri, unit_id, cfg):
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
