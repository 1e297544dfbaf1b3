import gzip
from collections import Counter

import pyarrow as pa

from curation import schema
from curation.config import ReadConfig
from curation.io.warc import iter_rows, read_unit
from tests.warc_builder import WarcBuilder, page

CFG = ReadConfig()


def rows_of(path: str, cfg: ReadConfig = CFG) -> list[dict]:
    return list(iter_rows(path, "unit", cfg))


def test_real_warc_keeps_only_response_records(warc_dir):
    rows = rows_of(str(warc_dir / "wget-en-0000.warc.gz"))
    assert {r["warc_type"] for r in rows} == {"response"}
    assert len(rows) == 22  # its two wget log 'resource' records are not documents
    assert Counter(r.get("reject_reason") for r in rows) == {None: 22}


def test_ids_are_stable_and_unique(warc_dir):
    path = str(warc_dir / "clueweb09-ja-excerpt.warc.gz")
    first = [r["id"] for r in rows_of(path)]
    assert first == [r["id"] for r in rows_of(path)]
    assert len(set(first)) == len(first) == 29


def test_legacy_japanese_charsets_decode(warc_dir):
    rows = rows_of(str(warc_dir / "clueweb09-ja-excerpt.warc.gz"))
    html = " ".join(r[schema.HTML] for r in rows)
    assert "\ufffd" not in html[:200_000]
    assert sum(ch >= "\u3040" for ch in html) > 10_000  # kana/kanji really decoded


def test_http_payload_of_non_http_scheme_uri_is_parsed(warc_dir):
    # pages-trafilatura-eval has records whose target URI is not http(s); warcio does not
    # parse their HTTP headers, the reader does.
    rows = rows_of(str(warc_dir / "pages-trafilatura-eval.warc.gz"))
    assert len(rows) == 990
    assert all(r.get("reject_reason") is None for r in rows)
    assert all(r[schema.HTML] for r in rows)


def test_wet_conversion_record_keeps_its_text(warc_dir):
    rows = rows_of(str(warc_dir / "cc-main-2024-22-whirlwind.warc.wet.gz"))
    assert len(rows) == 1
    assert rows[0]["warc_type"] == "conversion"
    assert rows[0]["text"] and rows[0].get(schema.HTML) is None


def test_truncated_file_keeps_records_before_the_break(tmp_path, warc_dir):
    data = (warc_dir / "wget-en-0000.warc.gz").read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    rows = rows_of(str(cut))
    good = [r for r in rows if r["warc_type"] == "response"]
    assert rows[-1]["reject_reason"] == "input_error"
    assert rows[-1]["warc_type"] == "input_error"
    assert len(good) >= 10
    full = [r["warc_record_id"] for r in rows_of(str(warc_dir / "wget-en-0000.warc.gz"))]
    assert [r["warc_record_id"] for r in good] == full[: len(good)]


def test_garbage_between_records_is_skipped_and_the_next_record_kept(tmp_path):
    b = WarcBuilder().response("https://a.example/1", page("one", "first page " * 30).encode())
    b.raw(gzip.compress(b"this is not a WARC record\r\n\r\n"))
    b.response("https://a.example/2", page("two", "second page " * 30).encode())
    rows = rows_of(b.write(tmp_path / "g.warc.gz"))
    assert [(r.get("url"), r.get("reject_reason")) for r in rows] == [
        ("https://a.example/1", None), (None, "input_skipped"), ("https://a.example/2", None)]
    assert "after record 1" in rows[1]["reject_detail"]
    assert [r[schema.RECORD_INDEX] for r in rows] == [0, 1, 2]


def test_record_level_problems_are_rejections_not_exceptions(tmp_path):
    b = (WarcBuilder()
         .request("https://a.example/req")
         .response("https://a.example/pdf", b"%PDF-1.4 ...", [("Content-Type", "application/pdf")])
         .response("https://a.example/big", b"<p>" + b"x" * 20_000 + b"</p>")
         .response("https://a.example/bomb", gzip.compress(b"<p>" + b"a" * 5_000_000),
                   [("Content-Type", "text/html"), ("Content-Encoding", "gzip")])
         .response("https://a.example/404", b"<p>missing</p>", status="404 Not Found")
         .response("https://a.example/empty", b"")
         .response("https://a.example/ok", page("ok", "fine " * 50).encode()))
    rows = rows_of(b.write(tmp_path / "r.warc.gz"), ReadConfig(max_payload_bytes=10_000))
    got = {r["url"].rsplit("/", 1)[1]: r.get("reject_reason") for r in rows}
    assert got == {"pdf": "non_html", "big": "payload_too_large", "bomb": "payload_too_large",
                   "404": "http_status", "empty": "empty_payload", "ok": None}


