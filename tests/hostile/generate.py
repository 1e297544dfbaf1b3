"""Write hostile WARC files: each holds real good pages around one kind of malformed input.

Good records are real news pages from ``pages-article-extraction-benchmark.warc.gz`` (their
bytes and HTTP headers as crawled). Each case file is ``good-0, <bad>, good-1`` (one gzip
member per record, as Common Crawl writes them), so the suite can check that the damage costs
only the bad record. Run ``python -m tests.hostile.generate DIR`` to write them by hand.
"""

from __future__ import annotations

import gzip
import os
import random
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("CURATION_SHARED", REPO.parent / "shared")) / "data"
SOURCE = SHARED / "warc" / "pages-article-extraction-benchmark.warc.gz"
WET = SHARED / "warc" / "cc-main-2024-22-whirlwind.warc.wet.gz"
HOSTILE = "https://hostile.example/"


@dataclass(frozen=True)
class GoodPage:
    url: str
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    # reject_reason values the bad record(s) may end with (None = kept, for inputs that are
    # hostile to the reader but valid documents); every case must yield at least one bad row.
    allowed: frozenset[str | None]
    build: Callable[[list[GoodPage]], bytes]  # the bad bytes that go between good-0 and good-1


def good_pages(n: int = 2, max_bytes: int = 100_000) -> list[GoodPage]:
    """The first ``n`` pages under ``max_bytes`` of the real news set."""
    pages: list[GoodPage] = []
    with open(SOURCE, "rb") as fh:
        for rec in ArchiveIterator(fh):
            if rec.rec_type != "response" or rec.http_headers is None:
                continue
            body = rec.content_stream().read()
            if len(body) <= max_bytes:
                pages.append(GoodPage(rec.rec_headers.get_header("WARC-Target-URI"),
                                      rec.http_headers.get_header("Content-Type") or "text/html", body))
            if len(pages) == n:
                return pages
    raise RuntimeError(f"fewer than {n} pages under {max_bytes} bytes in {SOURCE}")


def record(url: str, payload: bytes, headers: list[tuple[str, str]] | None = None, rec_type: str = "response",
           status: str = "200 OK", warc_headers: dict[str, str] | None = None) -> bytes:
    """One well-formed gzip member holding one WARC record (warcio's writer)."""
    buf = BytesIO()
    writer = WARCWriter(buf, gzip=True)
    if rec_type == "response":
        http = StatusAndHeaders(status, headers or [("Content-Type", "text/html; charset=utf-8")],
                                protocol="HTTP/1.1")
        rec = writer.create_warc_record(url, "response", payload=BytesIO(payload), http_headers=http,
                                        warc_headers_dict=warc_headers)
    else:
        rec = writer.create_warc_record(url, rec_type, payload=BytesIO(payload),
                                        warc_content_type="text/plain", warc_headers_dict=warc_headers)
    writer.write_record(rec)
    return buf.getvalue()


def raw_record(url: str, block: bytes, content_length: int | None, record_id: str) -> bytes:
    """A hand-written response record whose Content-Length may be absent or lie (gzip member)."""
    lines = ["WARC/1.0", "WARC-Type: response", f"WARC-Target-URI: {url}", "WARC-Date: 2024-05-18T06:00:00Z",
             f"WARC-Record-ID: <urn:uuid:{record_id}>", "Content-Type: application/http; msgtype=response"]
    if content_length is not None:
        lines.append(f"Content-Length: {content_length}")
    return gzip.compress(("\r\n".join(lines) + "\r\n\r\n").encode() + block + b"\r\n\r\n")


def http_block(body: bytes, content_type: str = "text/html; charset=utf-8") -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def _page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"


