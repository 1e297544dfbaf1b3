"""HTTP payload decoding: Content-Encoding with a size cap, then an honest charset choice.

Charset order: the HTTP header's charset, then ``<meta charset>`` / ``http-equiv``, then
statistical detection (charset-normalizer). A declared charset that fails to decode the
bytes is not trusted; we fall through to the next source.
"""

from __future__ import annotations

import codecs
import re
import zlib

import brotli
from charset_normalizer import from_bytes


class PayloadError(Exception):
    """A payload we will not decode; ``reason`` is the reject_reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _too_large(limit: int) -> PayloadError:
    return PayloadError("payload_too_large", f"decoded payload exceeds {limit} bytes")


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, limit + 1)
    if len(out) > limit:
        raise _too_large(limit)
    # Concatenated gzip members: keep going while input remains, still under the cap.
    while d.eof and d.unused_data and wbits in (31, 47):
        rest = d.unused_data
        d = zlib.decompressobj(wbits)
        out += d.decompress(rest, limit + 1 - len(out))
        if len(out) > limit:
            raise _too_large(limit)
    return out


def _unbrotli(data: bytes, limit: int) -> bytes:
    d = brotli.Decompressor()
    out = bytearray(d.process(data, output_buffer_limit=limit + 1))
    while len(out) <= limit and not d.is_finished() and not d.can_accept_more_data():
        out += d.process(b"", output_buffer_limit=limit + 1 - len(out))
    if len(out) > limit:
        raise _too_large(limit)
    return bytes(out)


def decode_content_encoding(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo Content-Encoding (gzip, deflate, br, chains of them) without exceeding ``limit``.

    Crawlers often store the payload already decoded while keeping the header; when the
    bytes do not carry the declared coding we keep them as they are rather than lose them.
    """
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding in ("identity", "none"):
            continue
        try:
            if coding in ("gzip", "x-gzip"):
                if not body.startswith(b"\x1f\x8b"):
                    continue
                body = _inflate(body, 31, limit)
            elif coding == "deflate":
                try:
                    body = _inflate(body, 15, limit)
                except zlib.error:
                    body = _inflate(body, -15, limit)  # raw deflate, as some servers send
            elif coding == "br":
                if body.lstrip()[:1] == b"<":
                    continue
                body = _unbrotli(body, limit)
            else:
                raise PayloadError("unsupported_content_encoding", f"Content-Encoding {coding!r}")
        except (zlib.error, brotli.error) as err:
            raise PayloadError("content_encoding_error", f"{coding}: {err}") from None
    if len(body) > limit:
        raise _too_large(limit)
    return body


# Signatures of binary formats that servers label text/html (WHATWG MIME sniffing §7).
_MAGIC = [(b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
          (b"%PDF-", "pdf"), (b"PK\x03\x04", "zip"), (b"\x1f\x8b\x08", "gzip"), (b"BZh", "bzip2"),
          (b"\xfd7zXZ\x00", "xz"), (b"7z\xbc\xaf\x27\x1c", "7z"), (b"OggS", "ogg"), (b"\x7fELF", "elf"),
          (b"\x00asm", "wasm"), (b"\x00\x00\x01\x00", "ico"), (b"wOFF", "woff"), (b"wOF2", "woff2"),
          (b"ID3", "mp3"), (b"\x1a\x45\xdf\xa3", "webm")]
_BINARY_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def sniff_binary(body: bytes) -> str | None:
    """Name the binary format of a body that claims to be text, or None if it looks like text.

    Known signatures first; otherwise a body whose first 1024 bytes hold more than 10%
    control bytes (WHATWG's "binary data byte" set) is binary. UTF-16 with a BOM is text.
    """
    head = body[:1024]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[4:12] in (b"ftypisom", b"ftypmp42") or (head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE")):
        return "media"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or not head:
        return None
    controls = sum(head.count(bytes([b])) for b in _BINARY_BYTES)
    return "binary" if controls * 10 > len(head) else None


# Bounded, non-overlapping quantifiers: ``\s*=\s*["']?\s*`` backtracks quadratically on
# "charset=" followed by many spaces (a hostile header took minutes at 100 kB).
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s{0,16}=["'\s]{0,16}([a-zA-Z0-9_:.\-]{1,40})""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s{0,16}=["'\s]{0,16}([a-zA-Z0-9_:.\-]{1,40})""", re.I)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    # WHATWG: labels of these legacy encodings mean their superset on the web.
    return {"latin-1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252", "gb2312": "gb18030",
            "gbk": "gb18030", "shift_jis": "cp932", "euc_kr": "cp949"}.get(codec, codec)


def header_charset(content_type: str | None) -> str | None:
    m = _HEADER_CHARSET.search(content_type or "")
    return m.group(1) if m else None


def meta_charset(body: bytes) -> str | None:
    m = _META_CHARSET.search(body[:4096])
    return m.group(1).decode("ascii", "replace") if m else None


def decode_text(body: bytes, content_type: str | None) -> tuple[str, str, str]:
    """Return (text, codec, source) with source one of bom/header/meta/detected/fallback."""
    text, codec, source, _ = decode_text_exact(body, content_type)
    return text, codec, source


def decode_text_exact(body: bytes, content_type: str | None) -> tuple[str, str, str, bool]:
    """``decode_text`` plus whether ``body`` decoded strictly (no byte replaced): then, with
    codec utf-8, ``body`` is exactly the UTF-8 encoding of the text, and the reader hands the
    bytes on instead of encoding the text again (Arrow stores strings as UTF-8)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", "replace"), "utf-8", "bom", False
    for source, declared in (("header", header_charset(content_type)), ("meta", meta_charset(body))):
        codec = _codec(declared)
        if codec is None:
            continue
        try:
            return body.decode(codec), codec, source, True
        except (UnicodeDecodeError, LookupError):
            continue  # the declaration lies; try the next source
    try:
        return body.decode("utf-8"), "utf-8", "detected", True
    except UnicodeDecodeError:
        pass
    best = from_bytes(body[:65536]).best()
    if best is not None and best.encoding:
        codec = _codec(best.encoding) or best.encoding
        return body.decode(codec, "replace"), codec, "detected", False
    return body.decode("utf-8", "replace"), "utf-8", "fallback", False