def test_gzip_content_encoding_is_decoded(tmp_path):
    html = page("Zürich", "Grüße aus der Schweiz " * 20)
    b = WarcBuilder().response("https://a.example/z", gzip.compress(html.encode("utf-8")),
                               [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")])
    (row,) = rows_of(b.write(tmp_path / "z.warc.gz"))
    assert row[schema.HTML] == html


def test_read_unit_chunks_carry_the_total_on_the_last_chunk_only(warc_dir):
    chunks = list(read_unit(str(warc_dir / "wget-en-0000.warc.gz"), "u", ReadConfig(chunk_rows=10)))
    assert [c.num_rows for c in chunks] == [10, 10, 2]
    assert all(t is None for c in chunks[:-1] for t in c.column(schema.UNIT_TOTAL).to_pylist())
    assert set(chunks[-1].column(schema.UNIT_TOTAL).to_pylist()) == {22}
    assert all(c.schema == schema.DOCUMENT_SCHEMA for c in chunks)


def test_file_without_records_yields_one_input_empty_row(tmp_path):
    path = WarcBuilder().request("https://a.example/").write(tmp_path / "e.warc.gz")
    (chunk,) = list(read_unit(path, "u", CFG))
    assert chunk.num_rows == 1
    assert chunk.column("reject_reason").to_pylist() == ["input_empty"]
    assert chunk.column(schema.UNIT_TOTAL).to_pylist() == [1]
    assert isinstance(chunk, pa.Table)


def test_fsspec_urls_are_read_like_local_files(warc_dir):
    import fsspec

    from curation.io.fs import expand_inputs

    fs = fsspec.filesystem("memory")
    fs.pipe("/bucket/crawl/a.warc.gz", (warc_dir / "wget-en-0001.warc.gz").read_bytes())
    (uri,) = expand_inputs(["memory://bucket/crawl/*.warc.gz"])
    assert uri.startswith("memory://") and uri.endswith("/bucket/crawl/a.warc.gz")
    local = rows_of(str(warc_dir / "wget-en-0001.warc.gz"))
    remote = rows_of(uri)
    assert [r["warc_record_id"] for r in remote] == [r["warc_record_id"] for r in local]
    assert [r[schema.HTML] for r in remote] == [r[schema.HTML] for r in local]


def test_read_unit_tables_equal_tables_of_the_decoded_text_for_every_shared_warc(warc_dir):
    # read_unit hands UTF-8 payloads to Arrow as their bytes; the string column must be the
    # same as one built from the decoded text, whatever the page's charset.
    for path in sorted(warc_dir.glob("*.warc.gz")):
        fast = pa.concat_tables(list(read_unit(str(path), "u", CFG))).drop_columns([schema.UNIT_TOTAL])
        slow = schema.from_rows(list(iter_rows(str(path), "u", CFG))).drop_columns([schema.UNIT_TOTAL])
        assert fast.equals(slow), path.name


def test_utf8_html_is_bytes_only_where_the_payload_is_exactly_utf8(warc_dir):
    charsets = Counter()
    for row in iter_rows(str(warc_dir / "clueweb09-ja-excerpt.warc.gz"), "u", CFG, utf8_html=True):
        html = row.get(schema.HTML)
        if html is not None:
            charsets[(row["charset"], type(html).__name__)] += 1
    # The Japanese excerpt is not UTF-8: its pages stay decoded text.
    assert charsets and all(kind == "str" for (codec, kind) in charsets if codec != "utf-8")
    assert any(codec != "utf-8" for codec, _ in charsets)
    pages = [r for r in iter_rows(str(warc_dir / "wget-en-0000.warc.gz"), "u", CFG, utf8_html=True)
             if r.get(schema.HTML) is not None]
    assert pages and all(isinstance(r[schema.HTML], bytes) for r in pages if r["charset"] == "utf-8")


def test_a_bom_or_a_replaced_byte_is_not_exact():
    from curation.io.payload import decode_text_exact

    assert decode_text_exact("é".encode(), "text/html; charset=utf-8")[3] is True
    assert decode_text_exact(b"\xef\xbb\xbf<p>x", "text/html")[2:] == ("bom", False)
    assert decode_text_exact(b"<p>\xff\xfe caf\xe9", "text/html; charset=utf-8")[3] is False