def _png() -> bytes:
    """A real 64x64 greyscale PNG (signature, IHDR, IDAT, IEND)."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes((x * y) % 256 for x in range(64)) for y in range(64))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _russian_sentences(n: int = 12) -> list[str]:
    lines = (SHARED / "sentences" / "ru.txt").read_text(encoding="utf-8").splitlines()
    return [ln for ln in lines if len(ln) > 40][:n]


def _gzip_bomb(decoded_bytes: int) -> bytes:
    """``decoded_bytes`` of spaces inside a small gzip stream (about 1000:1)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * (1 << 20)
    parts = [comp.compress(b"<html><body>")]
    for _ in range(decoded_bytes // len(block)):
        parts.append(comp.compress(block))
    parts.append(comp.flush())
    return b"".join(parts)


# ----------------------------------------------------------------------------- the cases

def _truncated_member(good: list[GoodPage]) -> bytes:
    member = record(HOSTILE + "truncated", good[0].body)
    return member[: len(member) // 2]


def _garbage(good: list[GoodPage]) -> bytes:
    rng = random.Random(9)
    return bytes(rng.randrange(256) for _ in range(20_000)) + b"\r\n\r\nnot a record\r\n"


def _missing_length(good: list[GoodPage]) -> bytes:
    return raw_record(HOSTILE + "no-length", http_block(good[0].body), None, "00000000-0000-4000-8000-000000000001")


def _length_too_long(good: list[GoodPage]) -> bytes:
    block = http_block(good[0].body)
    return raw_record(HOSTILE + "long-length", block, len(block) + 5000, "00000000-0000-4000-8000-000000000002")


def _length_too_short(good: list[GoodPage]) -> bytes:
    block = http_block(good[0].body)
    return raw_record(HOSTILE + "short-length", block, len(block) - 2000, "00000000-0000-4000-8000-000000000003")


def _non_html(good: list[GoodPage]) -> bytes:
    return record(HOSTILE + "image.png", _png(), [("Content-Type", "text/html; charset=utf-8")])


def _lying_charset(good: list[GoodPage]) -> bytes:
    html = _page("Новости", _russian_sentences()).encode("cp1251")
    return record(HOSTILE + "lying-charset", html, [("Content-Type", "text/html; charset=utf-8")])


def _invalid_utf8(good: list[GoodPage]) -> bytes:
    body = bytearray(good[1].body)
    rng = random.Random(8)
    for _ in range(200):
        i = rng.randrange(len(body))
        body[i:i] = rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"])
    return record(HOSTILE + "invalid-utf8", bytes(body), [("Content-Type", "text/html; charset=utf-8")])


def _page_50mb(good: list[GoodPage]) -> bytes:
    para = "<p>" + "This paragraph repeats to make a page of fifty megabytes. " * 20 + "</p>\n"
    n = 50_000_000 // len(para) + 1
    return record(HOSTILE + "50mb", _page("Big", []).replace("</article>", para * n + "</article>").encode())


def _gzip_bomb_record(good: list[GoodPage]) -> bytes:
    return record(HOSTILE + "gzip-bomb", _gzip_bomb(1 << 30),
                  [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")])


def _deep_nesting(good: list[GoodPage]) -> bytes:
    depth = 100_000
    html = "<html><body>" + "<div>" * depth + "<p>deep</p>" + "</div>" * depth + "</body></html>"
    return record(HOSTILE + "deep", html.encode())


def _regex_bait(good: list[GoodPage]) -> bytes:
    # Quadratic-backtracking bait for charset sniffing, in the header and in <meta>.
    ct = "text/html; charset=" + " " * 100_000 + "!"
    meta = b"<meta charset=" + b" " * 3000 + b"!>" + b"<meta " + b"charset" * 500
    body = good[1].body.replace(b"<head>", b"<head>" + meta, 1)
    return record(HOSTILE + "regex-bait", body, [("Content-Type", ct)])


def _long_url(good: list[GoodPage]) -> bytes:
    return record(HOSTILE + "long?" + "a" * 100_000, good[1].body)


def _empty_records(good: list[GoodPage]) -> bytes:
    empty_block = gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: " + HOSTILE.encode()
                                + b"empty-block\r\nWARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000004>"
                                b"\r\nContent-Length: 0\r\n\r\n\r\n\r\n")
    return empty_block + record(HOSTILE + "empty-body", b"")


def _revisit(good: list[GoodPage]) -> bytes:
    buf = BytesIO()
    writer = WARCWriter(buf, gzip=True)
    http = StatusAndHeaders("304 Not Modified", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    rec = writer.create_revisit_record(good[0].url, digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                       refers_to_uri=good[0].url, refers_to_date="2024-05-18T06:00:00Z",
                                       http_headers=http)
    writer.write_record(rec)
    return buf.getvalue()


def _wet(good: list[GoodPage]) -> bytes:
    with open(WET, "rb") as fh:
        real = [(r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
                for r in ArchiveIterator(fh) if r.rec_type == "conversion"]
    url, text = real[0]
    return record(url, text, rec_type="conversion") + record(HOSTILE + "empty-conversion", b"", rec_type="conversion")


CASES: list[Case] = [
    Case("truncated_gzip_member", "a gzip member cut in half, good members after it",
         frozenset({"input_skipped"}), _truncated_member),
    Case("garbage_between_records", "20 kB of random bytes between two records", frozenset({"input_skipped"}),
         _garbage),
    Case("missing_content_length", "a WARC record without Content-Length", frozenset({"input_skipped"}),
         _missing_length),
    Case("content_length_too_long", "Content-Length 5000 bytes longer than the record",
         frozenset({"input_skipped"}), _length_too_long),
    Case("content_length_too_short", "Content-Length 2000 bytes shorter than the record",
         frozenset({"content_length_mismatch", "input_skipped"}), _length_too_short),
    Case("non_html_payload", "a PNG image served as text/html", frozenset({"non_html"}), _non_html),
    Case("lying_charset", "cp1251 Russian declared as utf-8 (decoded correctly and kept)", frozenset({None}),
         _lying_charset),
    Case("invalid_utf8", "a real page with 200 invalid UTF-8 sequences inserted (kept, decoded by detection)",
         frozenset({None}), _invalid_utf8),
    Case("page_50mb", "a 50 MB HTML page", frozenset({"payload_too_large"}), _page_50mb),
    Case("gzip_bomb", "Content-Encoding: gzip that inflates to 1 GiB", frozenset({"payload_too_large"}),
         _gzip_bomb_record),
    Case("deep_nesting", "HTML nested 100,000 <div> levels deep",
         frozenset({"extract_empty", "extract_error", "extract_timeout"}), _deep_nesting),
    Case("regex_bait", "charset= followed by 100 kB of spaces in Content-Type, and in <meta> (kept)",
         frozenset({None}), _regex_bait),
    Case("url_100kb", "a WARC-Target-URI of 100 kB", frozenset({"url_too_long"}), _long_url),
    Case("empty_records", "a record with an empty block, and one with an empty HTTP body",
         frozenset({"no_http_headers", "empty_payload"}), _empty_records),
    Case("revisit_record", "a WARC revisit record (no payload)", frozenset({"revisit_record"}), _revisit),
    # The real record is an Aragonese an.wikipedia page: read as text, then language ID rightly
    # finds no confident language of ours (lid.176: Spanish 0.535, below es's calibrated 0.755).
    Case("wet_conversion", "a real WET conversion record (read as text) and an empty one",
         frozenset({None, "extract_empty", "language_low_confidence"}), _wet),
]


def case_path(root: Path, case: Case) -> Path:
    return root / f"{case.name}.warc.gz"


def write_case(root: Path, case: Case, good: list[GoodPage]) -> Path:
    """``good-0, <bad>, good-1`` with the good pages under per-case URLs (distinct ids)."""
    first = record(f"{good[0].url}#{case.name}", good[0].body, [("Content-Type", good[0].content_type)])
    last = record(f"{good[1].url}#{case.name}", good[1].body, [("Content-Type", good[1].content_type)])
    path = case_path(root, case)
    path.write_bytes(first + case.build(good) + last)
    return path


def good_urls(case: Case, good: list[GoodPage]) -> set[str]:
    return {f"{g.url}#{case.name}" for g in good}


def write_all(root: Path, cases: list[Case] = CASES) -> dict[str, Path]:
    root.mkdir(parents=True, exist_ok=True)
    good = good_pages()
    return {c.name: write_case(root, c, good) for c in cases}


if __name__ == "__main__":
    for name, p in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-warcs")).items():
        print(f"{name}: {p} ({p.stat().st_size} bytes)")
